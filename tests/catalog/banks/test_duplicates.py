"""Near-duplicate detection finds similar questions among many, without comparing all pairs."""

from __future__ import annotations

import random

from catalog.banks.duplicates import near_duplicates
from search.text import squeeze

WORDS = (
    "配电网变压器断路器隔离开关倒闸操作票安全措施接地线验电燃气管道阀门泄漏检测巡检记录数控车床编程"
)


def test_a_pair_of_similar_texts_is_found() -> None:
    found = near_duplicates(
        [("new", squeeze("变压器的主要作用都有什么？"))],
        [(7, squeeze("变压器的主要作用是什么？"))],
        threshold=85,
    )
    assert [(m.new, m.other) for m in found] == [("new", 7)]
    assert found[0].score >= 85


def test_similar_pairs_are_found_among_thousands() -> None:
    rng = random.Random(7)
    texts = ["".join(rng.choice(WORDS) for _ in range(30)) for _ in range(5000)]
    existing = list(enumerate(texts))
    # Ten near-copies: one character changed.
    new = []
    for n in range(10):
        original = texts[n * 400]
        changed = original[:10] + "变" + original[11:]
        new.append((("new", n), changed))
    found = near_duplicates(new, existing, threshold=90)
    pairs = {(m.new[1], m.other) for m in found if isinstance(m.other, int)}
    assert {(n, n * 400) for n in range(10)} <= pairs


def test_dissimilar_texts_are_not_reported() -> None:
    found = near_duplicates(
        [("a", squeeze("燃气泄漏时首先应该做什么"))],
        [("b", squeeze("数控车床开机前要检查什么"))],
        threshold=90,
    )
    assert found == []
