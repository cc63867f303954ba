"""Turn HTML, DOCX and PDF files into Markdown-ish text that the chunker understands.

Each reader returns ``(metadata, body)``: metadata found in the file itself (title, language,
summary; front matter or a sidecar can override it), and a body where headings are Markdown
headings (``#``, ``##``, ...) and paragraphs/list items are separated by blank lines, so
``knowledge.chunking`` follows the document's structure whatever format it came in.

The parsing libraries are imported on first use (beautifulsoup4, python-docx, pypdf).
A file they cannot parse raises ``FormatError``; ingest reports it by name and skips it.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

HTML_SUFFIXES = frozenset({".html", ".htm"})
DOCX_SUFFIXES = frozenset({".docx"})
PDF_SUFFIXES = frozenset({".pdf"})


class FormatError(ValueError):
    """The file is not a readable document of its type."""


def _clean(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


# --- HTML --------------------------------------------------------------------------------------

_HTML_DROP = ("script", "style", "noscript", "template", "nav", "footer", "header", "aside", "form", "svg")
_HTML_BLOCKS = ("h1", "h2", "h3", "h4", "h5", "h6", "p", "li", "td", "th", "dt", "dd", "pre", "blockquote")


def read_html(path: Path) -> tuple[dict[str, Any], str]:
    from bs4 import BeautifulSoup

    raw = path.read_bytes()
    soup = BeautifulSoup(raw, "html.parser")  # stdlib parser: tolerant, no native dependency
    meta: dict[str, Any] = {}
    html = soup.find("html")
    if html is not None and html.get("lang"):
        meta["language"] = str(html.get("lang")).split("-")[0].lower()
    if soup.title and soup.title.string and _clean(soup.title.string):
        meta["title"] = _clean(soup.title.string)
    for tag in soup.find_all("meta"):
        name = str(tag.get("name") or tag.get("property") or "").lower()
        content = tag.get("content")
        if not content:
            continue
        if name in ("description", "og:description"):
            meta.setdefault("summary", _clean(str(content)))
        elif name.startswith("loket:"):  # <meta name="loket:team" content="afval">, etc.
            meta[name.split(":", 1)[1]] = str(content).strip()
    for tag in soup.find_all(_HTML_DROP):
        tag.decompose()
    root = soup.find("main") or soup.find("article") or soup.body or soup
    blocks: list[str] = []
    for element in root.find_all(_HTML_BLOCKS):
        # Only the innermost block: an <li> holding a <p> is emitted once, via the <p>.
        if element.find(_HTML_BLOCKS):
            continue
        text = _clean(element.get_text(" "))
        if not text:
            continue
        name = element.name
        if name[0] == "h" and name[1:].isdigit():
            blocks.append("#" * int(name[1:]) + " " + text)
        elif name == "li" or element.find_parent("li") is not None:
            blocks.append("- " + text)
        else:
            blocks.append(text)
    if not blocks:  # bare text without block tags
        text = _clean(root.get_text(" "))
        if text:
            blocks.append(text)
    if "title" not in meta:
        h1 = soup.find("h1")
        if h1 is not None and _clean(h1.get_text(" ")):
            meta["title"] = _clean(h1.get_text(" "))
    return meta, "\n\n".join(blocks)


# --- DOCX --------------------------------------------------------------------------------------

_HEADING_STYLE = re.compile(r"^(?:heading|kop)\s*(\d)$", re.IGNORECASE)


def read_docx(path: Path) -> tuple[dict[str, Any], str]:
    import zipfile

    try:
        import docx
        from docx.opc.exceptions import PackageNotFoundError
    except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
        raise FormatError(f"python-docx is not installed: {exc}") from exc
    try:
        document = docx.Document(str(path))
    except (PackageNotFoundError, zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise FormatError(f"not a readable DOCX file: {exc}") from exc
    meta: dict[str, Any] = {}
    props = document.core_properties
    if props.title and props.title.strip():
        meta["title"] = props.title.strip()
    if props.language and props.language.strip():
        meta["language"] = props.language.strip().split("-")[0].lower()
    if props.subject and props.subject.strip():
        meta["summary"] = props.subject.strip()
    blocks: list[str] = []
    for paragraph in document.paragraphs:
        text = _clean(paragraph.text)
        if not text:
            continue
        style = (paragraph.style.name if paragraph.style is not None else "") or ""
        heading = _HEADING_STYLE.match(style.strip())
        if style.strip().lower() == "title":
            meta.setdefault("title", text)
            blocks.append("# " + text)
        elif heading:
            blocks.append("#" * max(1, min(6, int(heading.group(1)))) + " " + text)
        elif "list" in style.lower():
            blocks.append("- " + text)
        else:
            blocks.append(text)
    for table in document.tables:
        for row in table.rows:
            cells = [_clean(c.text) for c in row.cells]
            line = " | ".join(dict.fromkeys(c for c in cells if c))
            if line:
                blocks.append(line)
    return meta, "\n\n".join(blocks)


# --- PDF ---------------------------------------------------------------------------------------


def read_pdf(path: Path) -> tuple[dict[str, Any], str]:
    try:
        from pypdf import PdfReader
        from pypdf.errors import PdfReadError
    except ImportError as exc:  # pragma: no cover - dependency declared in pyproject
        raise FormatError(f"pypdf is not installed: {exc}") from exc
    try:
        reader = PdfReader(str(path))
        if reader.is_encrypted:
            try:
                reader.decrypt("")  # many "protected" PDFs only restrict printing
            except Exception as exc:
                raise FormatError("encrypted PDF") from exc
        pages = [page.extract_text() or "" for page in reader.pages]
        info = reader.metadata
    except FormatError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise FormatError(f"not a readable PDF file: {' '.join(str(exc).split())}") from exc
    meta: dict[str, Any] = {}
    if info is not None and info.title and str(info.title).strip():
        meta["title"] = str(info.title).strip()
    if info is not None and info.subject and str(info.subject).strip():
        meta["summary"] = str(info.subject).strip()
    paragraphs: list[str] = []
    for page in pages:
        # pypdf gives one line per text line; blank lines (or very short lines) end paragraphs.
        for block in re.split(r"\n\s*\n", page):
            lines = [ln.strip() for ln in block.splitlines()]
            current: list[str] = []
            for line in lines:
                if not line:
                    continue
                current.append(line)
                if line.endswith((".", ":", "?", "!")) and len(line) < 60:
                    paragraphs.append(_join_lines(current))
                    current = []
            if current:
                paragraphs.append(_join_lines(current))
    if not any(p.strip() for p in paragraphs):
        raise FormatError("PDF has no extractable text (scanned image? OCR is not supported)")
    return meta, "\n\n".join(_clean(p) for p in paragraphs if p.strip())


def _join_lines(lines: list[str]) -> str:
    """Join wrapped lines; a word broken at a line end ("aan-" + "vraag") is joined again."""
    out = lines[0]
    for line in lines[1:]:
        if out.endswith("-") and len(out) > 1 and out[-2].isalpha() and line[:1].islower():
            out = out[:-1] + line
        else:
            out = out + " " + line
    return out
