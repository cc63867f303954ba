"""Split documents into passages along Markdown headings (pure functions, no I/O)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator, Sequence

from knowledge.types import Chunk, Document

MAX_WORDS = 120
# The most words one answer shows: a passage of a section, or more of the section around it.
ANSWER_MAX_WORDS = 120
SECTION_SEP = " › "

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^\s*(```|~~~)")
# A sentence ends at . ! ? (optionally closed by a quote/bracket) followed by whitespace and
# something that can start a sentence. Good enough for policy prose; "9.00 uur" stays intact.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?])|(?<=[.!?][\"')\]]))\s+(?=[\"'(\[]?[A-ZÀ-Ý0-9€])")


def section_anchor(heading: str) -> str:
    """The id of a heading on the rendered page ("Hoe lang duurt het" → "hoe-lang-duurt-het"), so a
    link can open the exact section an answer came from."""
    folded = unicodedata.normalize("NFKD", heading.lower())
    ascii_only = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", "-", ascii_only).strip("-")


def heading_of(section: str) -> str:
    """The last heading of a section path ("Paspoort aanvragen › Kosten" → "Kosten"); "" for a
    page's opening text, whose path is the title alone."""
    parts = section.split(SECTION_SEP)
    return parts[-1].strip() if len(parts) > 1 else ""


def section_url(url: str | None, section: str) -> str | None:
    """`url` opened at the last heading of a section path; the page itself for its opening text."""
    if url is None:
        return None
    heading = heading_of(section)
    return f"{url}#{section_anchor(heading)}" if heading else url


def iter_sections(body: str, title: str) -> Iterator[tuple[tuple[str, ...], str]]:
    """Yield (heading path, section text) in document order; empty sections are skipped.

    The path always starts with the document title, so a body without an H1 still gets
    "Title › Heading" paths, and one whose H1 repeats the title does not say it twice.
    """
    stack: list[tuple[int, str]] = []
    lines: list[str] = []
    in_fence = False

    def path() -> tuple[str, ...]:
        names = [name for _, name in stack]
        if not names or names[0] != title:
            names.insert(0, title)
        return tuple(names)

    def flush() -> Iterator[tuple[tuple[str, ...], str]]:
        text = "\n".join(lines).strip()
        if text:
            yield path(), text
        lines.clear()

    for line in body.splitlines():
        if _FENCE.match(line):
            in_fence = not in_fence
        match = None if in_fence else _HEADING.match(line)
        if match is None:
            lines.append(line)
            continue
        yield from flush()
        level, name = len(match.group(1)), match.group(2).strip()
        while stack and stack[-1][0] >= level:
            stack.pop()
        stack.append((level, name))
    yield from flush()


def split_paragraphs(text: str) -> list[str]:
    return [p.strip() for p in re.split(r"\n\s*\n", text) if p.strip()]


def split_sentences(text: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(text) if s.strip()]


def _word_count(text: str) -> int:
    return len(text.split())


def _pieces(paragraph: str, max_words: int) -> list[str]:
    """Break one paragraph into pieces of at most max_words: sentences first, then words."""
    if _word_count(paragraph) <= max_words:
        return [paragraph]
    out: list[str] = []
    for sentence in split_sentences(paragraph):
        words = sentence.split()
        if len(words) <= max_words:
            out.append(sentence)
        else:  # a run-on "sentence" (e.g. a long list on one line): cut it at word boundaries
            out.extend(" ".join(words[i : i + max_words]) for i in range(0, len(words), max_words))
    return out


def split_text(text: str, max_words: int = MAX_WORDS) -> list[str]:
    """Pack paragraphs (or their sentences) greedily into passages of at most max_words."""
    passages: list[str] = []
    current: list[str] = []
    count = 0
    for paragraph in split_paragraphs(text):
        for piece in _pieces(paragraph, max_words):
            n = _word_count(piece)
            if current and count + n > max_words:
                passages.append(_join(current))
                current, count = [], 0
            current.append(piece)
            count += n
    if current:
        passages.append(_join(current))
    return passages


def _join(pieces: list[str]) -> str:
    # Whole paragraphs keep their blank line; sentences of one paragraph would too, which
    # reads fine in a passage shown to a person.
    return "\n\n".join(pieces)


def chunk_document(doc: Document, max_words: int = MAX_WORDS) -> list[Chunk]:
    """All passages of a document, numbered in order: chunk ids are "{doc_id}#{n}"."""
    chunks: list[Chunk] = []
    for path, text in iter_sections(doc.body, doc.title):
        for passage in split_text(text, max_words):
            chunks.append(
                Chunk(
                    chunk_id=f"{doc.id}#{len(chunks)}",
                    doc_id=doc.id,
                    title=doc.title,
                    section=SECTION_SEP.join(path),
                    text=passage,
                    language=doc.language,
                    audience=doc.audience,
                    team=doc.team,
                    allowed_teams=doc.allowed_teams,
                    url=doc.url,
                )
            )
    return chunks


def section_window(passages: Sequence[str], chosen: int, *, max_words: int = ANSWER_MAX_WORDS) -> str:
    """What an answer shows of a section that was split into several passages, when
    `passages[chosen]` answers: that passage's lines, then the lines just before it (a later
    passage often goes on from an earlier one: "Ook als u geen vergunning nodig heeft, ..." after
    the rules it qualifies), then those just after it, in whole lines and in the section's order,
    at most `max_words` words. Blank lines are dropped: one answer is one message."""
    lines = [[line.rstrip() for line in passage.splitlines() if line.strip()] for passage in passages]
    budget = max_words
    kept: list[str] = []
    for line in lines[chosen]:
        if kept and _word_count(line) > budget:
            return "\n".join(kept)
        kept.append(line)
        budget -= _word_count(line)
    before: list[str] = []
    for line in reversed([line for passage in lines[:chosen] for line in passage]):
        if _word_count(line) > budget:
            break
        before.insert(0, line)
        budget -= _word_count(line)
    after: list[str] = []
    for line in (line for passage in lines[chosen + 1 :] for line in passage):
        if _word_count(line) > budget:
            break
        after.append(line)
        budget -= _word_count(line)
    return "\n".join(before + kept + after)
