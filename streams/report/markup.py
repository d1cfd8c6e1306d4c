"""HTML escaped by default: a string is text, markup is what `tag` built (or `Html` says is trusted).

`tag("td", value, class_="n")` writes `<td class="n">…</td>` with `value` escaped unless it is
`Html`; attribute values are always escaped. The briefing builds its page from these, so no text
from the data (a department's name, a reason, a word of the page) can become markup."""

from __future__ import annotations

from html import escape


class Html(str):
    """Markup, safe as it is: what `tag` returns, or a constant of the page's own (a chart's data URL)."""

    __slots__ = ()  # Html + text is a plain str (escaped when placed): build markup with tag() or join()


def html(part: object) -> Html:
    """A part of a page: markup stays, anything else is escaped text; None is nothing."""
    if part is None:
        return Html("")
    return part if isinstance(part, Html) else Html(escape(str(part)))


def join(parts: list[object] | tuple[object, ...]) -> Html:
    return Html("".join(html(p) for p in parts))


def tag(name: str, *children: object, **attrs: object) -> Html:
    """An element; a trailing underscore in an attribute's name is dropped (class_ -> class)."""
    attributes = "".join(f' {key.rstrip("_")}="{escape(str(value))}"' for key, value in attrs.items() if value is not None)
    if name in ("img", "meta"):
        return Html(f"<{name}{attributes}>")
    return Html(f"<{name}{attributes}>{join(children)}</{name}>")
