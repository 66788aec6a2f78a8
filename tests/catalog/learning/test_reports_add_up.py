"""Reports that add up (issue 16, finding 6): whatever the learning, in every grouping the
additive columns of the rows sum to the total, and distinct learners never exceed them."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from flask import Flask
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import end_of, local_day, utcnow
from catalog.courses.models import Course, CourseStatus
from catalog.database import db
from catalog.learning import reports, statements
from catalog.learning.models import TrainingActivity
from catalog.quiz.models import FeedbackPolicy, QuizMode, QuizSession, QuizTemplate, SessionStatus
from tests.support.factories import make_industry

ADDITIVE = ("person_times", "study_hours", "completions", "course_hours", "exams", "passes")

FACTS = st.fixed_dictionaries(
    {
        "activity": st.lists(
            st.tuples(
                st.integers(0, 3),  # learner
                st.integers(0, 2),  # course
                st.integers(0, 9),  # days back
                st.floats(0.001, 4000, allow_nan=False),  # seconds
            ),
            max_size=25,
        ),
        "completions": st.lists(
            st.tuples(st.integers(0, 3), st.integers(0, 2), st.integers(0, 9)), max_size=8
        ),
        "exams": st.lists(
            st.tuples(
                st.integers(0, 3),
                st.one_of(st.none(), st.integers(0, 2)),  # a template of a course, or of none
                st.integers(0, 9),
                st.booleans(),
            ),
            max_size=10,
        ),
    }
)


@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
@given(facts=FACTS)
def test_rows_sum_to_the_total_in_every_grouping(
    app: Flask,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    facts: dict[str, Any],
) -> None:
    org = make_org()
    admin = make_user(Role.ADMIN, organisation=org)
    learners = [make_user(Role.LEARNER, organisation=org) for _ in range(4)]
    industry = make_industry()
    courses = []
    for n, hours in enumerate((1.5, 2.25, 0.0)):
        course = Course(
            code=f"c-{org.id}-{n}",
            title=f"课程{n}",
            industry_id=industry.id if n != 1 else None,
            class_hours=hours,
            provider_org_id=org.id,
            owner_id=admin.id,
            status=CourseStatus.PUBLISHED,
        )
        db.session.add(course)
        courses.append(course)
    db.session.flush()
    today = local_day(utcnow())
    seen: set[tuple[int, int, int]] = set()
    for learner, course, back, seconds in facts["activity"]:
        if (learner, course, back) in seen:
            continue
        seen.add((learner, course, back))
        db.session.add(
            TrainingActivity(
                user_id=learners[learner].id,
                course_id=courses[course].id,
                day=today - timedelta(days=back),
                organisation_id=org.id,
                seconds_watched=seconds,
            )
        )
    for learner, course, back in facts["completions"]:
        statements.record(
            learners[learner].id,
            "completed",
            "course",
            courses[course].id,
            when=end_of(today - timedelta(days=back)) - timedelta(hours=3),
        )
    templates: dict[int | None, QuizTemplate] = {}
    for n, (learner, course, back, passed) in enumerate(facts["exams"]):
        if course not in templates:
            templates[course] = QuizTemplate(
                title="考试",
                organisation_id=org.id,
                mode=QuizMode.EXAM,
                feedback_policy=FeedbackPolicy.AFTER_SUBMIT,
                course_id=None if course is None else courses[course].id,
            )
            db.session.add(templates[course])
            db.session.flush()
        when = end_of(today - timedelta(days=back)) - timedelta(hours=2, minutes=n)
        db.session.add(
            QuizSession(
                template_id=templates[course].id,
                user_id=learners[learner].id,
                mode=QuizMode.EXAM,
                status=SessionStatus.SUBMITTED,
                started_at=when - timedelta(minutes=30),
                submitted_at=when,
                passed=passed,
                max_score=100,
                score=80 if passed else 20,
            )
        )
    db.session.commit()
    for group_by in reports.GROUPS:
        report = reports.training_report(
            admin, group_by=group_by, date_from=today - timedelta(days=9), date_to=today
        )
        for name in ADDITIVE:
            summed = sum(getattr(row, name) for row in report.rows)
            assert round(summed, 2) == round(getattr(report.total, name), 2), (group_by, name)
        for row in report.rows:
            assert row.learners <= report.total.learners
        assert report.total.learners <= sum(row.learners for row in report.rows) or not report.rows
    assert report.total.exams == len(facts["exams"])
