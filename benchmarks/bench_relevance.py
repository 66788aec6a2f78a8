"""Search relevance on the judged set in tests/search/relevance: nDCG@10 and recall@10 of the
embedded engine (and of Meilisearch when ``MEILISEARCH_URL`` is set), overall and by kind of
query (characters, Traditional, pinyin, initials, mixed, typos, synonyms, vocabulary).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_relevance.py``.
"""

from __future__ import annotations

import os
import sys
import tempfile
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import emit, figure  # noqa: E402
from catalog.indexing.documents import INDEXES  # noqa: E402
from catalog.indexing.services import builtin_vocabulary  # noqa: E402
from search import relevance  # noqa: E402
from search.embedded import EmbeddedSearchEngine  # noqa: E402
from search.interfaces import SearchEngine  # noqa: E402
from search.meili import MeilisearchEngine  # noqa: E402

SET = ROOT / "tests" / "search" / "relevance"
NDCG_FLOOR, RECALL_FLOOR = "≥ 0.85", "≥ 0.80"  # as in tests/search/test_relevance.py


def main() -> None:
    documents, queries, synonyms = relevance.load(SET)
    engines: list[tuple[str, SearchEngine]] = []
    with tempfile.TemporaryDirectory() as folder:
        engines.append(("embedded", EmbeddedSearchEngine(Path(folder))))
        if os.environ.get("MEILISEARCH_URL"):
            engines.append(
                (
                    "meilisearch",
                    MeilisearchEngine(
                        os.environ["MEILISEARCH_URL"],
                        api_key=os.environ.get("MEILISEARCH_API_KEY"),
                        prefix=f"bench{uuid.uuid4().hex[:8]}_",
                    ),
                )
            )
        else:
            print("Meilisearch: MEILISEARCH_URL is not set, measured the embedded engine only")
        results = []
        for name, engine in engines:
            relevance.index(
                engine,
                INDEXES,
                documents,
                synonyms=synonyms,
                vocabulary=list(builtin_vocabulary()),
            )
            scores = relevance.evaluate(engine, queries)
            print(
                f"{name}: {scores.queries} judged queries, "
                f"nDCG@10 {scores.ndcg:.3f}, recall@10 {scores.recall:.3f}"
            )
            for kind, values in scores.by_kind.items():
                print(
                    f"  {kind:<12} {int(values['queries']):3d} queries  "
                    f"nDCG@10 {values['ndcg']:.3f}  recall@10 {values['recall']:.3f}"
                )
            for miss in scores.misses:
                print(f"  weak: {miss}")
            results += [
                figure(f"relevance {name}: nDCG@10", scores.ndcg, "", NDCG_FLOOR),
                figure(f"relevance {name}: recall@10", scores.recall, "", RECALL_FLOOR),
            ]
            results += [
                figure(f"relevance {name}: nDCG@10 {kind}", values["ndcg"], "")
                for kind, values in scores.by_kind.items()
            ]
    emit("relevance", results)


if __name__ == "__main__":
    main()
