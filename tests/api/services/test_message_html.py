"""Bot messages as safe HTML: Markdown rendered, raw HTML and script links refused."""

from __future__ import annotations

from api.services.message_html import message_html


def test_lists_bold_and_links_are_rendered() -> None:
    html = message_html(
        "bot", "U neemt mee:\n- een **pasfoto**\n- uw oude paspoort\n\nZie [de site](https://www.vlietstad.nl)."
    )
    assert html is not None
    assert "<li>een <strong>pasfoto</strong></li>" in html
    assert '<a target="_blank" rel="noopener" href="https://www.vlietstad.nl">de site</a>' in html


def test_raw_html_and_script_links_never_reach_the_page() -> None:
    html = message_html("bot", "<img src=x onerror=alert(1)> [klik](javascript:alert(1))")
    assert html is not None
    assert "<img" not in html and "&lt;img" in html
    assert 'href="javascript' not in html


def test_what_people_type_is_not_rendered() -> None:
    assert message_html("citizen", "**hallo**") is None
    assert message_html("moderator", "- lijst") is None
