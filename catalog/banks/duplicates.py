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
MAX_BUCKET = 40  # a 3-gram shared by more texts than this is not rare enough to pair them


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
    """Pairs (a new text, a new or existing one) at least ``threshold`` (0–100) similar.

    Each pair is compared once, in the bucket of the rarest 3-gram the two share, so no set of
    compared pairs is kept: memory stays proportional to the number of texts.
    """
    items = [(ref, text, True) for ref, text in new]
    items += [(ref, text, False) for ref, text in existing]
    # Two passes over the texts (count, then pick) instead of keeping every text's 3-grams.
    frequency: Counter[str] = Counter()
    for _, text, _ in items:
        frequency.update(_grams(text))
    chosen: list[dict[str, int]] = []  # per text: the 3-grams of its buckets
    buckets: dict[str, list[int]] = defaultdict(list)
    for index, (_, text, _) in enumerate(items):
        grams = _grams(text)
        # A 3-gram found in no other text (or in too many) cannot usefully pair this text.
        shared = [g for g in grams if 1 < frequency[g] <= MAX_BUCKET]
        picks = sorted(shared, key=lambda g: (frequency[g], g))[:RARE_GRAMS]
        chosen.append(dict.fromkeys(picks, 0))
        for gram in picks:
            buckets[gram].append(index)
    found = []
    for gram, members in buckets.items():
        for position, i in enumerate(members):
            for j in members[position + 1 :]:
                if not (items[i][2] or items[j][2]):
                    continue
                common = chosen[i].keys() & chosen[j].keys()
                if min(common, key=lambda g: (frequency[g], g)) != gram:
                    continue  # compared in the bucket of a rarer shared 3-gram
                score = fuzz.ratio(items[i][1], items[j][1], score_cutoff=threshold)
                if score:
                    first, second = (i, j) if items[i][2] else (j, i)
                    found.append(NearDuplicate(items[first][0], items[second][0], round(score, 1)))
    return found
