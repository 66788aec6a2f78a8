"""Near-duplicate questions: rapidfuzz similarity on candidates found by rare shared 3-grams.

Comparing every pair of 50,000 questions is far too slow, so each text is put in the buckets
of its six rarest shared character 3-grams and only texts that share a bucket are compared.
Two texts similar enough to matter share most 3-grams, so they meet in some bucket.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

RARE_GRAMS = 6
MAX_BUCKET = 300  # a 3-gram shared by more texts than this says nothing


@dataclass(frozen=True)
class NearDuplicate:
    new: Hashable
    other: Hashable
    score: float


def _grams(text: str) -> set[str]:
    if len(text) < 3:
        return {text} if text else set()
    return {text[i : i + 3] for i in range(len(text) - 2)}


def near_duplicates(
    new: Sequence[tuple[Hashable, str]],
    existing: Sequence[tuple[Hashable, str]] = (),
    *,
    threshold: float,
) -> list[NearDuplicate]:
    """Pairs (a new text, a new or existing one) at least ``threshold`` (0–100) similar."""
    items = [(ref, text, True) for ref, text in new] + [
        (ref, text, False) for ref, text in existing
    ]
    grams = [_grams(text) for _, text, _ in items]
    frequency: Counter[str] = Counter(g for gs in grams for g in gs)
    buckets: dict[str, list[int]] = defaultdict(list)
    for index, gs in enumerate(grams):
        # A 3-gram found in no other text cannot pair this text with anything: skip those.
        shared = [g for g in gs if frequency[g] > 1]
        for gram in sorted(shared, key=lambda g: (frequency[g], g))[:RARE_GRAMS]:
            buckets[gram].append(index)
    seen: set[tuple[int, int]] = set()
    found = []
    for members in buckets.values():
        if len(members) < 2 or len(members) > MAX_BUCKET:
            continue
        for position, i in enumerate(members):
            for j in members[position + 1 :]:
                if not (items[i][2] or items[j][2]) or (i, j) in seen:
                    continue
                seen.add((i, j))
                score = fuzz.ratio(items[i][1], items[j][1], score_cutoff=threshold)
                if score:
                    first, second = (i, j) if items[i][2] else (j, i)
                    found.append(NearDuplicate(items[first][0], items[second][0], round(score, 1)))
    return found
