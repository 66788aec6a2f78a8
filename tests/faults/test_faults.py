"""Fault injection: a part fails for real, the API says so clearly and loses no learner record.

- the object store: the SeaweedFS process is killed (SIGKILL) and later started again;
- the search engine: its index folder is replaced by a file;
- the database: another writer holds its lock (SQLite: a write transaction; PostgreSQL: a
  table lock) for longer than DATABASE_LOCK_TIMEOUT_SECONDS.

What depends on the failed part answers 503 with a code saying which part; the rest of the
learner journey (courses, heartbeats, quizzes) carries on; after recovery every statement,
answer and outbox row is there exactly once.
"""

from __future__ import annotations

import io
import shutil
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.banks.models import QuestionImport
from catalog.database import db
from catalog.indexing import services as search
from catalog.indexing.models import OutboxEntry
from catalog.learning.models import Statement
from catalog.quiz.models import SessionItem
from catalog.runtime import runtime
from tests.support.heartbeats import played
from tests.support.quizzing import answer, build_bank, label_of, template
from tests.support.seaweedfs import Weed, s3_settings

pytestmark = pytest.mark.slow

BATCH = "/api/v1/me/statements:batch"


def question_file(stem: str) -> bytes:
    return (
        "题型,题干,选项A,选项B,选项C,答案,解析,难度,知识点\n"
        f"单选题,{stem},设备名称和编号,天气,班组人数,A,核对设备,2,倒闸操作\n"
    ).encode()


def heartbeat(lecture_id: int, start: float, end: float) -> dict[str, Any]:
    """``start``→``end`` played at 1×, as if position 0 was played an hour ago."""
    from catalog.clock import utcnow

    began = utcnow() - timedelta(hours=1) + timedelta(seconds=start)
    [beat] = played(lecture_id, start, end, step=end - start, began=began)
    return beat


def stored(user_id: int, sent: list[dict[str, Any]]) -> int:
    """How many rows hold these statements of the learner (each must be there once)."""
    ids = [statement["id"] for statement in sent]
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(Statement)
        .where(Statement.user_id == user_id, Statement.statement_id.in_(ids))
    )


@pytest.fixture
def journey(
    app: Flask,
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
    make_course: Callable[..., int],
) -> dict[str, Any]:
    """A published course with a lecture, a bank with a practice paper, and who uses them."""
    org = make_org(code="fault-org")
    learner = make_user(Role.LEARNER, organisation=org)
    editor = login(make_user(Role.EDITOR, organisation=org))
    course = make_course(org, code="FAULT-01", title="配电故障演练")
    lecture = client.get(f"/api/v1/courses/{course}", headers=login(learner)).get_json()
    lecture_id = lecture["chapters"][0]["microlectures"][0]["id"]
    bank = build_bank(client, editor)
    s = {"editor": editor, "learner": login(learner), **bank}
    paper = template(client, s).get_json()["id"]
    return {"s": s, "learner": learner, "course": course, "lecture": lecture_id, "paper": paper}


def practice(client: FlaskClient, journey: dict[str, Any]) -> tuple[str, list[dict]]:
    """Start a practice session; returns its id and items."""
    s = journey["s"]
    started = client.post(
        f"/api/v1/quiz-templates/{journey['paper']}/sessions", headers=s["learner"]
    )
    assert started.status_code == 201, started.get_json()
    body = started.get_json()
    return body["id"], body["items"]


def answer_right(client: FlaskClient, journey: dict, session: str, item: dict) -> Any:
    choice = [label_of(item, "断开电源")]
    client_id = f"{session}-{item['position']}"
    return answer(client, journey["s"], session, item["position"], choice, client_id)


# --- the object store --------------------------------------------------------------------


@pytest.fixture
def weed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Weed]:
    """A SeaweedFS of this test's own, to kill."""
    server = Weed(tmp_path_factory.mktemp("weed-fault"))
    server.start()
    yield server
    server.stop()


