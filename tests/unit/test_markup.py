"""The briefing's HTML is escaped by default (streams.report.markup)."""

from __future__ import annotations

from streams.report.markup import Html, html, join, tag


def test_text_is_escaped_and_markup_kept() -> None:
    assert tag("td", "<b>Hải Phòng</b> & co", class_="n") == '<td class="n">&lt;b&gt;Hải Phòng&lt;/b&gt; &amp; co</td>'
    assert tag("p", tag("span", "x", class_="on"), " & ", Html("<br>")) == '<p><span class="on">x</span> &amp; <br></p>'
    assert tag("img", alt='a "quoted" <alt>', src="data:image/png;base64,AAA=") == (
        '<img alt="a &quot;quoted&quot; &lt;alt&gt;" src="data:image/png;base64,AAA=">'
    )
    assert html(None) == "" and html(3.5) == "3.5" and join(["<", tag("i", ">")]) == "&lt;<i>&gt;</i>"


def test_text_joined_to_markup_is_text_again() -> None:
    """Html + str is a plain str, so it is escaped where it is placed: markup only comes from tag()."""
    mixed = Html("<i>a</i>") + "<b>"
    assert not isinstance(mixed, Html)
    assert tag("p", mixed) == "<p>&lt;i&gt;a&lt;/i&gt;&lt;b&gt;</p>"
