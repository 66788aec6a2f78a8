"""Chinese text normalisation: width, case, whitespace, punctuation and Traditional→Simplified."""

from __future__ import annotations

import functools
import html
import itertools
import threading
import unicodedata
from collections.abc import Iterable
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


# --- the industry vocabulary ---------------------------------------------------------------

_vocabulary_lock = threading.Lock()
_vocabulary: tuple[str, ...] = ()  # the trade terms this process's segmenter knows now
_vocabulary_before: dict[str, int | None] = {}  # each added term's own frequency before it


def use_vocabulary(words: tuple[str, ...]) -> None:
    """Have the segmenter keep these trade terms whole (倒闸操作, 两票三制, 接地线) in this
    process, and forget terms no longer listed.

    Engines call it with their index's settings before analysing a document or a query, so
    web processes, consumers and rebuild workers all cut text alike, whatever each was told
    before: the vocabulary lives with the index, not in one process's memory.
    """
    global _vocabulary
    if words == _vocabulary:
        return
    with _vocabulary_lock:
        if words == _vocabulary:
            return
        segmenter = _jieba().dt
        wanted = set(words)
        for word in set(_vocabulary) - wanted:
            before = _vocabulary_before.pop(word, None)
            if before:
                segmenter.add_word(word, before)
            else:
                segmenter.del_word(word)
        for word in wanted - set(_vocabulary):
            _vocabulary_before[word] = segmenter.FREQ.get(word) or None
            segmenter.add_word(word)
        _vocabulary = words


def vocabulary_term(word: str) -> str:
    """A term as the segmenter gets it: folded (Traditional and full-width too), no spaces."""
    return fold(word).replace(" ", "")


def vocabulary_terms(words: Iterable[str]) -> tuple[str, ...]:
    """``vocabulary_term`` of each, each once, in a stable order (so two processes given the
    same list compare equal)."""
    return tuple(sorted({vocabulary_term(w) for w in words} - {""}))


# --- pinyin -----------------------------------------------------------------------------------

PINYIN_SPAN = 5  # a pinyin term joins up to this many neighbouring words (倒闸 + 操作 → dzcz)
PINYIN_REACH = 8  # syllables read on from each character, for prefixes that start anywhere
PINYIN_RUN = 40  # characters of one text given pinyin terms (a long text: its start)


# Trade readings pypinyin's general dictionary gets wrong: 调压 is tiáoyā (voltage or
# pressure regulation), not diàoyā; 公差 is gōngchā; the cutting trades read 削 as xiāo.
TRADE_READINGS = {
    "调压": "tiáo yā",
    "公差": "gōng chā",
    "切削": "qiē xiāo",
    "车削": "chē xiāo",
    "铣削": "xǐ xiāo",
    "锉削": "cuò xiāo",
    "锯削": "jù xiāo",
    "刨削": "bào xiāo",
    "磨削": "mó xiāo",
}


@functools.cache
def _pinyin() -> Any:
    from pypinyin import lazy_pinyin, load_phrases_dict  # large tables: loaded once, by warm()

    load_phrases_dict(
        {phrase: [[s] for s in reading.split()] for phrase, reading in TRADE_READINGS.items()}
    )
    return lazy_pinyin


def _hanzi_runs(text: str) -> list[str]:
    return ["".join(group) for key, group in itertools.groupby(text, _is_hanzi) if key]


def pinyin_terms(texts: Iterable[str]) -> str:
    """Pinyin terms of the Chinese in ``texts``, matched as prefixes:

    - from every character, its syllables and up to ``PINYIN_REACH`` that follow, so the
      pinyin of any word finds the text whatever the segmenter made of it (管网 in 燃气管网,
      cut 燃气管 + 网): guanwangxunjian; and their initials when three or more (gwxj), since
      a trade term kept whole (管网巡检) has no word boundary inside;
    - for each word and each run of up to ``PINYIN_SPAN`` words from it, its full pinyin
      and its initials (配电网运维与倒闸操作: daozha, daozhacaozuo, dz, dzcz, …), so words
      typed apart match whole words and initials start where words start.
    """
    terms: dict[str, None] = {}
    for text in texts:
        for run in _hanzi_runs(fold(text)):
            run = run[:PINYIN_RUN]
            syllables = _pinyin()(run)
            if len(syllables) != len(run):  # not one syllable per character: keep it whole
                terms["".join(syllables)] = None
                continue
            for i in range(len(run)):
                reach = syllables[i : i + PINYIN_REACH]
                terms["".join(reach)] = None
                if len(reach) >= 3:  # initials from inside a trade term: gwxj in 燃气管网巡检
                    terms["".join(x[0] for x in reach)] = None
            words = [w for w in _jieba().cut(run) if w]
            starts = list(itertools.accumulate((len(w) for w in words), initial=0))
            for i in range(len(words)):
                for j in range(i + 1, min(i + PINYIN_SPAN, len(words)) + 1):
                    _add_forms(terms, syllables[starts[i] : starts[j]])
            for word in _jieba().cut_for_search(run):  # 配电网 also as 配电 and 电网
                at = run.find(word)
                if len(word) > 1 and at >= 0:
                    _add_forms(terms, syllables[at : at + len(word)])
        if len(terms) > 2000:  # a long list of texts: enough
            break
    return " ".join(t for t in terms if t)


