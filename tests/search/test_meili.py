"""How our filters and settings read in Meilisearch's syntax (no server needed)."""

from __future__ import annotations

from search.interfaces import And, Eq, In, IndexSettings, Or, Range
from search.meili import filter_expression, index_settings


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
