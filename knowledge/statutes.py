"""Read Dutch statutes in the regelrecht YAML format: one Document per article.

The format (MinBZK/regelrecht, schema v0.6/v0.7) has top-level ``$id`` (the law's slug),
``bwb_id``, ``valid_from``, ``url`` and a list ``articles`` of ``{number, text, url}``; the
article ``url`` is its wetten.overheid.nl address, which becomes the citation. Article
texts use Markdown reference links (``[artikel 8][ref3]`` + ``[ref3]: https://...``); the
link syntax is dropped and the visible words kept, so BM25 and the embedder see plain text.
"""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from knowledge.types import Document

STATUTE_SUFFIXES = frozenset({".yaml", ".yml"})

# Display names for the slugs in ../shared/data/regelrecht; other laws get a name from their slug.
LAW_NAMES: dict[str, str] = {
    "gemeentewet": "Gemeentewet",
    "participatiewet": "Participatiewet",
    "paspoortwet": "Paspoortwet",
    "wet_basisregistratie_personen": "Wet basisregistratie personen",
    "wet_maatschappelijke_ondersteuning_2015": "Wet maatschappelijke ondersteuning 2015",
    "wet_op_de_zorgtoeslag": "Wet op de zorgtoeslag",
    "wet_open_overheid": "Wet open overheid",
}

# Which team (DESIGN.md taxonomy) owns questions about a law; None where no single team does.
LAW_TEAMS: dict[str, str | None] = {
    "gemeentewet": None,
    "participatiewet": "werk_inkomen",
    "paspoortwet": "burgerzaken",
    "wet_basisregistratie_personen": "burgerzaken",
    "wet_maatschappelijke_ondersteuning_2015": "zorg_welzijn",
    "wet_op_de_zorgtoeslag": "belastingdienst",
    "wet_open_overheid": "klantcontact",
}

# A lid (numbered paragraph) of an article starts a paragraph with its number: "2 Het college ...".
# Articles are chunked as other documents (120-word passages of whole paragraphs): measured on
# the dev split, one passage per lid ranked worse (MRR 0.854 against 0.875), so a lid is found
# in its passage by its number instead (lids_in).
_LID = re.compile(r"^(\d+[a-z]?)\s+\S", re.MULTILINE)
_REF_DEF = re.compile(r"^\s*\[[^\]]+\]:\s*\S+.*$", re.MULTILINE)
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_INLINE_LINK = re.compile(r"\[([^\]]+)\]\([^)]*\)")
_DEF_TERM = re.compile(r"^(\s*-\s*)\*([^*]+)\*", re.MULTILINE)


class StatuteError(ValueError):
    """Not a statute file, or a malformed one."""


def is_statute(data: Any) -> bool:
    return isinstance(data, dict) and isinstance(data.get("articles"), list) and ("bwb_id" in data or "$id" in data)


def law_name(slug: str) -> str:
    if slug in LAW_NAMES:
        return LAW_NAMES[slug]
    words = slug.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def clean_article_text(text: str) -> str:
    text = _REF_DEF.sub("", text)
    text = _REF_LINK.sub(r"\1", text)
    text = _INLINE_LINK.sub(r"\1", text)
    text = _DEF_TERM.sub(r"\1\2", text)
    # Lines are wrapped at ~120 characters inside a paragraph: join them, keep blank lines.
    paragraphs = [" ".join(p.split()) for p in re.split(r"\n\s*\n", text)]
    return "\n\n".join(p for p in paragraphs if p)


def article_id(slug: str, number: str) -> str:
    """The document id of an article: "<law slug>.art-<number>" ("participatiewet.art-22a")."""
    return f"{slug}.art-{re.sub(r'[^A-Za-z0-9._-]+', '-', number)}"


def lids_in(passage: str) -> list[str]:
    """The numbers of the lids that start in a passage of an article ("1", "2", "2a")."""
    return [m.group(1) for p in passage.split("\n\n") if (m := _LID.match(p.strip()))]


def _date(value: Any) -> date | None:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return None


def read_statute(path: Path, *, teams: dict[str, str | None] | None = None) -> list[Document]:
    """All articles of one statute file as public Documents (ids "<slug>.art-<number>")."""
    try:
        data = yaml.safe_load(path.read_bytes().decode("utf-8-sig"))
    except yaml.YAMLError as exc:
        raise StatuteError(f"invalid YAML: {' '.join(str(exc).split())}") from exc
    if not is_statute(data):
        raise StatuteError("YAML file is not a statute (expects 'articles' and 'bwb_id', regelrecht format)")
    slug = str(data.get("$id") or path.stem)
    name = law_name(slug)
    team = (teams if teams is not None else LAW_TEAMS).get(slug)
    effective = _date(data.get("valid_from"))
    law_url = data.get("url")
    version = str(data.get("valid_from") or data.get("publication_date") or "") or None
    documents: list[Document] = []
    seen: set[str] = set()
    for i, article in enumerate(data["articles"]):
        if not isinstance(article, dict) or not str(article.get("text") or "").strip():
            raise StatuteError(f"article #{i + 1} has no text")
        number = str(article.get("number") or "").strip()
        if not number:
            raise StatuteError(f"article #{i + 1} has no number")
        doc_id = article_id(slug, number)
        if doc_id in seen:
            raise StatuteError(f"article {number} appears twice")
        seen.add(doc_id)
        url = article.get("url") or (f"{law_url}#Artikel{number}" if law_url else None)
        title = f"{name}, artikel {number}"
        documents.append(
            Document(
                id=doc_id,
                title=title,
                language="nl",
                audience="public",
                team=team,
                url=str(url) if url else None,
                effective_date=effective,
                version=version,
                body=clean_article_text(str(article["text"])),
                source_path=str(path),
            )
        )
    if not documents:
        raise StatuteError("statute has no articles")
    return documents
