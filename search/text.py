"""Chinese text normalisation: width, case, whitespace, punctuation and Traditional→Simplified."""

from __future__ import annotations

import functools
import unicodedata

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


def squeeze(text: str) -> str:
    """``fold``, then drop whitespace, punctuation and symbols: the skeleton used to compare."""
    return "".join(ch for ch in fold(text) if not _is_noise(ch))