def _add_forms(terms: dict[str, None], syllables: list[str]) -> None:
    """The syllables' full pinyin, and their initials when there are two or more (a single
    letter would match every word that starts with it)."""
    terms["".join(syllables)] = None
    if len(syllables) > 1:
        terms["".join(s[0] for s in syllables)] = None


def pinyin_of_document(document: dict[str, Any], attributes: tuple[str, ...]) -> str:
    """``pinyin_terms`` of these attributes of a document (each element of a list alone):
    what both engines index as its pinyin, so they answer pinyin alike."""
    texts: list[str] = []
    for name in attributes:
        value = document.get(name)
        if isinstance(value, list | tuple):
            texts += [str(v) for v in value if v is not None]
        elif value is not None:
            texts.append(str(value))
    return pinyin_terms(texts)


def pinyin_of_query(text: str) -> list[str]:
    """Mixed input as pinyin, Chinese and letters together: 倒闸cz and dz操作 → dzcz (initials,
    when the letters typed are initials), 倒闸caozuo → daozhacaozuo. Nothing for a query that
    is all Chinese or all letters (those match as they are)."""
    folded = "".join(fold(text).split())
    hanzi = any(_is_hanzi(ch) for ch in folded)
    letters = [ch for ch in folded if ch.isascii() and ch.isalpha()]
    plain = all((ch.isascii() and ch.isalnum()) or _is_hanzi(ch) for ch in folded)
    if not hanzi or not letters or not plain:
        return []
    initials_typed = not any(ch in "aeiouv" for ch in letters)
    out = []
    for key, group in itertools.groupby(folded, _is_hanzi):
        chunk = "".join(group)
        if key:
            syllables = _pinyin()(chunk)
            out.append("".join(s[0] for s in syllables) if initials_typed else "".join(syllables))
        else:
            out.append(chunk)
    return ["".join(out)]


SORT_KEY_LENGTH = 255


def pinyin_sort_key(text: str) -> str:
    """A key that orders titles as Chinese readers expect (拼音排序): each character by its
    pinyin with the tone as a digit (阿 a1 < 爱 ai4 < 安 an1), other text folded as it is,
    the same whatever database sorts it."""
    parts: list[str] = []
    for key, group in itertools.groupby(fold(text), _is_hanzi):
        chunk = "".join(group)
        if key:
            parts += _pinyin()(chunk, style=_tone3(), neutral_tone_with_five=True)
        else:
            parts.append(chunk.strip())
    return " ".join(p for p in parts if p)[:SORT_KEY_LENGTH]


@functools.cache
def _tone3() -> Any:
    from pypinyin import Style

    return Style.TONE3


def warm() -> None:
    """Load the segmenter, the script converter and the pinyin tables now (about half a
    second), when a web process or consumer starts, rather than in its first search."""
    tokens("配电网倒闸操作")
    to_simplified("預熱")
    _pinyin()("预热")


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
    """``text`` with the terms marked, cut around the first match; None when nothing matches.

    Clients show highlights as HTML (to draw the marks), so the text itself is escaped: a
    title written as ``<img onerror=…>`` is shown, never run. The marks are the only markup.
    """
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
        out.append(html.escape(text[cursor:start]))
        out.append(before + html.escape(text[start:end]) + after)
        cursor = end
    out.append(html.escape(text[cursor:window_end]))
    prefix = "…" if window_start > 0 else ""
    suffix = "…" if window_end < len(text) else ""
    return prefix + "".join(out) + suffix
