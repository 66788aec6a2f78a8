"""The SearchEngine contract, run against every engine.

The embedded engine always; Meilisearch when MEILISEARCH_URL (and MEILISEARCH_API_KEY) point at
a live server — without one those cases are skipped with that reason.
"""

from __future__ import annotations

import dataclasses
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
from search.text import pinyin_sort_key, vocabulary_terms

SETTINGS = IndexSettings(
    name="lessons",
    searchable=("title", "summary", "transcript"),
    filterable=("industry", "level", "tags"),
    sortable=("hours", "title_sort"),
    synonyms={"变电站": ["变电所"]},
    pinyin=("title", "tags"),
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


for _doc in DOCS:
    _doc["title_sort"] = pinyin_sort_key(str(_doc["title"]))


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


def ids(
    engine: SearchEngine, text: str = "", *, index: str = "lessons", **options: object
) -> list[str]:
    result = engine.search(SearchQuery(index=index, text=text, **options))  # type: ignore[arg-type]
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


def test_pinyin_of_any_word_of_the_title(engine: SearchEngine) -> None:
    """Not only the start of the title: 倒闸 is the fourth word of 配电网运维与倒闸操作."""
    assert ids(engine, "daozha") == ["1"]
    assert ids(engine, "daozhacaozuo") == ["1"]
    assert ids(engine, "caozuo") == ["1"]
    assert ids(engine, "ranqi") == ["2"]
    assert ids(engine, "xunjian") == ["2"]
    assert ids(engine, "zhiban") == ["3"]
    assert ids(engine, "zidonghua") == ["4"]
    assert ids(engine, "shukong") == ["5"]  # Traditional titles too: 數控


def test_initials_of_any_run_of_words(engine: SearchEngine) -> None:
    assert ids(engine, "dzcz") == ["1"]  # 倒闸操作
    assert ids(engine, "rqgw") == ["2"]  # 燃气管网
    assert ids(engine, "zby") == ["3"]  # 值班员
    assert ids(engine, "sk") == ["5"]  # 数控, a prefix of skcc


def test_pinyin_of_tags(engine: SearchEngine) -> None:
    assert set(ids(engine, "anquan")) == {"1", "3"}


def test_pinyin_words_together(engine: SearchEngine) -> None:
    assert ids(engine, "daozha caozuo") == ["1"]
    assert ids(engine, "ranqi xunjian") == ["2"]


def test_mixed_chinese_and_pinyin(engine: SearchEngine) -> None:
    assert ids(engine, "倒闸cz") == ["1"]
    assert ids(engine, "dz操作") == ["1"]
    assert ids(engine, "燃气gw") == ["2"]


def test_one_typo_in_pinyin(engine: SearchEngine) -> None:
    assert ids(engine, "daozah") == ["1"]  # two neighbours swapped
    assert ids(engine, "xunjain") == ["2"]
    assert ids(engine, "zidonghau") == ["4"]
    assert ids(engine, "guanwangxunjan") == ["2"]  # one letter missing
    assert ids(engine, "peidianwangzz") == []  # two edits from anything: nothing


def test_scores_follow_the_ranking(engine: SearchEngine) -> None:
    result = engine.search(SearchQuery(index="lessons", text="配电网"))
    scores = [hit.score for hit in result.hits]
    assert all(s is not None and 0 < s <= 1 for s in scores)
    assert scores == sorted(scores, reverse=True)  # type: ignore[type-var]
    browsing = engine.search(SearchQuery(index="lessons"))
    assert all(hit.score is None for hit in browsing.hits)


def test_sorted_by_title_in_pinyin_order(engine: SearchEngine) -> None:
    """变(bian) < 城(cheng) < 配电网(pei dian wang) < 配电自(pei dian zi) < 數(shu)."""
    assert ids(engine, sort=(("title_sort", False),)) == ["3", "2", "1", "4", "5"]
    assert ids(engine, sort=(("title_sort", True),)) == ["5", "4", "1", "2", "3"]


TERM_DOCS = [
    {"id": "a", "title": "倒闸操作票的填写", "summary": "", "transcript": "", "tags": []},
    {"id": "b", "title": "倒闸前的检查与操作要点", "summary": "", "transcript": "", "tags": []},
]


def test_the_vocabulary_keeps_trade_terms_whole(engine: SearchEngine) -> None:
    """With 倒闸操作 in the vocabulary it is one word, at index and query time: it finds the
    title that has it, not one with 倒闸 and 操作 apart (which it finds without)."""
    whole = dataclasses.replace(SETTINGS, name="terms", vocabulary=vocabulary_terms(["倒闸操作"]))
    plain = dataclasses.replace(SETTINGS, name="plain")
    for settings in (whole, plain):
        engine.ensure_index(settings)
        engine.upsert(settings.name, TERM_DOCS)
    assert ids(engine, "倒闸操作", index="terms") == ["a"]
    assert set(ids(engine, "倒闸操作", index="plain")) == {"a", "b"}
    assert ids(engine, "倒閘操作", index="terms") == ["a"]  # Traditional: the same word
    assert ids(engine, "dzcz", index="terms") == ["a"]


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


def test_rebuild_workers_cut_words_with_the_index_vocabulary(tmp_path: Path) -> None:
    """Worker processes start with the segmenter's own dictionary: the index's vocabulary
    reaches them with its settings, so they cut 倒闸操作 whole as this process does."""
    settings = dataclasses.replace(
        SETTINGS, name="terms", vocabulary=vocabulary_terms(["倒闸操作"])
    )
    engine = EmbeddedSearchEngine(tmp_path / "w", analysis_workers=2)
    assert engine.rebuild(settings, iter([[doc] for doc in TERM_DOCS])) == 2
    connection = engine._connection("terms")
    terms = {row[0] for row in connection.execute("SELECT term FROM vocab")}
    assert "倒闸操作" in terms
    assert ids(engine, "倒闸操作", index="terms") == ["a"]


def test_a_query_matching_more_than_the_rank_cap_lists_the_newest_unranked(
    tmp_path: Path,
) -> None:
    """The embedded engine ranks every match with bm25 (about 1.5 µs a row): an index with
    a rank cap lists a query matching that many rows or more newest first, without scores,
    rather than spend 25 ms ranking 33,000 questions that all say 安全."""
    capped = dataclasses.replace(SETTINGS, name="capped", rank_cap=3)
    engine = EmbeddedSearchEngine(tmp_path / "cap")
    engine.ensure_index(capped)
    engine.upsert("capped", DOCS)
    broad = engine.search(SearchQuery(index="capped", text="配电"))  # 1, 2 and 4 match
    assert [hit.id for hit in broad.hits] == ["4", "2", "1"]  # newest (last written) first
    assert all(hit.score is None for hit in broad.hits)
    assert broad.estimated_total == 3
    first = engine.search(SearchQuery(index="capped", text="配电", limit=1))
    assert [hit.id for hit in first.hits] == ["4"]
    assert first.estimated_total == 3  # estimated from the page: every match passes
    power = engine.search(
        SearchQuery(index="capped", text="配电", limit=1, filter=Eq("industry", "gas"))
    )
    assert [hit.id for hit in power.hits] == ["2"]
    assert 1 <= power.estimated_total <= 3
    narrow = engine.search(SearchQuery(index="capped", text="配电网"))  # 1 and 2: ranked
    assert [hit.id for hit in narrow.hits] == ["1", "2"]
    assert all(hit.score is not None for hit in narrow.hits)


def test_highlights_escape_the_text_they_mark(engine: SearchEngine) -> None:
    """Attack on issue 19: clients draw highlights as HTML, so a course titled with markup
    reached every learner as a script. The text is escaped; the marks are the only markup."""
    engine.upsert(
        "lessons",
        [
            {
                **DOCS[0],
                "id": "x",
                "title": "<img src=x onerror=alert(1)>安全培训",
                "summary": "<script>alert(document.cookie)</script>安全 & 培训",
            }
        ],
    )
    result = engine.search(
        SearchQuery(index="lessons", text="安全培训", highlight=("title", "summary"))
    )
    marks = next(hit for hit in result.hits if hit.id == "x").highlights
    assert marks["title"] == "&lt;img src=x onerror=alert(1)&gt;<em>安全培训</em>"
    assert "<script>" not in marks["summary"] and "&lt;script&gt;" in marks["summary"]
    assert "&amp;" in marks["summary"]
