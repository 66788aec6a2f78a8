"""HTML question text to plain text (and back) for the Moodle formats."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from itertools import groupby

_SUPERSCRIPT = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUBSCRIPT = str.maketrans("0123456789+-=()", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎")
# tags that mark text as HTML when no format is declared (Moodle's default GIFT format allows it)
_TAG_NAMES = (
    r"p|br|b|i|u|s|em|strong|small|big|strike|sup|sub|span|div|pre|code|img|ul|ol|li|table"
    r"|thead|tbody|tfoot|tr|td|th|caption|col|colgroup|hr|h[1-6]|font|a|blockquote|center"
)
HTML_TAG = re.compile(rf"</?({_TAG_NAMES})\b[^>]*>", re.IGNORECASE)
_BREAKS = {"p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextCollector(HTMLParser):
    """Text runs, each marked whether it sits inside ``<pre>`` (where spacing is meaning)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, bool]] = []
        self.pre = 0
        self.raised = 0  # inside <sup>
        self.lowered = 0  # inside <sub>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.pre += 1
        self.raised += tag == "sup"
        self.lowered += tag == "sub"
        if tag == "br":  # a line break as written: two of them leave a blank line
            self.parts.append((_HARD_BREAK, False))
        if tag in _BREAKS or tag == "pre":
            self.parts.append(("\n", False))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)  # <br/> as <br>, without counting an end

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag == "sup":
            self.raised = max(0, self.raised - 1)
        if tag == "sub":
            self.lowered = max(0, self.lowered - 1)
        if tag in _BREAKS or tag == "pre":
            self.parts.append(("\n", False))

    def handle_data(self, data: str) -> None:
        if self.raised or self.lowered:  # m<sup>2</sup> is m², not m2 (another option's text)
            data = _shifted(
                data, _SUPERSCRIPT if self.raised else _SUBSCRIPT, "^" if self.raised else "_"
            )
        self.parts.append((data, self.pre > 0))


def _shifted(text: str, table: dict[int, int], mark: str) -> str:
    shifted = text.translate(table)
    if all(ord(char) in table or char == " " for char in text):
        return shifted
    return f"{mark}({text})"


_HARD_BREAK = "\u2028"
# a "<" that starts no tag of HTML_TAG's, no comment and no declaration is text: 2<3, x<y
# Where HTML is declared, a "<" that opens no tag is text as a browser reads it (2<3); where it
# was only recognised by its tags (Moodle's auto format), so is any "<" that opens none of
# those tags (x<y? <b>…</b>)
_NOT_A_TAG = re.compile(r"<(?![A-Za-z/!?])")
_NOT_A_KNOWN_TAG = re.compile(rf"<(?!/?(?:{_TAG_NAMES})\b[^<>]*>|!--)", re.IGNORECASE)


_IMAGE = re.compile(r"""<img\b[^>]*?\bsrc\s*=\s*["']?([^"'\s>]*)""", re.IGNORECASE)


def image_sources(markup: str) -> list[str]:
    """The ``src`` of each ``<img>`` in ``markup`` (empty for none)."""
    return _IMAGE.findall(markup)


def looks_like_html(text: str) -> bool:
    return HTML_TAG.search(text) is not None


def html_to_text(markup: str, *, known_tags_only: bool = False) -> str:
    """Plain text of HTML: runs of spaces fold and blank lines go, except inside ``<pre>``,
    whose indentation and line breaks are kept as written (code, wiring tables)."""
    collector = _TextCollector()
    stray = _NOT_A_KNOWN_TAG if known_tags_only else _NOT_A_TAG
    collector.feed(stray.sub("&lt;", markup))
    collector.close()
    lines: list[str] = []
    for preformatted, run in groupby(collector.parts, key=lambda part: part[1]):
        text = "".join(data for data, _ in run)
        if preformatted:
            text = text.removeprefix("\r").removeprefix("\n").rstrip()
            lines.extend(line.rstrip() for line in text.split("\n"))
            continue
        text = re.sub(r"[ \t\xa0]+", " ", text)
        for line in text.split("\n"):  # source line breaks fold; <br> breaks are kept
            if line.strip(" " + _HARD_BREAK):
                lines.extend(
                    part.strip() for part in line.strip(" " + _HARD_BREAK).split(_HARD_BREAK)
                )
    return "\n".join(lines)


def text_to_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))
