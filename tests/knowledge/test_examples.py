"""Example questions per section: loading, and what the answer engine makes of them."""

from __future__ import annotations

from pathlib import Path

import pytest

from api.services.citizen_answers import EXAMPLES_DIR, example_index
from knowledge.answers import AnswerEngine
from knowledge.aspects import AspectLexicon
from knowledge.examples import ExampleQuestions, ExampleQuestionsError, section_label
from knowledge.search import KnowledgeSearch
from knowledge.types import Reader
from tests.knowledge.test_answers import PROJECT_ASPECTS, engine, search  # noqa: F401 - the index fixture

PROJECT_EXAMPLES = Path(__file__).resolve().parents[2] / "data" / "answers" / EXAMPLES_DIR


def write(folder: Path, name: str, text: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / name).write_text(text, encoding="utf-8")


def test_examples_are_read_per_page_and_heading(tmp_path: Path) -> None:
    write(tmp_path, "paspoort.yml", 'page: paspoort\nsections:\n  "":\n    - "waar haal ik een pas"\n'
          '  Kosten:\n    - " wat moet ik betalen "\n    - "prijs pas kind"\n')  # fmt: skip
    examples = ExampleQuestions.from_dir(tmp_path)
    assert examples.by_section == {
        ("paspoort", ""): ("waar haal ik een pas",),
        ("paspoort", "Kosten"): ("wat moet ik betalen", "prijs pas kind"),
    }
    assert examples.restricted_to([("paspoort", "Kosten")]).questions() == ["wat moet ik betalen", "prijs pas kind"]
    assert ExampleQuestions.from_dir(tmp_path / "missing").by_section == {}


@pytest.mark.parametrize(
    "text",
    ["sections:\n  Kosten: ['x']\n", "page: p\nsections: ['x']\n", "page: p\nsections:\n  Kosten: 'x'\n",
     "page: p\nsections:\n  Kosten: ['']\n"],
)  # fmt: skip
def test_a_malformed_example_file_is_refused_with_its_name(tmp_path: Path, text: str) -> None:
    write(tmp_path, "kapot.yml", text)
    with pytest.raises(ExampleQuestionsError, match="kapot.yml"):
        ExampleQuestions.from_dir(tmp_path)


def test_every_example_file_names_a_document_and_its_headings() -> None:
    """A renamed heading would silently lose its examples (the engine leaves them out)."""
    from knowledge.chunking import SECTION_SEP, heading_of, iter_sections
    from knowledge.ingest import load_documents

    documents = load_documents([PROJECT_EXAMPLES.parents[1] / "policies"]).documents
    sections = {(document.id, "") for document in documents} | {
        (document.id, heading_of(SECTION_SEP.join(path)))
        for document in documents
        for path, _text in iter_sections(document.body, document.title)
    }
    examples = ExampleQuestions.from_dir(PROJECT_EXAMPLES)
    assert examples.by_section, "no example questions read"
    assert set(examples.by_section) <= sections
    assert all(len(questions) >= 3 for questions in examples.by_section.values())


def test_a_question_close_to_a_sections_example_is_answered_from_that_section(
    search: KnowledgeSearch,  # noqa: F811 - the fixture
    tmp_path: Path,
) -> None:
    """The words of the example, not of the section: "vakantie" appears nowhere on the page."""
    write(tmp_path, "paspoort.yml", 'page: paspoort\nsections:\n  "Hoe lang duurt het":\n'
          '    - "ik ga over twee weken op vakantie, is mijn nieuwe pas dan op tijd"\n')  # fmt: skip
    plain = engine(search)
    with_examples = AnswerEngine(
        search, aspects=AspectLexicon.from_yaml(PROJECT_ASPECTS), decision=plain.decision,
        examples=example_index(search, tmp_path),
    )  # fmt: skip
    question = "ik ga op vakantie, is mijn pas op tijd"
    page = next(p for p in with_examples.answer(question, reader=Reader.public()).ranked if p.doc_id == "paspoort")
    features = {s.hit.section.split(" › ")[-1]: s.features["example_dense_gap"] for s in page.sections}
    assert features["Hoe lang duurt het"] == 0.0  # the best section by its example
    assert {s.hit.section.split(" › ")[-1]: s.features["example_top2_gap"] for s in page.sections}[
        "Hoe lang duurt het"
    ] == 0.0  # one example: its "mean of the two closest" is that example
    assert all(gap < 0.0 for heading, gap in features.items() if heading != "Hoe lang duurt het")
    assert page.features["example_dense"] > max(
        p.features["example_dense"] for p in plain.answer(question, reader=Reader.public()).ranked
    )


def test_a_section_without_examples_is_compared_with_its_heading(search: KnowledgeSearch) -> None:  # noqa: F811
    answer = engine(search).answer("paspoort wat kost het", reader=Reader.public())
    for page in answer.ranked:
        assert page.features["example_dense"] == page.features["heading_dense"]
        assert page.features["example_top2"] == page.features["heading_dense"]


def test_the_section_labels_name_page_and_heading() -> None:
    assert section_label("paspoort", "Kosten") == "paspoort#Kosten"
    assert section_label("paspoort", "") == "paspoort#"
