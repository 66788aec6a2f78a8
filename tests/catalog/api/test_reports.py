"""Training statistics: person-times, learners, study hours, completions, pass rates; CSV and
XLSX; correct under concurrent uploads; each admin sees their own organisation."""

from __future__ import annotations

import io
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from python_calamine import CalamineWorkbook

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.courses.models import Course
from catalog.database import db
from catalog.learning.models import TrainingActivity
from catalog.lectures.models import Microlecture
from tests.support.concurrency import at_once
from tests.support.heartbeats import played

REPORT = "/api/v1/reports/training"
NO_GROUP = "无（不属于任何课程、行业或部门）/ None"


def beats(lecture_id: int, start: int, end: int, when: Any, prefix: str) -> list[dict]:
    """``start``→``end`` played at 1×, the last heartbeat at ``when``."""
    return played(
        lecture_id, start, end, began=when - timedelta(seconds=end - start), prefix=prefix
    )


@pytest.fixture
def world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict],
    make_course: Callable[..., int],
) -> Any:
    home, other = make_org(code="grid-a", name="甲供电公司"), make_org(code="grid-b", name="乙")
    course = make_course(home)
    lecture = db.session.scalars(db.select(Microlecture)).one()

    class World:
        course_id = course
        lecture_id = lecture.id
        duration = int(lecture.duration_seconds)
        first = login(make_user(Role.LEARNER, organisation=home))
        second = login(make_user(Role.LEARNER, organisation=home))
        outsider = login(make_user(Role.LEARNER, organisation=other))
        admin = login(make_user(Role.ADMIN, organisation=home))
        other_admin = login(make_user(Role.ADMIN, organisation=other))
        platform = login(make_user(Role.PLATFORM_ADMIN))

    for headers in (World.first, World.second, World.outsider):
        client.put(f"/api/v1/me/courses/{course}", headers=headers)
    return World


def upload(client: FlaskClient, headers: dict, statements: list[dict]) -> None:
    response = client.post(
        "/api/v1/me/statements:batch", json={"statements": statements}, headers=headers
    )
    assert response.status_code == 200
    assert {r["status"] for r in response.get_json()["results"]} <= {"stored", "duplicate"}


def test_person_times_learners_hours_and_completions(client: FlaskClient, world: Any) -> None:
    now, yesterday = utcnow(), utcnow() - timedelta(days=1)
    upload(client, world.first, beats(world.lecture_id, 0, 90, yesterday, "a"))
    upload(client, world.first, beats(world.lecture_id, 90, world.duration, now, "b"))
    upload(client, world.second, beats(world.lecture_id, 0, 135, now, "c"))
    upload(client, world.outsider, beats(world.lecture_id, 0, 60, now, "d"))  # another org

    report = client.get(f"{REPORT}?group_by=course", headers=world.admin).get_json()
    [row] = report["rows"]
    assert row["label"] == "配电安全" and row["key"] == str(world.course_id)
    assert row["person_times"] == 3  # first: two days; second: one
    assert row["learners"] == 2
    watched = world.duration + 135
    assert row["study_hours"] == round(watched / 2700, 2)
    assert row["completions"] == 1 and row["course_hours"] == 2  # the first finished it
    assert report["total"]["person_times"] == 3

    by_day = client.get(f"{REPORT}?group_by=day", headers=world.admin).get_json()
    assert [r["person_times"] for r in by_day["rows"]] == [1, 2]
    by_month = client.get(f"{REPORT}?group_by=month", headers=world.admin).get_json()
    assert sum(r["person_times"] for r in by_month["rows"]) == 3
    assert all(r["learners"] <= 2 for r in by_month["rows"])
    everyone = client.get(f"{REPORT}?group_by=organisation", headers=world.platform).get_json()
    assert sorted((r["label"], r["person_times"]) for r in everyone["rows"]) == [
        ("乙", 1),
        ("甲供电公司", 3),
    ]
    only_b = client.get(f"{REPORT}?organisation=grid-b", headers=world.platform).get_json()
    assert only_b["total"]["person_times"] == 1


def test_pass_rates_come_from_finished_exams(
    client: FlaskClient,
    setup: dict,
    make_user: Callable[..., User],
    login: Callable,
    make_course: Callable[..., int],
) -> None:
    from tests.support.quizzing import answer_all, start, template

    org = db.session.get(Organisation, setup["org"])
    admin = login(make_user(Role.ADMIN, organisation=org))
    course = make_course(org)
    required = template(client, setup, mode="exam", course_id=course).get_json()["id"]
    loose = template(client, setup, mode="exam").get_json()["id"]
    setup["other"] = login(make_user(Role.LEARNER, organisation=org))
    for exam, who, right in ((required, "learner", True), (required, "other", False)):
        session = start(client, setup, exam, who=who).get_json()
        answer_all(client, setup, session, right=right, who=who)
        client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup[who])
    session = start(client, setup, loose).get_json()
    answer_all(client, setup, session, right=True)
    client.post(f"/api/v1/quiz-sessions/{session['id']}/submit", headers=setup["learner"])

    by_org = client.get(f"{REPORT}?group_by=organisation", headers=admin).get_json()
    assert by_org["total"]["exams"] == 3 and by_org["total"]["passes"] == 2
    assert by_org["rows"][0]["pass_rate"] == 0.667
    by_course = client.get(f"{REPORT}?group_by=course", headers=admin).get_json()
    # the exam of no course has a row of its own: the rows add up to the total (they did not)
    row, none = sorted(by_course["rows"], key=lambda r: r["key"] == "None")
    assert (row["key"], row["exams"], row["pass_rate"]) == (str(course), 2, 0.5)
    assert (none["key"], none["exams"], none["label"]) == ("None", 1, NO_GROUP)
    assert by_course["total"]["exams"] == 3
    by_industry = client.get(f"{REPORT}?group_by=industry", headers=admin).get_json()
    assert sorted((r["label"], r["exams"]) for r in by_industry["rows"]) == sorted(
        [("电力", 2), (NO_GROUP, 1)]
    )