def test_object_store_killed_then_restarted(
    make_app: Callable[..., Flask],
    weed: Weed,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    make_course: Callable[..., int],
    login: Callable[[User], dict[str, str]],
) -> None:
    # Signed in through the default app: same database and secret, so its tokens hold here.
    app = make_app(**s3_settings(weed.server))
    with app.app_context():
        client = app.test_client()
        org = make_org(code="store-org")
        learner = make_user(Role.LEARNER, organisation=org)
        editor = login(make_user(Role.EDITOR, organisation=org))
        course = make_course(org, code="STORE-01")
        bank = client.post("/api/v1/banks", json={"name": "存储故障"}, headers=editor).get_json()
        before = _import(client, editor, bank["id"], question_file("倒闸操作前应核对什么？"))
        assert before.status_code == 202 and before.get_json()["status"] == "done"
        headers = login(learner)
        lecture = client.get(f"/api/v1/courses/{course}", headers=headers).get_json()
        lecture_id = lecture["chapters"][0]["microlectures"][0]["id"]

        weed.kill()

        outage_file = question_file("验电前应检查什么？")
        down = _import(client, editor, bank["id"], outage_file)
        assert down.status_code == 503
        assert down.get_json()["error"]["code"] == "storage_unavailable"
        assert "文件存储暂不可用" in down.get_json()["error"]["message"]
        ready = client.get("/readyz")
        assert ready.status_code == 503
        assert ready.get_json()["error"]["details"]["failing"] == ["object_store"]
        # The rest of the journey does not need the store.
        assert client.get("/api/v1/courses", headers=headers).status_code == 200
        beats = [heartbeat(lecture_id, n * 15, n * 15 + 15) for n in range(4)]
        sent = client.post(BATCH, json={"statements": beats}, headers=headers)
        assert sent.status_code == 200
        assert [r["status"] for r in sent.get_json()["results"]] == ["stored"] * 4

        weed.start()

        again = _import(client, editor, bank["id"], outage_file)  # the editor retries the same file
        assert again.status_code == 202 and again.get_json()["status"] == "done", str(
            again.get_json()
        )
        assert client.get("/readyz").status_code == 200
        # What was stored before the crash is still there; nothing of the outage is lost.
        kept_key = db.session.get(QuestionImport, before.get_json()["id"]).file_key
        with runtime().object_store.get(kept_key) as kept:
            assert b"".join(kept.chunks()) == question_file("倒闸操作前应核对什么？")
        assert stored(learner.id, beats) == 4
        resent = client.post(BATCH, json={"statements": beats}, headers=headers)
        assert [r["status"] for r in resent.get_json()["results"]] == ["duplicate"] * 4


def _import(client: FlaskClient, editor: dict, bank: int, content: bytes) -> Any:
    return client.post(
        f"/api/v1/banks/{bank}/imports",
        data={"file": (io.BytesIO(content), "题库.csv")},
        headers=editor,
        content_type="multipart/form-data",
    )


# --- the search engine -------------------------------------------------------------------


def test_search_engine_failing(client: FlaskClient, journey: dict[str, Any]) -> None:
    s = journey["s"]
    folder = runtime().settings.search_path
    shutil.move(folder, folder.with_name("search-away"))
    folder.write_text("not a folder")  # every read and write of the engine now fails

    down = client.get("/api/v1/search?q=配电", headers=s["learner"])
    assert down.status_code == 503
    assert down.get_json()["error"]["code"] == "search_unavailable"
    # Learning goes on: the course, heartbeats, a practice session, a new question.
    assert (
        client.get(f"/api/v1/courses/{journey['course']}", headers=s["learner"]).status_code == 200
    )
    beat = heartbeat(journey["lecture"], 0, 30)
    sent = client.post(BATCH, json={"statements": [beat]}, headers=s["learner"])
    assert sent.get_json()["results"][0]["status"] == "stored"
    session, items = practice(client, journey)
    assert all(answer_right(client, journey, session, i).status_code == 200 for i in items)
    submitted = client.post(f"/api/v1/quiz-sessions/{session}/submit", headers=s["learner"])
    assert submitted.status_code == 200 and submitted.get_json()["result"]["score"] == 6
    created = client.post(
        f"/api/v1/banks/{s['bank']}/questions",
        headers=s["editor"],
        json={"type": "true_false", "stem": "雷雨天气禁止倒闸操作", "answer": {"correct": True}},
    )
    assert created.status_code == 201
    pending = db.session.scalars(sa.select(OutboxEntry).where(OutboxEntry.done_at.is_(None))).all()
    assert str(created.get_json()["id"]) in {p.doc_id for p in pending}

    folder.unlink()
    shutil.move(folder.with_name("search-away"), folder)
    db.session.execute(sa.update(OutboxEntry).values(next_attempt_at=None))
    db.session.commit()
    search.drain()
    assert (
        db.session.scalar(
            sa.select(sa.func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None))
        )
        == 0
    )
    found = client.get("/api/v1/search/questions?q=雷雨", headers=s["editor"]).get_json()
    assert [h["document"]["stem"] for h in found["hits"]] == ["雷雨天气禁止倒闸操作"]
    assert stored(journey["learner"].id, [beat]) == 1


