"""Changes reach the index through the outbox; search can be down without losing anything."""

from __future__ import annotations

import shutil
import threading
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select

from catalog.accounts.models import Role
from catalog.banks.models import Question, QuestionStatus, QuestionType
from catalog.database import db, single_flight
from catalog.indexing import drain
from catalog.indexing import services as search
from catalog.indexing.models import OutboxEntry
from catalog.indexing.tasks import drain_outbox
from catalog.runtime import runtime


def _question(stem: str) -> dict:
    return {
        "type": "true_false",
        "stem": stem,
        "answer": {"correct": True},
        "explanation": "解析不应出现在搜索结果里",
    }


def test_the_outbox_row_is_part_of_the_transaction(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    editor = login_as(Role.EDITOR)
    bank = client.post("/api/v1/banks", json={"name": "题库"}, headers=editor).get_json()["id"]
    db.session.add(
        Question(
            bank_id=bank,
            status=QuestionStatus.DRAFT,
            version=1,
            type=QuestionType.TRUE_FALSE,
            difficulty=1,
            fingerprint="x",
            stem_text="回滚的题",
        )
    )
    db.session.flush()
    db.session.rollback()
    assert db.session.scalar(select(func.count()).select_from(OutboxEntry)) == 0
    created = client.post(
        f"/api/v1/banks/{bank}/questions", json=_question("接地线应先接接地端"), headers=editor
    ).get_json()
    rows = db.session.scalars(select(OutboxEntry)).all()
    assert [(r.index, r.doc_id) for r in rows] == [("questions", str(created["id"]))]
    assert rows[0].done_at is not None  # drained right after the commit (tasks run inline)


def test_search_down_then_back_loses_nothing(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    editor = login_as(Role.EDITOR)
    bank = client.post("/api/v1/banks", json={"name": "题库"}, headers=editor).get_json()["id"]
    client.post(
        f"/api/v1/banks/{bank}/questions", json=_question("停电作业必须先验电"), headers=editor
    )
    found = client.get("/api/v1/search/questions?q=验电", headers=editor).get_json()
    assert len(found["hits"]) == 1

    # The engine breaks for real: its folder is replaced by a file.
    folder = runtime().settings.search_path
    shutil.move(folder, folder.with_name("search-away"))
    folder.write_text("not a folder")
    created = client.post(
        f"/api/v1/banks/{bank}/questions", json=_question("燃气泄漏时禁止开灯"), headers=editor
    )
    assert created.status_code == 201  # the rest of the API keeps working
    pending = db.session.scalars(select(OutboxEntry).where(OutboxEntry.done_at.is_(None))).all()
    assert [p.doc_id for p in pending] == [str(created.get_json()["id"])]
    assert pending[0].attempts == 1 and pending[0].next_attempt_at is not None
    assert "embedded search" in pending[0].last_error
    down = client.get("/api/v1/search/questions?q=燃气", headers=editor)
    assert down.status_code == 503
    assert down.get_json()["error"]["code"] == "search_unavailable"
    assert client.get("/readyz").get_json()["error"]["details"]["failing"] == ["search"]

    # It comes back; the scheduled drain catches up once the back-off has passed.
    folder.unlink()
    shutil.move(folder.with_name("search-away"), folder)
    db.session.execute(OutboxEntry.__table__.update().values(next_attempt_at=None))
    db.session.commit()
    assert search.drain()["applied"] == 1
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None))
        )
        == 0
    )
    back = client.get("/api/v1/search/questions?q=燃气", headers=editor).get_json()
    assert [h["document"]["stem"] for h in back["hits"]] == ["燃气泄漏时禁止开灯"]


def test_a_long_outbox_is_drained_in_runs_that_continue(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    editor = login_as(Role.EDITOR)
    bank = client.post("/api/v1/banks", json={"name": "题库"}, headers=editor).get_json()["id"]
    ids = [
        client.post(
            f"/api/v1/banks/{bank}/questions", json=_question(f"第{n}题：验电"), headers=editor
        ).get_json()["id"]
        for n in range(5)
    ]
    # Five refreshes waiting (written directly, so that no drain is triggered by the commit).
    db.session.execute(
        OutboxEntry.__table__.insert(),
        [{"index": "questions", "doc_id": str(i), "attempts": 0} for i in ids],
    )
    db.session.commit()
    engine = runtime().search_engine
    first = drain.drain(engine, lambda index: search.ensure(engine, index), batch=2, rounds=1)
    assert first == {"applied": 2, "failed": 0, "more": 1}
    drain_outbox()  # runs inline here; it goes on until nothing is left
    assert (
        db.session.scalar(
            select(func.count()).select_from(OutboxEntry).where(OutboxEntry.done_at.is_(None))
        )
        == 0
    )


def test_one_drain_at_a_time_across_consumers(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    """Two consumers drained the same rows at once (three 27 s drains of one backlog under
    ``make load PROFILE=production``), and the slower could write an older document over a
    newer one. A drain that finds another running leaves the rows to it."""
    editor = login_as(Role.EDITOR)
    bank = client.post("/api/v1/banks", json={"name": "题库"}, headers=editor).get_json()["id"]
    with single_flight("search-drain") as first:  # another consumer is draining
        assert first
        with single_flight("search-drain") as second:
            assert not second  # the same name, held elsewhere
        created = client.post(
            f"/api/v1/banks/{bank}/questions", json=_question("验电器使用前应检查"), headers=editor
        ).get_json()
        row = db.session.scalars(
            select(OutboxEntry).where(OutboxEntry.doc_id == str(created["id"]))
        ).one()
        assert row.done_at is None  # this commit's drain stood aside
        assert search.drain() == {"applied": 0, "failed": 0, "more": 0, "busy": 1}
    assert search.drain()["applied"] == 1
    db.session.refresh(row)
    assert row.done_at is not None


def test_rebuilds_of_one_index_take_turns(app: Flask) -> None:
    """Two vocabulary changes in a row start two rebuilds of every index; one must not write
    over the other's half-built index: the second waits, then builds from the settings as
    they stand then."""
    finished = threading.Event()

    def rebuild() -> None:
        with app.app_context():
            search.reindex("courses")
            finished.set()

    with single_flight("search-rebuild-courses") as held:  # a rebuild is running
        assert held
        second = threading.Thread(target=rebuild)
        second.start()
        assert not finished.wait(0.5)  # waits its turn
    second.join(30)
    assert finished.is_set()
