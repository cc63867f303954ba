"""Public source documents as web pages: where the links in the bot's answers point."""

from __future__ import annotations

import html
from collections.abc import Mapping
from typing import TYPE_CHECKING

from markdown_it import MarkdownIt

if TYPE_CHECKING:
    from knowledge.types import Document

_PAGE = """<!doctype html>
<html lang="{lang}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title><link rel="stylesheet" href="/static/loket.css"></head>
<body class="document"><main>{meta}{body}</main></body></html>"""


class DocumentLibrary:
    """Renders the public documents of the knowledge index as HTML (Markdown body, no raw HTML)."""

    def __init__(self, documents: Mapping[str, Document]) -> None:
        self._documents = documents
        self._markdown = MarkdownIt("commonmark", {"html": False})

    def count(self) -> int:
        return len(self._documents)

    def public_html(self, doc_id: str) -> str | None:
        from knowledge.types import Reader

        document = self._documents.get(doc_id)
        if document is None or not Reader.public().may_read(document):
            return None  # internal documents do not exist for the public
        body = document.body
        if not body.lstrip().startswith("# "):
            body = f"# {document.title}\n\n{body}"
        details = [d for d in (document.version and f"versie {document.version}",
                               document.effective_date and f"geldig vanaf {document.effective_date}") if d]  # fmt: skip
        meta = f'<p class="meta">{html.escape(", ".join(details))}</p>' if details else ""
        return _PAGE.format(
            lang=html.escape(document.language),
            title=html.escape(document.title),
            meta=meta,
            body=self._render_with_anchors(body),
        )

    def _render_with_anchors(self, body: str) -> str:
        """Markdown to HTML with an id on every heading (knowledge.chunking.section_anchor), the
        targets of the section links in the bot's answers."""
        from knowledge.chunking import section_anchor

        tokens = self._markdown.parse(body)
        for opening, inline in zip(tokens, tokens[1:], strict=False):
            if opening.type == "heading_open" and inline.type == "inline":
                opening.attrSet("id", section_anchor(inline.content))
        return str(self._markdown.renderer.render(tokens, self._markdown.options, {}))
