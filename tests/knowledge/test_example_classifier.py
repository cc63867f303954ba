from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from knowledge.embedding import HashingEmbedder
from knowledge.example_classifier import LOG_FLOOR, ExampleClassifier, page_log_probabilities
from knowledge.example_index import ExampleIndex

EXAMPLES = [
    ("paspoort#Kosten", "wat kost een paspoort"),
    ("paspoort#Kosten", "prijs paspoort volwassene"),
    ("paspoort#Kosten", "hoeveel betaal ik voor mijn paspoort"),
    ("paspoort#Aanvragen", "paspoort aanvragen afspraak maken"),
    ("paspoort#Aanvragen", "waar vraag ik een paspoort aan"),
    ("container#", "container kapot deksel gebroken"),
    ("container#", "kliko gestolen nieuwe container"),
    ("intern#", "werkinstructie urgentie beoordelen"),
]


def everything(_: str) -> bool:
    return True


def public_only(page: str) -> bool:
    return page != "intern"


def classifier(tmp_path: Path | None = None) -> ExampleClassifier:
    return ExampleClassifier(ExampleIndex(HashingEmbedder(), EXAMPLES, cache_dir=tmp_path))


def query(text: str) -> np.ndarray:
    return HashingEmbedder().embed_queries([text])[0]


def test_the_section_of_the_closest_examples_is_the_most_probable() -> None:
    model = classifier()
    for text, expected in [
        ("hoeveel kost een paspoort", "paspoort#Kosten"),
        ("paspoort aanvragen waar", "paspoort#Aanvragen"),
        ("kliko kapot", "container#"),
    ]:
        log_probs = model.log_probabilities(query(text), readable=everything, key="all")
        assert max(log_probs, key=log_probs.__getitem__) == expected, text


def test_probabilities_are_over_the_sections_the_reader_may_read() -> None:
    model = classifier()
    everyone = model.log_probabilities(query("urgentie beoordelen"), readable=everything, key="all")
    citizen = model.log_probabilities(query("urgentie beoordelen"), readable=public_only, key="public")
    assert "intern#" in everyone and "intern#" not in citizen
    assert math.fsum(math.exp(v) for v in citizen.values()) == pytest.approx(1.0, abs=1e-4)
    assert max(everyone, key=everyone.__getitem__) == "intern#"
    # Nothing readable: no evidence rather than a division by zero.
    assert model.log_probabilities(query("paspoort"), readable=lambda _: False, key="none") == {}


def test_page_probability_sums_its_sections() -> None:
    pages = page_log_probabilities({"a#x": math.log(0.3), "a#y": math.log(0.2), "b#": math.log(0.5)})
    assert pages == pytest.approx({"a": math.log(0.5), "b": math.log(0.5)})
    assert page_log_probabilities({"a#": -100.0}) == {"a": LOG_FLOOR}


def test_log_probabilities_are_clipped_at_the_floor() -> None:
    log_probs = classifier().log_probabilities(query("kliko gestolen container kapot"), readable=everything, key="k")
    assert min(log_probs.values()) >= LOG_FLOOR


def test_weights_are_fitted_once_and_cached_beside_the_example_vectors(tmp_path: Path) -> None:
    first = classifier(tmp_path)
    assert not first.cached
    first.warm_up()
    assert first.cached
    cached = list(tmp_path.glob("classifier-*.npy"))
    assert len(cached) == 1 and not list(tmp_path.glob("*.tmp.npy"))
    again = classifier(tmp_path)
    np.save(cached[0], first.weights * 2)  # a read, not a fit, gives these weights back
    np.testing.assert_array_equal(again.weights, first.weights * 2)
    # Other examples: another file, fitted afresh.
    ExampleClassifier(ExampleIndex(HashingEmbedder(), EXAMPLES[:-1], cache_dir=tmp_path)).warm_up()
    assert len(list(tmp_path.glob("classifier-*.npy"))) == 2


def test_a_single_section_is_always_the_one_asked_about() -> None:
    model = ExampleClassifier(ExampleIndex(HashingEmbedder(), [("a#", "x"), ("a#", "y")]))
    assert model.log_probabilities(query("z"), readable=everything, key="k") == {"a#": 0.0}


def test_a_sections_sentences_teach_it_words_its_examples_lack(tmp_path: Path) -> None:
    """ "leges" is in no example question, only in a sentence of the costs section."""
    sentence = HashingEmbedder().embed_documents(["De leges voor een paspoort zijn 84 euro"])
    examples = ExampleIndex(HashingEmbedder(), EXAMPLES, cache_dir=tmp_path)
    without = ExampleClassifier(examples)
    with_sentences = ExampleClassifier(examples, extra=[("paspoort#Kosten", sentence), ("elders#", sentence)])
    asked = query("leges")
    costs = "paspoort#Kosten"
    assert (
        with_sentences.log_probabilities(asked, readable=everything, key="k")[costs]
        > (without.log_probabilities(asked, readable=everything, key="k")[costs])
    )
    assert with_sentences.labels == without.labels  # a section without examples is no class
    with_sentences.warm_up()
    without.warm_up()  # the sentences are part of what is cached: two files
    assert len(list(tmp_path.glob("classifier-*.npy"))) == 2
