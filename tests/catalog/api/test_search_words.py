"""Search as workers type it (issue 19): pinyin from any word, initials, mixed input, the
industry vocabulary, pinyin ordering, and one shape for a course or microlecture wherever it
appears (list item, search hit, my courses)."""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.courses import authoring, publishing
from catalog.database import db
from catalog.lectures.models import AssetKind, MediaAsset, Microlecture

ROOT = Path(__file__).resolve().parents[3]
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")

# Code-point order is 变 < 城 < 安 < 电 < 配; pinyin order (拼音排序) is 安 < 变 < 城 < 电 < 配.
TITLES = {
    "AN": "安全生产基础",
    "BIAN": "变电站值班员培训",
    "CHENG": "城镇燃气管网巡检",
    "DIAN": "电工进网作业",
    "PEI": "配电网运维与倒闸操作",
    "GW": "管网改造与设备巡检",
}
PINYIN_ORDER = ["AN", "BIAN", "CHENG", "DIAN", "GW", "PEI"]


@pytest.fixture
def courses(
    make_user: Callable[..., User],
    make_industry: Callable,
    make_lecture: Callable,
    make_org: Callable[..., Organisation],
) -> dict[str, Any]:
    org = make_org(code="grid", name="示范电网")
    instructor = make_user(Role.INSTRUCTOR, organisation=org)
    editor = make_user(Role.EDITOR, organisation=org)
    make_industry("power", "电力")
    made: dict[str, Any] = {"lectures": {}, "instructor": instructor}
    for code, title in TITLES.items():
        lecture = make_lecture(instructor, title=title)
        lecture.transcript_text = f"本讲介绍{title}的要点。"
        db.session.commit()
        course = authoring.create(
            instructor,
            {
                "code": code,
                "title": title,
                "summary": f"{title}课程简介",
                "objectives": ["掌握要点"],
                "industry": "power",
                "skill_level": 3,
                "class_hours": 4,
                "tags": ["安全"],
            },
        )
        authoring.set_chapters(
            instructor,
            course.id,
            [{"title": "第一章", "items": [{"microlecture_id": lecture.id, "required": True}]}],
        )
        publishing.publish(editor, course.id)
        made[code] = course.id
        made["lectures"][code] = lecture.id
    return made


