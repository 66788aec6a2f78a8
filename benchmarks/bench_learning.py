"""Learning history on the embedded database (issue 7's targets: ≥ 1,000 heartbeats per second
sustained through the batch endpoint; training statistics for an organisation of 10,000
learners and 2 million statements in ≤ 1 s).

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_learning.py``.
"""

from __future__ import annotations

import random
import sys
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import insert, select

from benchmarks.measure import Result, emit, figure
from benchmarks.setup import PASSWORD, bench_app
from catalog.accounts import services as accounts
from catalog.accounts.models import Role, User
from catalog.clock import utcnow
from catalog.courses.models import Chapter, ChapterItem, Course, Enrolment
from catalog.database import db
from catalog.learning import reports
from catalog.learning.models import Statement, TrainingActivity
from catalog.lectures.models import LectureStatus, Microlecture
from catalog.quiz.models import QuizMode, QuizSession, QuizTemplate, SessionStatus

LEARNERS = 10_000
STATEMENTS = 2_000_000
DAYS = 90
COURSES = 39


def main() -> None:
    with bench_app(tasks_immediate=False) as bench:
        org, instructor = bench.organisation, bench.users["instructor"]
        courses, lectures = _catalogue(org.id, instructor.id)
        heartbeats = _heartbeats(bench, courses, lectures)
        _seed_history(org.id, courses)
        admin = accounts.create_user(
            username="bench-admin",
            display_name="管理员",
            password=PASSWORD,
            roles=[Role.ADMIN],
            organisation=org,
        )
        timings = []
        for group_by in ("course", "organisation", "day", "month"):
            samples = []
            for _ in range(5):
                started = time.perf_counter()
                report = reports.training_report(
                    admin,
                    group_by=group_by,
                    date_from=utcnow().date() - timedelta(days=DAYS),
                    date_to=utcnow().date(),
                )
                samples.append((time.perf_counter() - started) * 1000)
            timings.append(Result(f"report by {group_by}", samples, "≤ 1000 ms"))
        statements = db.session.scalar(select(db.func.count()).select_from(Statement))
        activity = db.session.scalar(select(db.func.count()).select_from(TrainingActivity))
        total = report.total
    print("learning history, in process, SQLite")
    print("  " + heartbeats.text)
    print(
        f"  training report over {statements:,} statements, {activity:,} learner-course-days, "
        f"{LEARNERS:,} learners ({total.person_times:,} person-times in {DAYS} days)"
    )
    for result in timings:
        print("    " + result.row())
    emit("learning", [*heartbeats.figures, *timings])


def _catalogue(org_id: int, instructor_id: int) -> tuple[list[int], list[int]]:
    lectures, courses = [], []
    for n in range(COURSES):
        course = Course(
            code=f"B-{n:03d}",
            title=f"标准化课程{n}",
            class_hours=4,
            credits=1,
            provider_org_id=org_id,
            owner_id=instructor_id,
        )
        lecture = Microlecture(
            title=f"微课{n}",
            description="",
            knowledge_points=[],
            instructor_id=instructor_id,
            organisation_id=org_id,
            status=LectureStatus.READY,
            duration_seconds=600.0,
            is_published=True,
        )
        db.session.add_all([course, lecture])
        db.session.flush()
        chapter = Chapter(course_id=course.id, position=0, title="第一章")
        db.session.add(chapter)
        db.session.flush()
        db.session.add(ChapterItem(chapter_id=chapter.id, position=0, microlecture_id=lecture.id))
        courses.append(course.id)
        lectures.append(lecture.id)
    db.session.commit()
    return courses, lectures


@dataclass
class Heartbeats:
    text: str
    figures: list[Result]


