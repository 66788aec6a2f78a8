"""Pinyin terms and sort keys, as both engines and every title list use them."""

from __future__ import annotations

from search.text import pinyin_of_query, pinyin_sort_key, pinyin_terms


def test_trade_readings_of_polyphonic_characters() -> None:
    """pypinyin reads 调压 diàoyā and 公差 gōngchāi; workers type tiaoya and gongcha."""
    terms = pinyin_terms(["调压箱巡检", "公差配合", "锉削"]).split()
    assert {"tiaoyaxiang", "tyx", "gongcha", "cuoxiao"} <= set(terms)
    assert "diaoya" not in " ".join(terms)
    assert pinyin_sort_key("调压器") == "tiao2 ya1 qi4"


def test_terms_start_at_every_word_and_character() -> None:
    terms = set(pinyin_terms(["城镇燃气管网巡检"]).split())
    assert {
        "ranqi",
        "rqgw",
        "guanwangxunjian",
        "xunjian",
        "xj",
        "gwxj",
    } <= terms  # gwx: a prefix of gwxj
    assert not {t for t in terms if len(t) == 1}  # one letter would match everything


def test_mixed_queries_become_one_pinyin_term() -> None:
    assert pinyin_of_query("倒闸cz") == ["dzcz"]
    assert pinyin_of_query("dz操作") == ["dzcz"]
    assert pinyin_of_query("倒闸caozuo") == ["daozhacaozuo"]
    assert pinyin_of_query("倒闸操作") == []
    assert pinyin_of_query("daozha") == []
    assert pinyin_of_query('倒闸" OR cz') == []  # anything but letters, digits and Chinese


def test_sort_keys_order_titles_as_readers_expect() -> None:
    titles = ["电工进网作业", "安全生产基础", "变电站值班员", "城镇燃气", "數控車床"]
    assert sorted(titles, key=pinyin_sort_key) == [
        "安全生产基础",
        "变电站值班员",
        "城镇燃气",
        "电工进网作业",
        "數控車床",
    ]