def get(client: FlaskClient, headers: dict, path: str) -> Any:
    response = client.get(path, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def found(client: FlaskClient, headers: dict, query: str, kind: str = "course") -> list[int]:
    return [h["id"] for h in get(client, headers, f"/api/v1/search?type={kind}&{query}")["hits"]]


def test_pinyin_of_any_word_initials_and_mixed_input(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    pei, cheng = courses["PEI"], courses["CHENG"]
    assert found(client, learner, "q=daozha") == [pei]  # 倒闸: the title's fourth word
    assert found(client, learner, "q=dzcz") == [pei]
    assert found(client, learner, "q=倒闸cz") == [pei]
    assert found(client, learner, "q=dz操作") == [pei]
    assert found(client, learner, "q=ranqi") == [cheng]
    assert found(client, learner, "q=daozah") == [pei]  # one typo
    assert found(client, learner, "q=daozha", "microlecture") == [courses["lectures"]["PEI"]]
    assert set(found(client, learner, "q=anquan")) == {courses[c] for c in TITLES}  # the tag


def test_lists_and_search_sort_titles_in_pinyin_order(
    client: FlaskClient,
    courses: dict,
    login_as: Callable[..., dict],
    login: Callable[[User], dict[str, str]],
) -> None:
    learner = login_as(Role.LEARNER)
    expected = [courses[c] for c in PINYIN_ORDER]
    assert [c["id"] for c in get(client, learner, "/api/v1/courses?sort=title")["items"]] == (
        expected
    )
    descending = get(client, learner, "/api/v1/courses?sort=-title")["items"]
    assert [c["id"] for c in descending] == expected[::-1]
    # page by page, the cursor carries the pinyin key
    paged: list[int] = []
    cursor = None
    while True:
        page = get(
            client,
            learner,
            "/api/v1/courses?sort=title&limit=2" + (f"&cursor={cursor}" if cursor else ""),
        )
        paged += [c["id"] for c in page["items"]]
        cursor = page.get("next_cursor")
        if not cursor:
            break
    assert paged == expected
    lectures = [courses["lectures"][c] for c in PINYIN_ORDER]
    listed = get(client, learner, "/api/v1/microlectures?sort=title")["items"]
    assert [m["id"] for m in listed] == lectures
    assert found(client, learner, "sort=title&limit=50") == expected
    assert found(client, learner, "sort=-title&limit=50") == expected[::-1]
    assert found(client, learner, "sort=title&limit=50", "microlecture") == lectures
    author = login(courses["instructor"])
    mine = get(client, author, "/api/v1/authoring/microlectures?sort=title")["items"]
    assert [m["id"] for m in mine] == lectures
    drafts = get(client, author, "/api/v1/authoring/courses?sort=title")["items"]
    assert [c["id"] for c in drafts] == expected
    for course in reversed(expected):  # my courses: same due and weight, then by pinyin
        assert client.put(f"/api/v1/me/courses/{course}", headers=learner).status_code == 200
    mine = get(client, learner, "/api/v1/me/courses")["items"]
    assert [m["course"]["id"] for m in mine] == expected


def test_a_hit_is_the_list_item_plus_highlights_and_score(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    pei = courses["PEI"]
    listed = {c["id"]: c for c in get(client, learner, "/api/v1/courses?limit=50")["items"]}
    hit = get(client, learner, "/api/v1/search?q=倒闸操作")["hits"][0]
    assert hit["id"] == pei
    assert {k: v for k, v in hit.items() if k not in {"highlights", "score"}} == listed[pei]
    assert hit["highlights"]["title"] == "配电网运维与<em>倒闸操作</em>"
    assert 0 < hit["score"] <= 1
    assert ISO.match(hit["published_at"])
    assert "cover_url" in hit
    browsing = get(client, learner, "/api/v1/search?limit=50")["hits"]
    assert all(h["score"] is None for h in browsing)

    assert client.put(f"/api/v1/me/courses/{pei}", headers=learner).status_code == 200
    mine = get(client, learner, "/api/v1/me/courses")["items"]
    assert [m["course"] for m in mine] == [listed[pei]]

    lecture_id = courses["lectures"]["PEI"]
    lectures = {m["id"]: m for m in get(client, learner, "/api/v1/microlectures")["items"]}
    lecture_hit = get(client, learner, "/api/v1/search?type=microlecture&q=倒闸操作")["hits"][0]
    assert lecture_hit["id"] == lecture_id
    shown = {k: v for k, v in lecture_hit.items() if k not in {"highlights", "score"}}
    assert shown == lectures[lecture_id]
    assert "transcript" not in lecture_hit  # searched, never sent
    assert ISO.match(lecture_hit["published_at"])


def _processed(lecture: Microlecture, kind: AssetKind, name: str, content_type: str) -> None:
    """The lecture's media processed into one asset of ``kind`` (no file: URLs are signed)."""
    lecture.active_upload_id = kind.value[0] * 32
    db.session.add(
        MediaAsset(
            microlecture_id=lecture.id,
            upload_id=lecture.active_upload_id,
            kind=kind,
            key=f"media/{lecture.id}/{name}",
            content_type=content_type,
            size=1000,
        )
    )
    db.session.commit()


def test_a_microlecture_cover_redirects_to_its_thumbnail(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    lecture = db.session.get(Microlecture, courses["lectures"]["AN"])
    _processed(lecture, AssetKind.THUMBNAIL, "thumbnail.jpg", "image/jpeg")
    item = next(
        m
        for m in get(client, learner, "/api/v1/microlectures?limit=50")["items"]
        if m["id"] == lecture.id
    )
    assert item["cover_url"] == f"/api/v1/microlectures/{lecture.id}/cover"
    hit = get(client, learner, "/api/v1/search?type=microlecture&q=安全生产基础")["hits"][0]
    assert hit["cover_url"] == item["cover_url"]
    answer = client.get(item["cover_url"])  # an <img> sends no token
    assert answer.status_code == 302
    assert "thumbnail.jpg" in answer.headers["Location"]
    others = [m for m in get(client, learner, "/api/v1/microlectures?limit=50")["items"]]
    assert all(m["cover_url"] is None for m in others if m["id"] != lecture.id)
    audio = db.session.get(Microlecture, courses["lectures"]["BIAN"])
    _processed(audio, AssetKind.AUDIO, "audio.m4a", "audio/mp4")  # audio only: no thumbnail
    listed = {m["id"]: m for m in get(client, learner, "/api/v1/microlectures?limit=50")["items"]}
    assert listed[audio.id]["cover_url"] is None  # no link that would answer 404
    lecture.is_published = False
    db.session.commit()
    assert client.get(item["cover_url"]).status_code == 404  # unpublished: no cover


def test_the_industry_vocabulary_is_data_admins_extend(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict]
) -> None:
    learner = login_as(Role.LEARNER)
    editor = login_as(Role.EDITOR)
    vocabulary = get(client, editor, "/api/v1/search/vocabulary")
    assert {"倒闸操作", "两票三制", "验电", "接地线"} <= set(vocabulary["builtin"])
    assert vocabulary["terms"] == []
    # 管网巡检 is not a built-in term: both titles with 管网 and 巡检 are found
    assert set(found(client, learner, "q=管网巡检")) == {courses["CHENG"], courses["GW"]}

    body = {"terms": ["管网巡检", "管網巡檢", "倒闸操作", "  "]}
    assert client.put("/api/v1/search/vocabulary", json=body, headers=editor).status_code == 403
    admin = login_as(Role.ADMIN)
    assert client.put("/api/v1/search/vocabulary", json=body, headers=admin).status_code == 403
    platform = login_as(Role.PLATFORM_ADMIN)
    refused = client.put("/api/v1/search/vocabulary", json=body, headers=platform)
    assert refused.status_code == 422  # "  " is no term
    assert "3" in refused.get_json()["error"]["details"]["json"]["terms"]
    for bad in (["管网 巡检"], ["管"], ["x" * 21], ["巡检;DROP"], "管网巡检", [1]):
        answer = client.put("/api/v1/search/vocabulary", json={"terms": bad}, headers=platform)
        assert answer.status_code == 422, bad

    saved = client.put(
        "/api/v1/search/vocabulary", json={"terms": body["terms"][:3]}, headers=platform
    )
    assert saved.status_code == 202, saved.get_json()
    change = saved.get_json()
    # folded (Traditional → Simplified), once; a built-in term is not stored again
    assert change["terms"] == ["管网巡检"]
    task = get(client, platform, f"/api/v1/tasks/{change['reindex_task_id']}")
    assert task["status"] == "done", task
    assert get(client, editor, "/api/v1/search/vocabulary")["terms"] == ["管网巡检"]
    # now one word at index and query time: only the title that has it whole
    assert found(client, learner, "q=管网巡检") == [courses["CHENG"]]
    assert found(client, learner, "q=管網巡檢") == [courses["CHENG"]]

    cleared = client.put("/api/v1/search/vocabulary", json={"terms": []}, headers=platform)
    assert cleared.status_code == 202
    assert set(found(client, learner, "q=管网巡检")) == {courses["CHENG"], courses["GW"]}


def test_dictionaries_are_loaded_when_a_process_starts(tmp_path: Path) -> None:
    """A web process (gunicorn imports wsgi) or consumer (flask --app wsgi tasks worker) has
    the segmenter, converter and pinyin tables before its first request."""
    probe = (
        "import wsgi\n"
        "from search import text\n"
        "assert text._jieba.cache_info().currsize == 1, 'jieba'\n"
        "assert text._t2s.cache_info().currsize == 1, 'opencc'\n"
        "assert text._pinyin.cache_info().currsize == 1, 'pypinyin'\n"
        "print('warm')\n"
    )
    env = {**os.environ, "VAR_DIR": str(tmp_path), "JIANGYUN_ENV": "development"}
    env.pop("DATABASE_URL", None)
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.strip() == "warm"


@pytest.mark.parametrize(
    "value",
    [None, "\ud800", 5, 1.5, float("nan"), float("inf"), True, [1], {"a": 1}],
    ids=["null", "surrogate", "int", "float", "nan", "inf", "bool", "list", "object"],
)
def test_a_tampered_title_cursor_is_a_422(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict], value: Any
) -> None:
    """Attack on issue 19: these gave 500s on both databases (PostgreSQL also for numbers
    compared with the text key)."""
    learner = login_as(Role.LEARNER)
    raw = json.dumps([value, 3]).encode()
    cursor = base64.urlsafe_b64encode(raw).decode().rstrip("=")
    for path in ("/api/v1/courses", "/api/v1/microlectures"):
        answer = client.get(f"{path}?sort=title&cursor={cursor}", headers=learner)
        assert answer.status_code == 422, (path, value, answer.get_json())
    title_cursor = base64.urlsafe_b64encode(b'["an1", 3]').decode().rstrip("=")
    answer = client.get(f"/api/v1/courses?sort=class_hours&cursor={title_cursor}", headers=learner)
    assert answer.status_code == 422


def test_a_vocabulary_change_while_search_is_down_still_queues_its_rebuild(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict], app: Any
) -> None:
    """Attack on issue 19: with the engine down the PUT saved the terms, answered 503 and
    queued no rebuild, so the index never learnt them. Now it queues the rebuild; if that
    fails, the consumer's minute check finds the indexes built with another vocabulary and
    rebuilds them."""
    from catalog.indexing import services as search_services
    from catalog.runtime import runtime

    platform = login_as(Role.PLATFORM_ADMIN)
    folder = runtime().search_engine.folder  # type: ignore[attr-defined]
    broken = folder.with_name(folder.name + "-away")
    folder.rename(broken)
    folder.write_text("not a folder")  # the engine cannot open its indexes
    try:
        saved = client.put(
            "/api/v1/search/vocabulary", json={"terms": ["管网巡检"]}, headers=platform
        )
        assert saved.status_code == 202, saved.get_json()
    finally:
        folder.unlink()
        broken.rename(folder)
    task = get(client, platform, f"/api/v1/tasks/{saved.get_json()['reindex_task_id']}")
    assert task["status"] == "failed"  # it ran at once (tasks are immediate here) and failed
    assert search_services.rebuild_stale() == ["courses", "microlectures"]  # no questions yet
    assert found(client, login_as(Role.LEARNER), "q=管网巡检") == [courses["CHENG"]]


def test_indexes_built_by_an_older_release_are_rebuilt_by_the_consumer(
    client: FlaskClient, courses: dict, login_as: Callable[..., dict]
) -> None:
    """Attack on issue 19: after upgrading, the indexes built before (no pinyin terms per
    word, no title sort key) answered daozha with nothing and sort=title with a 400 until
    someone reindexed by hand. The consumer's minute check rebuilds them."""
    from dataclasses import replace

    from catalog.indexing import documents
    from catalog.indexing import services as search_services
    from catalog.runtime import runtime

    engine = runtime().search_engine
    old = replace(
        search_services.settings_of("courses"),
        sortable=("published_at", "class_hours"),
        pinyin=("title",),
        vocabulary=(),
    )
    engine.rebuild(old, documents.all_documents("courses"))
    engine.ensure_index(search_services.settings_of("courses"))  # as a drain would
    learner = login_as(Role.LEARNER)
    assert client.get("/api/v1/search?sort=title", headers=learner).status_code == 400
    assert search_services.rebuild_stale() == ["courses"]
    assert found(client, learner, "sort=title&limit=50") == [courses[c] for c in PINYIN_ORDER]
    assert found(client, learner, "q=dzcz") == [courses["PEI"]]
    assert search_services.rebuild_stale() == []  # in line now