def _heartbeats(bench: object, courses: list[int], lectures: list[int]) -> Heartbeats:
    """Learners upload 100-heartbeat batches through the API, one after another."""
    app = bench.app  # type: ignore[attr-defined]
    client = app.test_client()
    org = bench.organisation  # type: ignore[attr-defined]
    learners = []
    for n in range(20):
        user = accounts.create_user(
            username=f"hb-{n}",
            display_name="学员",
            password=PASSWORD,
            roles=[Role.LEARNER],
            organisation=org,
        )
        db.session.add(Enrolment(user_id=user.id, course_id=courses[n % len(courses)]))
        db.session.commit()
        token = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": PASSWORD}
        ).get_json()["access_token"]
        learners.append(({"Authorization": f"Bearer {token}"}, lectures[n % len(lectures)]))
    now = utcnow()
    sent, samples = 0, []
    started_all = time.perf_counter()
    for round_ in range(10):
        for headers, lecture in learners:
            batch = [
                {
                    "id": str(uuid.uuid4()),
                    "verb": "progressed",
                    "object": {"type": "microlecture", "id": lecture},
                    "result": {
                        "position_from": (round_ * 100 + k) * 6 % 600,
                        "position_to": (round_ * 100 + k) * 6 % 600 + 6,
                        "wall_seconds": 6,
                    },
                    # played back to back: each beat ends 6 s of device time after the last
                    "timestamp": (
                        now - timedelta(seconds=6 * (1000 - (round_ * 100 + k)))
                    ).isoformat(),
                }
                for k in range(100)
            ]
            started = time.perf_counter()
            response = client.post(
                "/api/v1/me/statements:batch", json={"statements": batch}, headers=headers
            )
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200
            sent += len(batch)
    elapsed = time.perf_counter() - started_all
    batch_result = Result("100-heartbeat batch", samples)
    rate = figure("heartbeats through the batch endpoint", sent / elapsed, "/s", "≥ 1,000 /s")
    text = (
        f"{sent:,} heartbeats in {elapsed:.1f} s through POST /me/statements:batch: "
        f"{sent / elapsed:,.0f} heartbeats/s (target ≥ 1,000/s); {batch_result.row()}"
    )
    return Heartbeats(text, [rate, batch_result])


def _seed_history(org_id: int, courses: list[int]) -> None:
    """10,000 learners, 2,000,000 statements over 90 days, their activity and exams."""
    rng = random.Random(7)
    now = utcnow()
    db.session.execute(
        insert(User.__table__),
        [
            {
                "username": f"learner-{n:05d}",
                "display_name": "学员",
                "password_hash": "-",
                "organisation_id": org_id,
                "is_active": True,
                "created_at": now,
            }
            for n in range(LEARNERS)
        ],
    )
    user_ids = list(db.session.scalars(select(User.id).where(User.username.like("learner-%"))))
    chunk = 50_000
    for start in range(0, STATEMENTS, chunk):
        rows = []
        for n in range(start, min(start + chunk, STATEMENTS)):
            t = rng.randrange(0, 600)
            rows.append(
                {
                    "statement_id": f"s{n}",
                    "user_id": user_ids[n % LEARNERS],
                    "verb": "progressed",
                    "object_type": "microlecture",
                    "object_id": str(1 + n % COURSES),
                    "result": {"position_from": t, "position_to": t + 15, "wall_seconds": 15},
                    "context": None,
                    "timestamp": now - timedelta(seconds=rng.randrange(DAYS * 86400)),
                    "stored": now,
                    "content_hash": "-",
                }
            )
        db.session.execute(insert(Statement.__table__), rows)
    activity = {}
    for user_id in user_ids:
        for _ in range(12):
            key = (user_id, rng.choice(courses), (now - timedelta(days=rng.randrange(DAYS))).date())
            activity[key] = rng.uniform(60, 900)
    db.session.execute(
        insert(TrainingActivity.__table__),
        [
            {
                "user_id": u,
                "course_id": c,
                "day": d,
                "organisation_id": org_id,
                "seconds_watched": s,
            }
            for (u, c, d), s in activity.items()
        ],
    )
    db.session.execute(
        insert(Statement.__table__),
        [
            {
                "statement_id": f"completed:course:{c}",
                "user_id": u,
                "verb": "completed",
                "object_type": "course",
                "object_id": str(c),
                "result": {"completion": True},
                "context": None,
                "timestamp": now - timedelta(days=rng.randrange(DAYS)),
                "stored": now,
                "content_hash": "-",
            }
            for u, c in {(u, c) for (u, c, _) in list(activity)[:20_000]}
        ],
    )
    template = QuizTemplate(
        title="基准考试",
        organisation_id=org_id,
        mode=QuizMode.EXAM,
        feedback_policy="after_submit",
    )
    db.session.add(template)
    db.session.flush()
    db.session.execute(
        insert(QuizSession.__table__),
        [
            {
                "id": uuid.uuid4().hex,
                "template_id": template.id,
                "user_id": user_ids[n % LEARNERS],
                "mode": QuizMode.EXAM.value,
                "status": SessionStatus.SUBMITTED.value,
                "attempt": 1,
                "started_at": now,
                "submitted_at": now - timedelta(days=rng.randrange(DAYS)),
                "score": 80,
                "max_score": 100,
                "passed": rng.random() < 0.8,
                "statistics_counted": True,
            }
            for n in range(20_000)
        ],
    )
    db.session.commit()


if __name__ == "__main__":
    main()
