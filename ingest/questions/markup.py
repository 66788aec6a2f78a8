"""HTML question text to plain text (and back) for the Moodle formats."""

from __future__ import annotations

import html
import re
from html.parser import HTMLParser
from itertools import groupby

_BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6"}


class _TextCollector(HTMLParser):
    """Text runs, each marked whether it sits inside ``<pre>`` (where spacing is meaning)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[tuple[str, bool]] = []
        self.pre = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "pre":
            self.pre += 1
        if tag in _BREAKS or tag == "pre":
            self.parts.append(("\n", False))

    def handle_endtag(self, tag: str) -> None:
        if tag == "pre":
            self.pre = max(0, self.pre - 1)
        if tag in _BREAKS or tag == "pre":
            self.parts.append(("\n", False))

    def handle_data(self, data: str) -> None:
        self.parts.append((data, self.pre > 0))


def html_to_text(markup: str) -> str:
    """Plain text of HTML: runs of spaces fold and blank lines go, except inside ``<pre>``,
    whose indentation and line breaks are kept as written (code, wiring tables)."""
    collector = _TextCollector()
    collector.feed(markup)
    collector.close()
    lines: list[str] = []
    for preformatted, run in groupby(collector.parts, key=lambda part: part[1]):
        text = "".join(data for data, _ in run)
        if preformatted:
            text = text.removeprefix("\r").removeprefix("\n").rstrip()
            lines.extend(line.rstrip() for line in text.split("\n"))
            continue
        text = re.sub(r"[ \t\xa0]+", " ", text)
        lines.extend(line.strip() for line in text.splitlines() if line.strip())
    return "\n".join(lines)


def text_to_html(text: str) -> str:
    return "<br>".join(html.escape(line) for line in text.split("\n"))
