"""Chinese text normalisation: width, case, whitespace, punctuation and Traditional→Simplified."""

from __future__ import annotations

import functools
import itertools
import unicodedata
from typing import Any

import opencc


@functools.cache
def _t2s() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def to_simplified(text: str) -> str:
    return str(_t2s().convert(text))


def fold(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, Traditional to Simplified, spaces collapsed."""
    folded = unicodedata.normalize("NFKC", text).lower()
    return " ".join(to_simplified(folded).split())


def _is_noise(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in {"P", "Z", "S", "C"}  # punctuation, spaces, symbols, control


_MEANING = {"-", "\u2212"}  # minus signs: +5 and -5 differ


def _is_noise_when_compared(char: str) -> bool:
    """Math symbols (< > = + ± ≥ ≤ ×) and minus signs are meaning: I>Ie is not I<Ie."""
    if char in _MEANING or unicodedata.category(char) == "Sm":
        return False
    return _is_noise(char)


_BETWEEN_DIGITS = {".", ":", "/"}  # 2.5 is not 25, 1:2 and 1/2 not 12


def squeeze(text: str) -> str:
    """``fold``, then drop whitespace, punctuation and symbols other than math ones and the
    point, colon or slash between two digits: the skeleton used to compare answers, options
    and questions."""
    folded = fold(text)
    kept = []
    for index, char in enumerate(folded):
        between = 0 < index < len(folded) - 1 and folded[index - 1].isdigit()
        if char in _BETWEEN_DIGITS and between and folded[index + 1].isdigit():
            kept.append(char)
            continue
        if not _is_noise_when_compared(char):
            kept.append(char)
    return "".join(kept)


# --- analysis for the search engines -------------------------------------------------------


@functools.cache
def _jieba() -> Any:
    import jieba  # loaded on first use: its dictionary costs a process ~0.5 s and 60 MB

    jieba.setLogLevel(60)  # it announces its dictionary on stderr otherwise
    jieba.initialize()
    return jieba


def tokens(text: str) -> list[str]:
    """Search-mode words of folded text: 配电网 → 配电, 电网, 配电网 (so parts find the whole)."""
    folded = fold(text)
    if not folded:
        return []
    words = _jieba().cut_for_search(folded)
    return [w for w in (word.strip() for word in words) if w and not all(map(_is_noise, w))]


def query_words(text: str) -> list[str]:
    """Words of a query, whole (precise mode): 变电所 stays one word, not 变电 + 变电所.

    Runs of single characters the segmenter could not place (倒 闸) are joined again (倒闸):
    such words are matched as character pairs.
    """
    folded = fold(text)
    if not folded:
        return []
    words: list[str] = []
    joined: list[bool] = []  # whether words[i] is a run of single characters
    for word in (w.strip() for w in _jieba().cut(folded)):
        if not word or all(map(_is_noise, word)):
            continue
        single = len(word) == 1 and _is_hanzi(word)
        if single and joined and joined[-1]:
            words[-1] += word
            continue
        words.append(word)
        joined.append(single)
    return words


def _is_hanzi(ch: str) -> bool:
    return "\u4e00" <= ch <= "\u9fff" or "\u3400" <= ch <= "\u4dbf"


def bigrams(text: str) -> list[str]:
    """Overlapping pairs of Chinese characters: 先验电 → 先验, 验电.

    The segmenter may cut 先验电 as 先验 + 电; the pairs still let 验电 find it.
    """
    pairs = []
    folded = fold(text)
    for first, second in itertools.pairwise(folded):
        if _is_hanzi(first) and _is_hanzi(second):
            pairs.append(first + second)
    return pairs


def word_as_bigrams(word: str) -> list[str]:
    """A Chinese word of 3+ characters as its pairs (matched as a phrase); else nothing."""
    if len(word) >= 3 and all(_is_hanzi(ch) for ch in word):
        return [word[i : i + 2] for i in range(len(word) - 1)]
    return []


def analysed(text: str) -> str:
    """Text as the embedded engine indexes it: its words, then its character pairs."""
    return " ".join(tokens(text) + bigrams(text))


def pinyin_forms(text: str) -> str:
    """Full pinyin and initials of the Chinese in ``text``: 配电网 → "peidianwang pdw"."""
    from pypinyin import Style, lazy_pinyin  # loaded on first use, like jieba: large tables

    folded = fold(text)
    hanzi = "".join(ch for ch in folded if "\u4e00" <= ch <= "\u9fff")
    if not hanzi:
        return ""
    full = "".join(lazy_pinyin(hanzi))
    initials = "".join(lazy_pinyin(hanzi, style=Style.FIRST_LETTER))
    return f"{full} {initials}"


def fold_aligned(text: str) -> str:
    """``fold`` without collapsing spaces, one character per character (for highlighting)."""
    chars = []
    for ch in text:
        normal = unicodedata.normalize("NFKC", ch).lower()
        chars.append(normal if len(normal) == 1 else ch.lower())
    joined = "".join(chars)
    converted = to_simplified(joined)
    if len(converted) == len(joined):
        return converted
    return "".join(c if len(s := to_simplified(c)) != 1 else s for c in joined)


def highlight(
    text: str, terms: list[str], *, before: str = "<em>", after: str = "</em>", context: int = 60
) -> str | None:
    """``text`` with the terms marked, cut around the first match; None when nothing matches."""
    if not text or not terms:
        return None
    folded = fold_aligned(text)
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        start = folded.find(term)
        while start >= 0:
            end = start + len(term)
            if not any(s < end and start < e for s, e in spans):
                spans.append((start, end))
            start = folded.find(term, end)
    if not spans:
        return None
    spans.sort()
    merged: list[tuple[int, int]] = []
    for start, end in spans:  # 倒 + 闸 side by side read as one mark: 倒闸
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    spans = merged
    first = spans[0][0]
    window_start = max(0, first - context)
    window_end = min(len(text), first + context * 2)
    out, cursor = [], window_start
    for start, end in spans:
        if start < window_start or end > window_end:
            continue
        out.append(text[cursor:start])
        out.append(before + text[start:end] + after)
        cursor = end
    out.append(text[cursor:window_end])
    prefix = "…" if window_start > 0 else ""
    suffix = "…" if window_end < len(text) else ""
    return prefix + "".join(out) + suffix
