"""Judged relevance: nDCG@10 and recall@10 of an engine over a fixed set of documents and
queries (tests/search/relevance: the set, its floor in the tests; ``make bench`` prints it).

A judgment grades a document for a query: 2 is what the searcher wants, 1 relevant but
secondary; an unjudged document counts 0.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from search.interfaces import IndexSettings, SearchEngine, SearchQuery
from search.text import pinyin_sort_key, vocabulary_terms

K = 10


@dataclass(frozen=True)
class Judged:
    q: str
    index: str
    kind: str
    relevant: dict[str, int]


@dataclass
class Scores:
    """Means over the queries, overall and by kind of query."""

    ndcg: float
    recall: float
    queries: int
    by_kind: dict[str, dict[str, float]] = field(default_factory=dict)
    misses: list[dict[str, Any]] = field(default_factory=list)  # queries under 0.5 nDCG


def ndcg_at(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    gains = [(2 ** relevant.get(doc, 0) - 1) / math.log2(i + 2) for i, doc in enumerate(ranked[:k])]
    ideal = sorted(relevant.values(), reverse=True)[:k]
    best = sum((2**grade - 1) / math.log2(i + 2) for i, grade in enumerate(ideal))
    return sum(gains) / best if best else 0.0


def recall_at(ranked: list[str], relevant: dict[str, int], k: int = K) -> float:
    wanted = {doc for doc, grade in relevant.items() if grade > 0}
    return len(wanted & set(ranked[:k])) / len(wanted) if wanted else 0.0


def load(folder: Path) -> tuple[dict[str, list[dict[str, Any]]], list[Judged], list[list[str]]]:
    """The documents by index, the judged queries and the synonym groups of a relevance set."""
    documents = json.loads((folder / "documents.json").read_text(encoding="utf-8"))
    raw = json.loads((folder / "queries.json").read_text(encoding="utf-8"))
    queries = [
        Judged(q["q"], q["index"], q["kind"], {str(k): int(v) for k, v in q["relevant"].items()})
        for q in raw["queries"]
    ]
    return documents, queries, raw.get("synonyms", [])


def index(
    engine: SearchEngine,
    settings: dict[str, IndexSettings],
    documents: dict[str, list[dict[str, Any]]],
    *,
    synonyms: list[list[str]],
    vocabulary: list[str],
) -> None:
    """Each index of the set built with the service's own settings, synonyms and vocabulary."""
    groups = {group[0]: group[1:] for group in synonyms if len(group) > 1}
    for name, docs in documents.items():
        wanted = replace(settings[name], synonyms=groups, vocabulary=vocabulary_terms(vocabulary))
        engine.ensure_index(wanted)
        engine.upsert(
            name, [{**d, "title_sort": pinyin_sort_key(str(d.get("title", "")))} for d in docs]
        )


def evaluate(engine: SearchEngine, queries: list[Judged]) -> Scores:
    by_kind: dict[str, list[tuple[float, float]]] = defaultdict(list)
    misses = []
    for judged in queries:
        result = engine.search(SearchQuery(index=judged.index, text=judged.q, limit=K))
        ranked = [hit.id for hit in result.hits]
        ndcg, recall = ndcg_at(ranked, judged.relevant), recall_at(ranked, judged.relevant)
        by_kind[judged.kind].append((ndcg, recall))
        if ndcg < 0.5:
            misses.append(
                {"q": judged.q, "kind": judged.kind, "ndcg": round(ndcg, 3), "got": ranked[:5]}
            )
    pairs = [pair for values in by_kind.values() for pair in values]
    return Scores(
        ndcg=sum(n for n, _ in pairs) / len(pairs),
        recall=sum(r for _, r in pairs) / len(pairs),
        queries=len(pairs),
        by_kind={
            kind: {
                "ndcg": sum(n for n, _ in values) / len(values),
                "recall": sum(r for _, r in values) / len(values),
                "queries": len(values),
            }
            for kind, values in sorted(by_kind.items())
        },
        misses=misses,
    )
