"""The knowledge value types: who may read what (Reader), and what the dense model sees of a chunk."""

from __future__ import annotations

import pytest

from knowledge.types import ADMIN_ROLE, Chunk, Document, Reader

BURGERZAKEN = Reader.staff(teams={"burgerzaken"})
HANDHAVING = Reader.staff(teams={"handhaving"})
ADMIN = Reader(roles=frozenset({"admin"}))


def chunk(audience: str, allowed: tuple[str, ...] = ()) -> Chunk:
    return Chunk("d#0", "d", "T", "T", "tekst", audience=audience, allowed_teams=allowed)  # type: ignore[arg-type]


def test_may_read_rules() -> None:
    public, internal = chunk("public"), chunk("internal", ("burgerzaken",))
    assert Reader.public().may_read(public)
    assert not Reader.public().may_read(internal)
    assert BURGERZAKEN.may_read(internal)
    assert not HANDHAVING.may_read(internal)
    assert ADMIN.may_read(internal)
    # A staff role alone opens nothing; membership of an allowed team does.
    assert not Reader(roles=frozenset({"staff"})).may_read(internal)
    assert not BURGERZAKEN.may_read(chunk("internal", ()))


def test_anything_not_explicitly_public_is_internal() -> None:
    # A typo or unknown audience must fail closed, not open.
    for audience in ("Public", "intern", ""):
        assert not Reader.public().may_read(chunk(audience))
        assert not BURGERZAKEN.may_read(chunk(audience))
        assert BURGERZAKEN.may_read(chunk(audience, ("burgerzaken",)))


def test_documents_follow_the_same_rules_as_chunks() -> None:
    internal = Document(id="x", title="X", audience="internal", team="burgerzaken", allowed_teams=("afval",))
    assert not Reader.public().may_read(internal)
    # The owning team is not a reader by itself: only allowed_teams opens an internal document.
    assert not BURGERZAKEN.may_read(internal)
    assert Reader.staff(teams=("afval",)).may_read(internal)
    assert Reader.public().may_read(Document(id="y", title="Y"))  # public is the default


def test_reader_constructors() -> None:
    assert Reader.public() == Reader() and not Reader.public().is_admin
    staff = Reader.staff(teams=["afval", "afval"])  # type: ignore[arg-type]
    assert staff.roles == frozenset({"staff"}) and staff.teams == frozenset({"afval"})
    assert Reader.staff(roles=(ADMIN_ROLE,)).is_admin
    assert not Reader.staff(teams={"admin"}).is_admin  # a team called "admin" is not the role
    # Readers are values: equal readers compare and hash equal (they are used as cache keys).
    assert Reader.staff(teams={"afval"}) == Reader.staff(teams=("afval",))
    assert len({Reader.staff(teams={"afval"}), Reader.staff(teams=("afval",))}) == 1


@pytest.mark.parametrize(
    ("title", "section", "expected"),
    [
        ("Paspoort", "Paspoort › Kosten", "Paspoort — Paspoort › Kosten: € 86,55"),
        ("Paspoort", "Paspoort", "Paspoort: € 86,55"),  # the opening text: no repeated title
        ("Paspoort", "", "Paspoort: € 86,55"),
    ],
)
def test_embed_text_gives_passages_their_context(title: str, section: str, expected: str) -> None:
    assert Chunk("p#0", "p", title, section, "€ 86,55").embed_text() == expected
