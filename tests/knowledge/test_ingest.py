from __future__ import annotations

from datetime import date
from pathlib import Path

from knowledge.ingest import load_documents


def test_front_matter_fields(write_doc, tmp_path: Path) -> None:
    write_doc(
        "paspoort.md",
        "# Paspoort aanvragen\n\nU vraagt een paspoort aan bij de gemeente.\n",
        id="paspoort-aanvragen",
        title="Paspoort aanvragen",
        language="nl",
        audience="public",
        team="burgerzaken",
        effective_date="2026-01-01",
        version='"2026.10"',
        summary="Zo vraagt u een paspoort aan.",
    )
    result = load_documents([tmp_path / "docs"])
    assert result.errors == []
    (doc,) = result.documents
    assert doc.id == "paspoort-aanvragen"
    assert doc.title == "Paspoort aanvragen"
    assert doc.language == "nl" and doc.audience == "public" and doc.team == "burgerzaken"
    assert doc.effective_date == date(2026, 1, 1)
    assert doc.version == "2026.10"  # quoted in YAML, so not the float 2026.1
    assert doc.summary == "Zo vraagt u een paspoort aan."
    assert doc.url == "/documents/paspoort-aanvragen"  # where the api serves it
    assert doc.body.startswith("# Paspoort aanvragen")
    assert doc.source_path == str(tmp_path / "docs" / "paspoort.md")


def test_internal_document_teams_and_explicit_url(write_doc, tmp_path: Path) -> None:
    write_doc(
        "a.md",
        "Tekst.",
        id="a",
        title="A",
        audience="internal",
        team="burgerzaken",
        allowed_teams=["burgerzaken", "klantcontact"],
        url="https://intranet.example/a",
    )
    write_doc("b.md", "Tekst.", id="b", title="B", audience="internal", team="handhaving")
    docs = {d.id: d for d in load_documents([tmp_path / "docs"]).documents}
    assert docs["a"].allowed_teams == ("burgerzaken", "klantcontact")
    assert docs["a"].url == "https://intranet.example/a"
    # Internal without allowed_teams: readable by its own team (and admins), not by nobody.
    assert docs["b"].allowed_teams == ("handhaving",)


def test_defaults_without_front_matter(write_doc, tmp_path: Path) -> None:
    write_doc(
        "afval-kalender.md",
        "Inleiding.\n\n# Afvalkalender 2026\n\nDe groene container wordt op dinsdag geleegd.",
    )
    write_doc("geen_kop.md", "Alleen wat tekst zonder kop, en die is niet lang.")
    write_doc(
        "english.txt",
        "When you move to a new address you have to tell the municipality within five days. "
        "You can do this online with your DigiD.",
    )
    docs = {d.id: d for d in load_documents([tmp_path / "docs"]).documents}
    assert set(docs) == {"afval-kalender", "geen_kop", "english"}
    kalender = docs["afval-kalender"]
    assert kalender.title == "Afvalkalender 2026"  # first '# ' heading
    assert kalender.language == "nl" and kalender.audience == "public" and kalender.team is None
    assert kalender.allowed_teams == () and kalender.url == "/documents/afval-kalender"
    assert docs["geen_kop"].title == "Geen kop"  # from the file name
    assert docs["english"].language == "en"
    assert docs["english"].title == "English"


def test_files_and_directories_recursively(write_doc, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write_doc("top.md", "# Top\n\nTekst.")
    write_doc("deep.md", "# Diep\n\nTekst.", folder=root / "a" / "b")
    write_doc("skip.md", "# Verborgen\n\nTekst.", folder=root / ".git")
    (root / "plaatje.png").write_bytes(b"\x89PNG")
    single = write_doc("los.txt", "Losse tekst.", folder=tmp_path / "elders")
    result = load_documents([root, single])
    assert sorted(d.id for d in result.documents) == ["deep", "los", "top"]
    assert result.errors == []  # files of other types inside a folder are simply not documents


def test_broken_files_are_reported_and_skipped(write_doc, tmp_path: Path) -> None:
    root = tmp_path / "docs"
    write_doc("goed.md", "# Goed\n\nDit document is in orde.")
    (root / "kapot.md").write_text("---\ntitle: [niet gesloten\n---\n\nTekst.", encoding="utf-8")
    (root / "binair.md").write_bytes(b"\xff\xfe\x00\x81 geen utf-8")
    (root / "niet-gesloten.md").write_text("---\ntitle: Open\n\nTekst zonder einde.", encoding="utf-8")
    write_doc("fout-publiek.md", "Tekst.", audience="intern")
    write_doc("fout-datum.md", "Tekst.", effective_date="binnenkort")
    write_doc("leeg.md", "", title="Leeg")
    write_doc("zz-dubbel.md", "Tekst.", id="goed")  # the first file (in sorted order) wins
    result = load_documents([root, tmp_path / "bestaat-niet"])
    assert [d.id for d in result.documents] == ["goed"]
    reasons = {Path(e.path).name: e.reason for e in result.errors}
    assert "invalid YAML" in reasons["kapot.md"]
    assert "UTF-8" in reasons["binair.md"]
    assert "not closed" in reasons["niet-gesloten.md"]
    assert "audience" in reasons["fout-publiek.md"]
    assert "effective_date" in reasons["fout-datum.md"]
    assert "empty" in reasons["leeg.md"]
    assert "duplicate" in reasons["zz-dubbel.md"]
    assert "no such file" in reasons["bestaat-niet"]


def test_unsafe_id_is_rejected(write_doc, tmp_path: Path) -> None:
    write_doc("x.md", "Tekst.", id="../../etc/passwd")
    result = load_documents([tmp_path / "docs"])
    assert result.documents == [] and "invalid id" in result.errors[0].reason


def test_files_under_an_internal_folder_default_to_internal(write_doc, tmp_path: Path) -> None:
    root = tmp_path / "policies"
    write_doc("werkinstructie.md", "# Werkinstructie\n\nAlleen voor medewerkers.", folder=root / "internal")
    write_doc("openbaar.md", "# Openbaar\n\nVoor iedereen.", folder=root / "public")
    docs = {d.id: d for d in load_documents([root]).documents}
    # Fail closed: forgetting the front matter must not publish an internal instruction.
    assert docs["werkinstructie"].audience == "internal"
    assert docs["openbaar"].audience == "public"


def test_a_statute_sidecar_sets_team_and_audience_for_every_article(tmp_path: Path) -> None:
    statute = (
        "$id: wet_voorbeeld\nbwb_id: BWBR0000001\nurl: https://wetten.overheid.nl/BWBR0000001\n"
        "articles:\n  - {number: '1', text: Eerste artikel.}\n  - {number: '2', text: Tweede artikel.}\n"
    )
    (tmp_path / "wet_voorbeeld.yaml").write_text(statute, encoding="utf-8")
    (tmp_path / "wet_voorbeeld.yaml.meta.yaml").write_text(
        "team: vergunningen\naudience: internal\nurl: https://elders.example\n", encoding="utf-8"
    )
    result = load_documents([tmp_path])
    assert result.errors == []  # the sidecar itself is not a document
    assert {(d.team, d.audience, d.allowed_teams) for d in result.documents} == {
        ("vergunningen", "internal", ("vergunningen",))
    }
    # The article keeps its own citation: a sidecar cannot move it.
    assert [d.url for d in result.documents] == [
        "https://wetten.overheid.nl/BWBR0000001#Artikel1",
        "https://wetten.overheid.nl/BWBR0000001#Artikel2",
    ]