def test_csv_and_xlsx_carry_the_same_table(client: FlaskClient, world: Any) -> None:
    upload(client, world.first, beats(world.lecture_id, 0, 90, utcnow(), "e"))
    csv_response = client.get(f"{REPORT}?format=csv", headers=world.admin)
    assert csv_response.mimetype == "text/csv"
    # one charset, once (it read "text/csv; charset=utf-8; charset=utf-8")
    assert csv_response.headers["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in csv_response.headers["Content-Disposition"]
    text = csv_response.data.decode("utf-8")
    assert text.startswith("\ufeff分组,培训人次,学员人数")
    assert "配电安全,1,1" in text
    xlsx = client.get(f"{REPORT}?format=xlsx", headers=world.admin)
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(xlsx.data)).get_sheet_by_name("培训统计")
    rows = sheet.to_python()
    assert rows[0][:3] == ["分组", "培训人次", "学员人数"]
    assert rows[1][:3] == ["配电安全", 1, 1] and rows[-1][0] == "合计 / Total"


def test_only_admins_see_reports_and_only_their_own(client: FlaskClient, world: Any) -> None:
    upload(client, world.first, beats(world.lecture_id, 0, 45, utcnow(), "f"))
    assert client.get(REPORT, headers=world.first).status_code == 403
    # another organisation was silently ignored (a 200 of their own figures): now a 422
    theirs = client.get(f"{REPORT}?organisation=grid-a", headers=world.other_admin)
    assert theirs.status_code == 422
    assert "organisation" in theirs.get_json()["error"]["details"]["query"]
    unknown = client.get(f"{REPORT}?organisation=no-such-org", headers=world.other_admin)
    assert unknown.status_code == 422  # the same refusal: which codes exist is not told
    assert unknown.get_json()["error"]["message"] == theirs.get_json()["error"]["message"]
    own = client.get(f"{REPORT}?organisation=grid-a", headers=world.admin)
    assert own.status_code == 200 and own.get_json()["total"]["person_times"] == 1
    backwards = client.get(f"{REPORT}?from=2026-05-02&to=2026-05-01", headers=world.admin)
    assert backwards.status_code == 422  # an empty 200 before
    assert "from" in backwards.get_json()["error"]["details"]["query"]
    assert client.get(f"{REPORT}?group_by=week", headers=world.admin).status_code == 422


def test_concurrent_uploads_add_up(app: Flask, client: FlaskClient, world: Any) -> None:
    now = utcnow()
    halves = [
        beats(world.lecture_id, 0, 60, now - timedelta(seconds=60), "g"),
        beats(world.lecture_id, 60, 120, now, "h"),
    ]

    def phone(statements: list[dict]) -> Any:
        return app.test_client().post(
            "/api/v1/me/statements:batch", json={"statements": statements}, headers=world.first
        )

    at_once(*(lambda h=half: phone(h) for half in halves))
    [activity] = db.session.scalars(db.select(TrainingActivity)).all()
    assert activity.seconds_watched == 120
    progress = client.get("/api/v1/me/progress", headers=world.first).get_json()
    assert progress["lectures"][0]["seconds_watched"] == 120


def test_a_course_title_reaches_reports_as_text(client: FlaskClient, world: Any) -> None:
    """A title beginning =HYPERLINK(…) reached admins' CSV and XLSX reports as a live formula."""
    db.session.execute(
        db.update(Course).where(Course.id == world.course_id).values(title='=HYPERLINK("x")')
    )
    db.session.commit()
    upload(client, world.first, beats(world.lecture_id, 0, 30, utcnow(), "f"))
    csv_body = client.get(f"{REPORT}?group_by=course&format=csv", headers=world.admin)
    assert "'=HYPERLINK" in csv_body.get_data(as_text=True)
    xlsx = client.get(f"{REPORT}?group_by=course&format=xlsx", headers=world.admin).get_data()
    rows = CalamineWorkbook.from_filelike(io.BytesIO(xlsx)).get_sheet_by_index(0).to_python()
    assert rows[1][0] == '=HYPERLINK("x")'
