"""How our filters and settings read in Meilisearch's syntax (no server needed)."""

from __future__ import annotations

import pytest

from search.interfaces import And, Eq, In, IndexMissing, IndexSettings, Or, Range
from search.meili import MeilisearchEngine, filter_expression, index_settings
from search.text import pinyin_of_document, vocabulary_terms


def test_filters_translate() -> None:
    assert filter_expression(Eq("industry", "power")) == 'industry = "power"'
    assert filter_expression(Eq("level", 3)) == "level = 3"
    assert filter_expression(Eq("published", True)) == "published = true"
    assert filter_expression(In("tags", ("安全", 'a"b'))) == 'tags IN ["安全", "a\\"b"]'
    assert filter_expression(Range("level", gte=2, lte=4)) == "level >= 2 AND level <= 4"
    assert filter_expression(Range("hours", gte=1.5)) == "hours >= 1.5"
    nested = And((Eq("industry", "power"), Or((Eq("level", 2), Eq("level", 3)))))
    assert filter_expression(nested) == '(industry = "power") AND ((level = 2) OR (level = 3))'
    assert filter_expression(None) is None


def test_settings_translate() -> None:
    settings = IndexSettings(
        name="courses",
        searchable=("title", "summary"),
        filterable=("industry",),
        sortable=("hours",),
        synonyms={"变电站": ["變電所"]},
    )
    translated = index_settings(settings)
    assert translated["searchableAttributes"] == ["title", "_pinyin", "summary"]
    assert translated["filterableAttributes"] == ["industry"]
    assert translated["sortableAttributes"] == ["hours"]
    assert translated["displayedAttributes"] == ["*"]
    # Groups become mutual, and Traditional terms are folded like queries are.
    assert translated["synonyms"] == {"变电站": ["变电所"], "变电所": ["变电站"]}
    assert translated["typoTolerance"]["minWordSizeForTypos"]["oneTypo"] == 5


def test_the_vocabulary_is_meilisearch_s_dictionary() -> None:
    settings = IndexSettings(
        name="courses", searchable=("title",), vocabulary=vocabulary_terms(["倒閘操作", "验电"])
    )
    assert index_settings(settings)["dictionary"] == ["倒闸操作", "验电"]


def test_meilisearch_documents_carry_the_embedded_engine_s_pinyin_terms() -> None:
    """One contract: both engines index the same pinyin terms of the same attributes."""
    settings = IndexSettings(
        name="courses", searchable=("title", "summary"), pinyin=("title", "tags")
    )
    engine = MeilisearchEngine("http://127.0.0.1:9", prefix="t_")  # never called here
    document = {"id": 7, "title": "配电网运维与倒闸操作", "summary": "简介", "tags": ["安全"]}
    with pytest.raises(IndexMissing):  # settings not known in this process: ensure it first
        engine._with_pinyin("courses", [document])
    engine._settings["courses"] = settings
    [sent] = engine._with_pinyin("courses", [document])
    assert sent["id"] == "7"
    assert sent["_pinyin"] == pinyin_of_document(document, ("title", "tags"))
    terms = sent["_pinyin"].split()
    assert {"daozha", "dzcz", "anquan", "peidianwang"} <= set(terms)
    assert "jianjie" not in terms  # the summary is not a pinyin attribute


def test_meilisearch_highlights_are_escaped_before_marking() -> None:
    from search.meili import MARK_END, MARK_START, _marked

    raw = f"<img onerror=x>{MARK_START}安全{MARK_END}培训"
    assert _marked(raw) == "&lt;img onerror=x&gt;<em>安全</em>培训"
