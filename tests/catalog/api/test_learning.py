"""Statements from offline phones: idempotent batches, partial failure, honest progress,
completions recorded once, history and privacy."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.courses.models import Course
from catalog.database import db
from catalog.learning.models import Statement
from catalog.lectures.models import Microlecture
from tests.support.concurrency import at_once

BATCH = "/api/v1/me/statements:batch"


@pytest.fixture
def learner(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
) -> dict[str, Any]:
    org = make_org(code="learn-org")
    return {"org": org, "headers": login(make_user(Role.LEARNER, organisation=org))}


@pytest.fixture
def lecture(make_user: Callable[..., User], make_lecture: Callable[..., Any]) -> Microlecture:
    lecture = make_lecture(make_user(Role.INSTRUCTOR), duration=100.0)
    lecture.is_published = True
    db.session.commit()
    return lecture


def beat(
    lecture_id: int, start: float, end: float, *, wall: float | None = None, **extra: Any
) -> dict:
    return {
        "id": extra.pop("id", str(uuid.uuid4())),
        "verb": "progressed",
        "object": {"type": "microlecture", "id": lecture_id},
        "result": {
            "position_from": start,
            "position_to": end,
            "playback_rate": extra.pop("rate", 1.0),
            "wall_seconds": end - start if wall is None else wall,
        },
        # by default played an hour ago at 1× from position 0: the device's clock moves on
        # with the media, so each moment of it is spent once
        "timestamp": extra.pop(
            "timestamp", (utcnow() - timedelta(hours=1) + timedelta(seconds=end)).isoformat()
        ),
        **extra,
    }


def send(client: FlaskClient, headers: dict, statements: list[dict]) -> list[dict]:
    response = client.post(BATCH, json={"statements": statements}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()["results"]


def test_a_batch_stores_each_statement_once_and_refuses_clashes(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    first = beat(lecture.id, 0, 15)
    results = send(client, learner["headers"], [first, first, beat(lecture.id, 15, 30)])
    assert [r["status"] for r in results] == ["stored", "duplicate", "stored"]
    again = send(client, learner["headers"], [first])  # the phone retries after a timeout
    assert again[0]["status"] == "duplicate"
    clash = {**first, "result": {**first["result"], "position_to": 14}}
    refused = send(client, learner["headers"], [clash])
    assert refused[0]["status"] == "rejected" and "409" in refused[0]["reason"]
    assert db.session.scalar(db.select(db.func.count()).select_from(Statement)) == 2


def test_one_bad_statement_loses_no_other(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    future = (utcnow() + timedelta(hours=2)).isoformat()
    statements = [
        beat(lecture.id, 0, 15),
        {"id": "short"},  # malformed
        beat(lecture.id, 15, 30, verb="completed"),  # the server records completions
        beat(lecture.id, 30, 45, timestamp=future),
        beat(999_999, 0, 15),  # no such lecture
        "not even an object",
        beat(lecture.id, 45, 60),
    ]
    results = send(client, learner["headers"], statements)
    assert [r["status"] for r in results] == [
        "stored",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "stored",
    ]
    assert "verb" in results[2]["reason"] and "future" in results[3]["reason"]
    too_many = client.post(
        BATCH, json={"statements": [beat(lecture.id, 0, 1)] * 501}, headers=learner["headers"]
    )
    assert too_many.status_code == 422


def test_progress_counts_unique_seconds_and_completes_once(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    headers = learner["headers"]
    send(client, headers, [beat(lecture.id, 0, 15), beat(lecture.id, 60, 75)])  # seeked ahead
    send(client, headers, [beat(lecture.id, 0, 15)])  # replayed
    [row] = client.get("/api/v1/me/progress", headers=headers).get_json()["lectures"]
    assert row["seconds_watched"] == 30 and row["completed_at"] is None
    send(client, headers, [beat(lecture.id, t, t + 15) for t in range(15, 90, 15)])
    [row] = client.get("/api/v1/me/progress", headers=headers).get_json()["lectures"]
    assert row["seconds_watched"] == 90 and row["share_watched"] == 0.9
    assert row["completed_at"] is not None
    send(client, headers, [beat(lecture.id, 90, 100)])
    completions = db.session.scalars(
        db.select(Statement).where(Statement.verb == "completed")
    ).all()
    assert len(completions) == 1 and completions[0].object_id == str(lecture.id)


def test_a_course_completes_when_its_required_lectures_do(
    client: FlaskClient,
    learner: dict,
    make_course: Callable[..., int],
) -> None:
    course = make_course(learner["org"])
    client.put(f"/api/v1/me/courses/{course}", headers=learner["headers"])
    before = client.get("/api/v1/me/progress", headers=learner["headers"]).get_json()
    [entry] = before["courses"]
    assert entry["course_id"] == course and not entry["completed"]
    lecture_id = db.session.scalar(
        db.select(Microlecture.id).where(Microlecture.instructor_id.is_not(None))
    )
    duration = db.session.get(Microlecture, lecture_id).duration_seconds
    beats = [beat(lecture_id, t, min(t + 15, duration)) for t in range(0, int(duration), 15)]
    send(client, learner["headers"], beats)
    after = client.get("/api/v1/me/progress", headers=learner["headers"]).get_json()
    assert after["courses"][0]["completed"] and after["courses"][0]["completed_lectures"] == 1
    verbs = {(s.verb, s.object_type) for s in db.session.scalars(db.select(Statement)).all()}
    assert ("completed", "course") in verbs and ("completed", "microlecture") in verbs


def test_history_is_a_private_newest_first_timeline(
    client: FlaskClient, learner: dict, lecture: Microlecture, login_as: Callable[..., dict]
) -> None:
    now = utcnow()
    send(
        client,
        learner["headers"],
        [
            beat(lecture.id, t, t + 15, timestamp=(now - timedelta(minutes=10 - t)).isoformat())
            for t in range(5)
        ],
    )
    history = "/api/v1/me/history?heartbeats=true&limit=3"
    page = client.get(history, headers=learner["headers"]).get_json()
    assert len(page["items"]) == 3 and page["next_cursor"]
    stamps = [s["timestamp"] for s in page["items"]]
    assert stamps == sorted(stamps, reverse=True)
    rest = client.get(
        f"{history}&cursor={page['next_cursor']}", headers=learner["headers"]
    ).get_json()
    assert len(rest["items"]) == 2 and rest["next_cursor"] is None
    assert page["items"][0]["verb"] == "progressed"
    assert page["items"][0]["title"] == lecture.title
    stranger = login_as(Role.LEARNER)
    assert client.get("/api/v1/me/history", headers=stranger).get_json()["items"] == []
    assert client.get("/api/v1/me/history").status_code == 401


def test_concurrent_uploads_of_the_same_statements_store_them_once(
    app: Flask, learner: dict, lecture: Microlecture
) -> None:
    statements = [beat(lecture.id, t, t + 15) for t in range(0, 90, 15)]

    def phone() -> list[dict]:
        client = app.test_client()
        response = client.post(BATCH, json={"statements": statements}, headers=learner["headers"])
        return response.get_json()["results"]

    results = at_once(phone, phone, phone)
    assert len(results) == 3
    for index in range(len(statements)):
        statuses = sorted(r[index]["status"] for r in results)
        assert statuses == ["duplicate", "duplicate", "stored"]
    stored = db.session.scalar(
        db.select(db.func.count()).select_from(Statement).where(Statement.verb == "progressed")
    )
    assert stored == len(statements)
    progress = app.test_client().get("/api/v1/me/progress", headers=learner["headers"]).get_json()
    assert progress["lectures"][0]["seconds_watched"] == 90


def test_a_course_that_requires_an_exam_completes_when_it_is_passed(
    client: FlaskClient, setup: dict, make_course: Callable[..., int]
) -> None:
    from tests.support.quizzing import answer_all, start, template

    org = db.session.get(Organisation, setup["org"])
    course = make_course(org)
    learner = setup["learner"]
    client.put(f"/api/v1/me/courses/{course}", headers=learner)
    not_an_exam = template(client, setup, course_id=course)
    assert "course_id" in not_an_exam.get_json()["error"]["details"]["json"]
    exam = template(client, setup, mode="exam", course_id=course).get_json()
    assert exam["course_id"] == course
    lecture = db.session.scalars(db.select(Microlecture)).one()
    duration = int(lecture.duration_seconds)
    send(client, learner, [beat(lecture.id, t, t + 15) for t in range(0, duration, 15)])
    [entry] = client.get("/api/v1/me/progress", headers=learner).get_json()["courses"]
    assert entry["completed_lectures"] == 1 and entry["exam_required"]
    assert not entry["exam_passed"] and not entry["completed"]  # the exam is still to pass
    for right in (False, True):
        session = start(client, setup, exam["id"]).get_json()
        answer_all(client, setup, session, right=right)
        client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=learner)
    [entry] = client.get("/api/v1/me/progress", headers=learner).get_json()["courses"]
    assert entry["exam_passed"] and entry["completed"]
    credits = client.get("/api/v1/me/credits", headers=learner).get_json()
    assert credits["balance"] == 0.5  # the course's credits, once


def test_one_statement_by_its_id(client: FlaskClient, learner: dict, lecture: Microlecture) -> None:
    statement = beat(lecture.id, 0, 15)
    path = f"/api/v1/me/statements/{statement.pop('id')}"
    first = client.put(path, json=statement, headers=learner["headers"])
    assert first.status_code == 200 and first.get_json()["status"] == "stored"
    again = client.put(path, json=statement, headers=learner["headers"])
    assert again.get_json()["status"] == "duplicate"
    other = {**statement, "result": {**statement["result"], "position_to": 10}}
    clash = client.put(path, json=other, headers=learner["headers"])
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "statement_conflict"
    bad = client.put(path + "x", json={"verb": "completed"}, headers=learner["headers"])
    assert bad.status_code == 422


def _lecture_row(client: FlaskClient, headers: dict, lecture_id: int) -> dict:
    rows = client.get("/api/v1/me/progress", headers=headers).get_json()["lectures"]
    return next(r for r in rows if r["microlecture_id"] == lecture_id)


def test_heartbeats_stamped_with_one_moment_earn_that_moment_once(
    client: FlaskClient, learner: dict, make_user: Callable[..., User], make_lecture: Any
) -> None:
    """Twenty heartbeats of one second each, with wall_seconds 0.01 and the same timestamp,
    gave 20 s and completed the lecture (issue 16, finding 1)."""
    short = make_lecture(make_user(Role.INSTRUCTOR), duration=20.0)
    short.is_published = True
    db.session.commit()
    moment = utcnow().isoformat()
    forged = [beat(short.id, n, n + 1, wall=0.01, timestamp=moment) for n in range(20)]
    assert {r["status"] for r in send(client, learner["headers"], forged)} == {"stored"}
    row = _lecture_row(client, learner["headers"], short.id)
    assert row["seconds_watched"] <= 0.02 + 1e-9
    assert row["completed_at"] is None


def test_a_seek_earns_nothing_and_positions_stay_within_the_lecture(
    client: FlaskClient, learner: dict, make_user: Callable[..., User], make_lecture: Any
) -> None:
    """A 0→4 s seek in 0.3 s counted 1.3 s; a heartbeat claiming 0→400 s on a 4 s lecture
    stored last_position 400 (issue 16, finding 1)."""
    short = make_lecture(make_user(Role.INSTRUCTOR), duration=4.0)
    short.is_published = True
    db.session.commit()
    send(client, learner["headers"], [beat(short.id, 0, 4, wall=0.3)])
    assert _lecture_row(client, learner["headers"], short.id)["seconds_watched"] == 0
    send(client, learner["headers"], [beat(short.id, 0, 400, wall=15)])
    row = _lecture_row(client, learner["headers"], short.id)
    assert row["seconds_watched"] == 0 and row["last_position"] == 4


def test_two_lectures_played_at_once_share_one_clock(
    client: FlaskClient,
    learner: dict,
    lecture: Microlecture,
    make_user: Callable[..., User],
    make_lecture: Any,
) -> None:
    other = make_lecture(make_user(Role.INSTRUCTOR), duration=100.0)
    other.is_published = True
    db.session.commit()
    send(client, learner["headers"], [beat(lecture.id, t, t + 15) for t in range(0, 90, 15)])
    # the same 90 s of device time, claimed again for another lecture
    send(client, learner["headers"], [beat(other.id, t, t + 15) for t in range(0, 90, 15)])
    first = _lecture_row(client, learner["headers"], lecture.id)["seconds_watched"]
    second = _lecture_row(client, learner["headers"], other.id)["seconds_watched"]
    assert first == 90
    assert first + second <= 90 * 2  # 2× the time spent, across all lectures
    assert second <= 90


def test_statements_from_long_ago_are_refused_and_a_null_spoils_no_other(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    """Statements dated 1900 were stored; a null among 500 rejected the whole batch (issue 16,
    finding 7)."""
    old = beat(lecture.id, 0, 15, timestamp="1900-01-01T08:00:00+08:00")
    results = send(client, learner["headers"], [old, None, beat(lecture.id, 15, 30)])
    assert [r["status"] for r in results] == ["rejected", "rejected", "stored"]
    assert "days ago" in results[0]["reason"]


def test_history_names_what_each_entry_is_about_without_heartbeats(
    client: FlaskClient, learner: dict, make_course: Callable[..., int]
) -> None:
    """/me/history listed raw heartbeats without titles (issue 16, finding 9)."""
    course = make_course(learner["org"])
    client.put(f"/api/v1/me/courses/{course}", headers=learner["headers"])
    lecture = db.session.scalars(db.select(Microlecture)).one()
    beats = [beat(lecture.id, t, t + 15) for t in range(0, int(lecture.duration_seconds), 15)]
    send(client, learner["headers"], beats)
    items = client.get("/api/v1/me/history", headers=learner["headers"]).get_json()["items"]
    assert "progressed" not in {i["verb"] for i in items}
    titled = {(i["verb"], i["object"]["type"]): i["title"] for i in items}
    assert titled[("completed", "microlecture")] == lecture.title
    course_title = db.session.get(Course, course).title
    assert titled[("completed", "course")] == course_title
    assert course_title in (titled[("earned", "credit")] or "")


def test_date_times_past_the_calendar_are_refused_alone(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    """A timestamp whose offset carried it before year 1 gave a 500 for the whole batch
    (issue 15's attacker, finding 3); a naive one was refused in English only."""
    overflow = beat(lecture.id, 0, 15, timestamp="0001-01-01T00:00:00+23:59")
    naive = beat(lecture.id, 15, 30, timestamp="2026-12-05T08:00:00")
    results = send(client, learner["headers"], [overflow, naive, beat(lecture.id, 30, 45)])
    assert [r["status"] for r in results] == ["rejected", "rejected", "stored"]
    assert "超出范围" in results[0]["reason"]["timestamp"][0]
    assert "时区" in results[1]["reason"]["timestamp"][0]
    one = client.put(
        f"/api/v1/me/statements/{overflow['id']}", json=overflow, headers=learner["headers"]
    )
    assert one.status_code == 422


def test_a_device_cannot_take_the_id_of_a_record_the_server_will_write(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    """A learner PUT a heartbeat under `component_failed:evaluation_application:5:prac:1`
    before the failure was recorded: the server's statement hit the id and was dropped."""
    statement = beat(lecture.id, 0, 15)
    statement.pop("id")
    for taken in (f"completed:microlecture:{lecture.id}", "failed:quiz_session:1:x~0f"):
        put = client.put(
            f"/api/v1/me/statements/{taken}", json=statement, headers=learner["headers"]
        )
        assert put.status_code == 422, put.get_json()
        [outcome] = send(client, learner["headers"], [{**statement, "id": taken}])
        assert outcome["status"] == "rejected" and "id" in str(outcome["reason"])
    assert db.session.scalar(db.select(db.func.count()).select_from(Statement)) == 0


def test_a_statement_id_ends_where_its_characters_do(
    client: FlaskClient, learner: dict, lecture: Microlecture
) -> None:
    """`nlprobe1\\n` was stored apart from `nlprobe1`, and 64 characters and a newline made 65:
    a pattern's `$` also matches before a final newline."""
    statement = beat(lecture.id, 0, 15)
    statement.pop("id")
    put = client.put(
        "/api/v1/me/statements/nlprobe1%0A", json=statement, headers=learner["headers"]
    )
    assert put.status_code == 422
    [outcome] = send(client, learner["headers"], [{**statement, "id": "b" * 64 + "\n"}])
    assert outcome["status"] == "rejected"
    assert db.session.scalar(db.select(db.func.count()).select_from(Statement)) == 0