# --- the database ------------------------------------------------------------------------


@pytest.fixture
def busy_app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    app = make_app(database_lock_timeout_seconds=0.5)
    with app.app_context():
        yield app


def _hold_write_lock(url: str, tables: list[str]) -> tuple[sa.Engine, sa.Connection]:
    """Another writer that keeps its transaction open: what a long migration or a stuck
    batch job does."""
    engine = sa.create_engine(url)
    connection = engine.connect()
    if url.startswith("sqlite"):
        connection.exec_driver_sql("BEGIN IMMEDIATE")  # the one write lock of the file
    else:
        connection.exec_driver_sql("BEGIN")
        connection.exec_driver_sql(f"LOCK TABLE {', '.join(tables)} IN EXCLUSIVE MODE")
    return engine, connection


def test_database_busy(busy_app: Flask, journey: dict[str, Any]) -> None:
    client = busy_app.test_client()
    s = journey["s"]
    session, items = practice(client, journey)
    beats = [heartbeat(journey["lecture"], n * 10, n * 10 + 10) for n in range(3)]
    new_question = {
        "type": "true_false",
        "stem": "验电前应先检查验电器",
        "answer": {"correct": True},
    }
    url = runtime().settings.sqlalchemy_url
    learner_id = journey["learner"].id
    db.session.remove()  # the test's own session holds no lock while the other writer does

    engine, holder = _hold_write_lock(
        url, ["learning_statements", "quiz_session_items", "search_outbox"]
    )
    try:
        busy = client.post(BATCH, json={"statements": beats}, headers=s["learner"])
        assert busy.status_code == 503, busy.get_json()
        assert busy.get_json()["error"]["code"] == "database_busy"
        assert busy.headers["Retry-After"] == "5"
        assert answer_right(client, journey, session, items[0]).status_code == 503
        made = client.post(
            f"/api/v1/banks/{s['bank']}/questions", json=new_question, headers=s["editor"]
        )
        assert made.status_code == 503
        # Reading goes on while the writer holds its lock.
        assert (
            client.get(f"/api/v1/courses/{journey['course']}", headers=s["learner"]).status_code
            == 200
        )
        assert (
            client.get(f"/api/v1/quiz-sessions/{session}", headers=s["learner"]).status_code == 200
        )
    finally:
        holder.rollback()
        holder.close()
        engine.dispose()

    # The phone retries the same statements and answer; the editor saves again.
    retried = client.post(BATCH, json={"statements": beats}, headers=s["learner"])
    assert [r["status"] for r in retried.get_json()["results"]] == ["stored"] * 3
    assert answer_right(client, journey, session, items[0]).status_code == 200
    assert answer_right(client, journey, session, items[0]).status_code == 200  # a repeat
    made = client.post(
        f"/api/v1/banks/{s['bank']}/questions", json=new_question, headers=s["editor"]
    )
    assert made.status_code == 201
    assert stored(learner_id, beats) == 3
    answered = db.session.scalars(
        sa.select(SessionItem).where(
            SessionItem.session_id == session, SessionItem.response.is_not(None)
        )
    ).all()
    assert [i.position for i in answered] == [items[0]["position"]]
    rows = db.session.scalars(
        sa.select(OutboxEntry.doc_id).where(OutboxEntry.index == "questions")
    ).all()
    assert rows.count(str(made.get_json()["id"])) == 1  # the question and its outbox row, once
