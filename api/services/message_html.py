"""What a chat message looks like on the page: the bot's Markdown (lists, bold, links) as safe HTML.

Raw HTML in a message is escaped, and markdown-it refuses javascript:/data: links, so nothing a
document or a citizen typed can run in the page. A citizen's own text is never rendered.
"""

from __future__ import annotations

from functools import lru_cache

from markdown_it import MarkdownIt

RENDERED_AUTHORS = frozenset({"bot", "system"})


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # "breaks": a single line break stays one, as the bot joins an answer's lines with them.
    return MarkdownIt("commonmark", {"html": False, "breaks": True, "linkify": False})


def message_html(author: str, text: str) -> str | None:
    """HTML for a bot or system message; None for what a citizen or moderator typed (shown as text)."""
    if author not in RENDERED_AUTHORS:
        return None
    html = _markdown().render(text).strip()
    # Links open beside the chat, not in place of it.
    return html.replace("<a href=", '<a target="_blank" rel="noopener" href=')
