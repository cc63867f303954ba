"""Read policy documents from disk.

Formats: Markdown with YAML front matter, plain text, HTML, DOCX, PDF, and statutes in the
regelrecht YAML format (one Document per article). Metadata comes from front matter (Markdown),
from the file itself (HTML <title>/<meta>/lang, DOCX core properties, PDF info), and from an
optional sidecar ``<file>.meta.yaml`` next to any file, which wins over both.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

import yaml

from knowledge.formats import DOCX_SUFFIXES, HTML_SUFFIXES, PDF_SUFFIXES, FormatError, read_docx, read_html, read_pdf
from knowledge.languages import DEFAULT_LANGUAGE, detect_language
from knowledge.statutes import STATUTE_SUFFIXES, read_statute
from knowledge.types import AUDIENCES, Audience, Document

MARKDOWN_SUFFIXES = frozenset({".md", ".markdown"})
TEXT_SUFFIXES = frozenset({".txt"})
BINARY_READERS = {
    **{s: read_html for s in HTML_SUFFIXES},
    **{s: read_docx for s in DOCX_SUFFIXES},
    **{s: read_pdf for s in PDF_SUFFIXES},
}
SUPPORTED_SUFFIXES = MARKDOWN_SUFFIXES | TEXT_SUFFIXES | frozenset(BINARY_READERS) | STATUTE_SUFFIXES
SIDECAR_SUFFIXES = (".meta.yaml", ".meta.yml")

# Ids end up in URLs (/documents/{id}) and chunk ids ("{id}#{n}"): keep them plain.
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
_FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)", re.DOTALL)
_H1 = re.compile(r"^#[ \t]+(.+?)[ \t#]*$", re.MULTILINE)


@dataclass(frozen=True)
class IngestError:
    path: str
    reason: str


@dataclass
class IngestResult:
    documents: list[Document] = field(default_factory=list)
    errors: list[IngestError] = field(default_factory=list)


class _Invalid(ValueError):
    """A file we refuse to ingest; the message becomes IngestError.reason."""


FileProgress = Callable[[Path, int, int], None]  # (file just read, done, total)


def list_files(paths: Iterable[Path | str]) -> tuple[list[tuple[Path, Path]], list[IngestError]]:
    """The (file, root) pairs load_documents would read, and the errors for bad paths."""
    result = IngestResult()
    files = list(_iter_files(paths, result))
    return files, result.errors


def load_documents(paths: Iterable[Path | str], *, progress: FileProgress | None = None) -> IngestResult:
    """Load every supported file under the given files/directories (recursively, sorted).

    Broken files are reported in ``errors`` and skipped; they never stop the others.
    ``progress`` is called after each file (for a progress bar on long runs).
    """
    result = IngestResult()
    seen: dict[str, str] = {}
    files, result.errors = list_files(paths)
    for n, (file, root) in enumerate(files, 1):
        if progress is not None:
            progress(file, n, len(files))
        try:
            docs = load_file(file, root=root)
        except _Invalid as exc:
            result.errors.append(IngestError(str(file), str(exc)))
            continue
        except UnicodeDecodeError as exc:
            result.errors.append(IngestError(str(file), f"not UTF-8 text: {exc.reason} at byte {exc.start}"))
            continue
        except OSError as exc:
            result.errors.append(IngestError(str(file), f"cannot read: {exc.strerror or exc}"))
            continue
        for doc in docs:
            if doc.id in seen:
                result.errors.append(
                    IngestError(str(file), f"duplicate document id {doc.id!r} (also in {seen[doc.id]})")
                )
                continue
            seen[doc.id] = str(file)
            result.documents.append(doc)
    return result


def _iter_files(paths: Iterable[Path | str], result: IngestResult) -> Iterator[tuple[Path, Path]]:
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for file in sorted(path.rglob("*")):
                rel = file.relative_to(path)
                if any(part.startswith(".") for part in rel.parts):
                    continue  # editor swap files, .git, ...
                if _is_sidecar(file):
                    continue
                if file.is_file() and file.suffix.lower() in SUPPORTED_SUFFIXES:
                    yield file, path
        elif path.is_file():
            if path.suffix.lower() in SUPPORTED_SUFFIXES:
                yield path, path.parent
            else:
                result.errors.append(IngestError(str(path), f"unsupported file type {path.suffix or '(none)'}"))
        else:
            result.errors.append(IngestError(str(path), "no such file or directory"))


def _is_sidecar(path: Path) -> bool:
    return path.name.lower().endswith(SIDECAR_SUFFIXES)


def _sidecar(path: Path) -> dict[str, Any]:
    for suffix in SIDECAR_SUFFIXES:
        side = path.with_name(path.name + suffix)
        if side.is_file():
            try:
                meta = yaml.safe_load(side.read_text(encoding="utf-8-sig"))
            except yaml.YAMLError as exc:
                raise _Invalid(f"invalid sidecar {side.name}: {_one_line(exc)}") from exc
            if meta is None:
                return {}
            if not isinstance(meta, dict):
                raise _Invalid(f"sidecar {side.name} must be a mapping of fields")
            return meta
    return {}


def load_file(path: Path, *, root: Path | None = None) -> list[Document]:
    """All documents in one file: one, or one per article for a statute."""
    suffix = path.suffix.lower()
    if suffix in STATUTE_SUFFIXES:
        try:
            docs = read_statute(path)
        except ValueError as exc:
            raise _Invalid(str(exc)) from exc
        side = _sidecar(path)
        if side:  # e.g. {team: ..., audience: internal, allowed_teams: [...]} for a whole law
            docs = [_override(d, side, path, root or path.parent) for d in docs]
        return docs
    return [load_document(path, root=root)]


def _override(doc: Document, side: dict[str, Any], path: Path, root: Path) -> Document:
    from dataclasses import replace

    meta = {"id": doc.id, "title": doc.title, "language": doc.language, "url": doc.url,
            "effective_date": doc.effective_date, "version": doc.version, "team": doc.team}  # fmt: skip
    meta.update({k: v for k, v in side.items() if k not in ("id", "title", "url")})
    if "audience" not in meta:
        meta["audience"] = doc.audience
    built = _build(meta, doc.body, path, root)
    return replace(built, source_path=doc.source_path)


def load_document(path: Path, *, root: Path | None = None) -> Document:
    """Parse one single-document file. Raises _Invalid (a ValueError), UnicodeDecodeError or OSError."""
    suffix = path.suffix.lower()
    meta: dict[str, Any] = {}
    reader = BINARY_READERS.get(suffix)
    if reader is not None:
        try:
            meta, body = reader(path)
        except OSError:
            raise
        except FormatError as exc:
            raise _Invalid(str(exc)) from exc
        except Exception as exc:  # parser libraries raise all sorts on damaged files
            raise _Invalid(f"cannot parse {suffix[1:].upper()} file: {_one_line(exc) or type(exc).__name__}") from exc
    else:
        text = path.read_bytes().decode("utf-8-sig")  # strict: garbage is an error, not mojibake
        body = text
        if suffix in MARKDOWN_SUFFIXES:
            meta, body = split_front_matter(text)
    meta.update(_sidecar(path))
    if not body.strip():
        raise _Invalid("empty document")
    return _build(meta, body, path, root or path.parent)


def split_front_matter(text: str) -> tuple[dict[str, Any], str]:
    match = _FRONT_MATTER.match(text)
    if match is None:
        # An opening fence without a closing one is a typo, not content.
        if re.match(r"\A---[ \t]*\r?\n", text):
            raise _Invalid("front matter is not closed with '---'")
        return {}, text
    try:
        meta = yaml.safe_load(match.group(1))
    except yaml.YAMLError as exc:
        raise _Invalid(f"invalid YAML front matter: {_one_line(exc)}") from exc
    if meta is None:
        meta = {}
    if not isinstance(meta, dict):
        raise _Invalid("front matter must be a mapping of fields")
    return meta, text[match.end() :]


def _build(meta: dict[str, Any], body: str, path: Path, root: Path) -> Document:
    doc_id = _opt_str(meta, "id") or _slug(path.stem)
    if not _ID.match(doc_id):
        raise _Invalid(f"invalid id {doc_id!r}: use letters, digits, '.', '_' or '-'")
    title = _opt_str(meta, "title") or _first_h1(body) or _title_from_name(path.stem)
    # The same detector as the chat's (knowledge/languages.py), on the opening of the text.
    language = (_opt_str(meta, "language") or detect_language(body[:2000], previous=DEFAULT_LANGUAGE)).lower()
    team = _opt_str(meta, "team")
    audience = _audience(meta, path, root)
    allowed = _str_tuple(meta.get("allowed_teams"), "allowed_teams")
    if audience == "internal" and not allowed and team:
        allowed = (team,)  # an internal document is at least readable by its own team
    return Document(
        id=doc_id,
        title=title,
        language=language,
        audience=audience,
        team=team,
        allowed_teams=allowed,
        url=_opt_str(meta, "url") or f"/documents/{doc_id}",
        effective_date=_date(meta.get("effective_date")),
        version=_opt_str(meta, "version"),
        summary=_opt_str(meta, "summary"),
        body=body.strip("\n"),
        source_path=str(path),
    )


def _audience(meta: dict[str, Any], path: Path, root: Path) -> Audience:
    value = meta.get("audience")
    if value is None:
        # Fail closed: a file filed under an "internal" folder without front matter must not
        # silently become public.
        try:
            parts = path.relative_to(root).parts[:-1]
        except ValueError:
            parts = path.parts[:-1]
        return "internal" if "internal" in (p.lower() for p in parts) else "public"
    text = str(value).strip().lower()
    for audience in AUDIENCES:
        if text == audience:
            return audience
    raise _Invalid(f"audience must be one of {', '.join(AUDIENCES)}, not {value!r}")


def _opt_str(meta: dict[str, Any], key: str) -> str | None:
    value = meta.get(key)
    if value is None:
        return None
    if isinstance(value, (dict, list)):
        raise _Invalid(f"{key} must be a single value")
    text = str(value).strip()
    return text or None


def _str_tuple(value: Any, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [v for v in re.split(r"[,\s]+", value) if v]
    if not isinstance(value, list) or not all(isinstance(v, (str, int)) for v in value):
        raise _Invalid(f"{key} must be a list of team ids")
    return tuple(dict.fromkeys(str(v).strip() for v in value if str(v).strip()))


def _date(value: Any) -> date | None:
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip())
    except ValueError as exc:
        raise _Invalid(f"effective_date must be a date like 2026-01-01, not {value!r}") from exc


def _first_h1(body: str) -> str | None:
    match = _H1.search(body)
    return match.group(1).strip() if match else None


def _slug(stem: str) -> str:
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", stem).strip("-.")
    return slug or "document"


def _title_from_name(stem: str) -> str:
    words = re.sub(r"[-_]+", " ", stem).strip()
    return words[:1].upper() + words[1:] if words else stem


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())


# Frequent function words; enough to tell Dutch from English in a policy text.
