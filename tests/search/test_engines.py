"""The SearchEngine contract, run against every engine.

The embedded engine always; Meilisearch when MEILISEARCH_URL (and MEILISEARCH_API_KEY) point at
a live server — without one those cases are skipped with that reason.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from search.embedded import EmbeddedSearchEngine
from search.interfaces import (
    And,
    Eq,
    In,
    IndexSettings,
    Or,
    Range,
    SearchEngine,
    SearchQuery,
)
from search.meili import MeilisearchEngine

SETTINGS = IndexSettings(
    name="lessons",
    searchable=("title", "summary", "transcript"),
    filterable=("industry", "level", "tags"),
    sortable=("hours",),
    synonyms={"变电站": ["变电所"]},
)
DOCS = [
    {
        "id": "1",
        "title": "配电网运维与倒闸操作",
        "summary": "面向一线运维人员",
        "transcript": "",
        "industry": "power",
        "level": 4,
        "tags": ["安全", "配电"],
        "hours": 6,
    },
    {
        "id": "2",
        "title": "城镇燃气管网巡检",
        "summary": "燃气管网日常巡检",
        "transcript": "巡检时也要了解配电网的基本常识",
        "industry": "gas",
        "level": 5,
        "tags": ["燃气"],
        "hours": 4,
    },
    {
        "id": "3",
        "title": "变电所值班员培训",
        "summary": "Substation operator safety training",
        "transcript": "",
        "industry": "power",
        "level": 3,
        "tags": ["安全"],
        "hours": 8,
    },
    {
        "id": "4",
        "title": "配电自动化",
        "summary": "配电终端与主站",
        "transcript": "",
        "industry": "power",
        "level": 2,
        "tags": ["配电"],
        "hours": 10,
    },
    {
        "id": "5",
        "title": "數控車床編程",
        "summary": "繁體字的課程介紹",
        "transcript": "",
        "industry": "manufacturing",
        "level": 3,
        "tags": ["数控"],
        "hours": 12,
    },
]


def _meilisearch() -> SearchEngine:
    url = os.environ.get("MEILISEARCH_URL")
    if not url:
        pytest.skip("MEILISEARCH_URL is not set: no live Meilisearch server to test against")
    return MeilisearchEngine(
        url, api_key=os.environ.get("MEILISEARCH_API_KEY"), prefix=f"test{uuid.uuid4().hex[:8]}_"
    )


@pytest.fixture(params=["embedded", "meilisearch"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[SearchEngine]:
    found: SearchEngine = (
        EmbeddedSearchEngine(tmp_path / "search") if request.param == "embedded" else _meilisearch()
    )
    found.ensure_index(SETTINGS)
    found.upsert("lessons", DOCS)
    yield found


def ids(engine: SearchEngine, text: str = "", **options: object) -> list[str]:
    result = engine.search(SearchQuery(index="lessons", text=text, **options))  # type: ignore[arg-type]
    return [hit.id for hit in result.hits]


def test_chinese_words(engine: SearchEngine) -> None:
    assert set(ids(engine, "燃气")) == {"2"}
    assert set(ids(engine, "配电网")) == {"1", "2"}


def test_title_beats_transcript(engine: SearchEngine) -> None:
    assert ids(engine, "配电网")[0] == "1"


def test_exact_beats_prefix(engine: SearchEngine) -> None:
    # 配电 is a word of both titles; 配电自动化 is also a whole word starting with it.
    result = ids(engine, "配电")
    assert set(result) >= {"1", "4"}
    engine.upsert(
        "lessons",
        [
            {
                "id": "9",
                "title": "配电",
                "summary": "",
                "transcript": "",
                "industry": "power",
                "level": 1,
                "tags": [],
                "hours": 1,
            }
        ],
    )
    assert ids(engine, "配电")[0] == "9"


def test_traditional_and_simplified_meet(engine: SearchEngine) -> None:
    assert set(ids(engine, "配電網")) == {"1", "2"}
    assert "5" in ids(engine, "数控")


def test_pinyin_full_and_initials(engine: SearchEngine) -> None:
    assert set(ids(engine, "peidian")) == {"1", "4"}  # 配电网…, 配电自动化
    assert ids(engine, "peidianwang") == ["1"]
    assert ids(engine, "pdw") == ["1"]


def test_prefix_of_the_last_word(engine: SearchEngine) -> None:
    assert ids(engine, "substa") == ["3"]
    assert ids(engine, "operator safe") == ["3"]


def test_one_typo_in_words_of_five_letters(engine: SearchEngine) -> None:
    assert ids(engine, "safty") == ["3"]
    assert ids(engine, "operater") == ["3"]


def test_synonyms(engine: SearchEngine) -> None:
    assert ids(engine, "变电站") == ["3"]


def test_filters(engine: SearchEngine) -> None:
    assert set(ids(engine, filter=Eq("industry", "power"))) == {"1", "3", "4"}
    assert set(ids(engine, filter=In("industry", ("gas", "manufacturing")))) == {"2", "5"}
    assert set(ids(engine, filter=Range("level", gte=3, lte=4))) == {"1", "3", "5"}
    assert set(ids(engine, filter=Eq("tags", "安全"))) == {"1", "3"}
    both = And((Eq("industry", "power"), Or((Eq("level", 2), Eq("level", 3)))))
    assert set(ids(engine, filter=both)) == {"3", "4"}
    assert ids(engine, "倒闸", filter=Eq("industry", "gas")) == []  # only a power course has it


def test_facets_sort_and_paging(engine: SearchEngine) -> None:
    result = engine.search(SearchQuery(index="lessons", facets=("industry", "tags")))
    assert result.facets["industry"] == {"power": 3, "gas": 1, "manufacturing": 1}
    assert result.facets["tags"]["安全"] == 2
    by_hours = ids(engine, sort=(("hours", True),))
    assert by_hours == ["5", "4", "3", "1", "2"]
    first = engine.search(SearchQuery(index="lessons", sort=(("hours", False),), limit=2))
    second = engine.search(
        SearchQuery(index="lessons", sort=(("hours", False),), limit=2, offset=2)
    )
    assert [h.id for h in first.hits] == ["2", "1"]
    assert [h.id for h in second.hits] == ["3", "4"]
    assert first.estimated_total == 5


def test_highlights(engine: SearchEngine) -> None:
    result = engine.search(
        SearchQuery(index="lessons", text="配电网", highlight=("title", "transcript"))
    )
    top = result.hits[0]
    assert top.highlights["title"] == "<em>配电网</em>运维与倒闸操作"
    other = next(h for h in result.hits if h.id == "2")
    assert "<em>配电网</em>" in other.highlights["transcript"]


def test_upsert_replaces_and_delete_removes(engine: SearchEngine) -> None:
    engine.upsert("lessons", [{**DOCS[1], "title": "城镇燃气调压箱维护"}])
    assert ids(engine, "调压箱") == ["2"]
    assert ids(engine, "管网巡检") == [] or ids(engine, "管网巡检") == ["2"]  # summary still has it
    engine.delete("lessons", ["2", "no-such-id"])
    assert "2" not in ids(engine, "燃气")
    assert engine.stats()["lessons"] == 4


def test_rebuild_swaps_in_a_new_index(engine: SearchEngine) -> None:
    count = engine.rebuild(SETTINGS, iter([[DOCS[0]], [DOCS[2]]]))
    assert count == 2
    assert set(ids(engine)) == {"1", "3"}
    assert ids(engine, "变电站") == ["3"]  # settings came along


def test_clear(engine: SearchEngine) -> None:
    engine.clear("lessons")
    assert ids(engine) == []


def test_health(engine: SearchEngine) -> None:
    engine.health()


def test_a_rebuild_analysed_in_worker_processes_equals_one_built_here(tmp_path: Path) -> None:
    """The embedded engine analyses a big rebuild's text in worker processes; the index it
    writes is the same, row for row, as one analysed in this process."""
    batches = [[doc] for doc in DOCS]  # one batch each: every worker gets some
    built = {}
    for workers in (1, 2):
        engine = EmbeddedSearchEngine(tmp_path / f"w{workers}", analysis_workers=workers)
        assert engine.rebuild(SETTINGS, iter(batches)) == len(DOCS)
        connection = engine._connection("lessons")
        built[workers] = [
            connection.execute(f"SELECT * FROM {table} ORDER BY 1, 2").fetchall()
            for table in ("docs", "attrs")
        ] + [connection.execute("SELECT rowid, * FROM fts ORDER BY rowid").fetchall()]
        assert ids(engine, "燃气") == ["2"]
    assert built[1] == built[2]
    assert len(built[2][2]) == len(DOCS)
