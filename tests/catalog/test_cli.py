"""The flask orgs / users / demo commands."""

from __future__ import annotations

import re
from pathlib import Path

from flask import Flask
from sqlalchemy import select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks.models import Bank
from catalog.courses.models import CourseRelease
from catalog.database import db
from catalog.demo import DEMO_USERS
from catalog.lectures.models import LectureStatus, Microlecture


def test_orgs_and_users_create(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "orgs",
            "create",
            "--code",
            "sgcc-bj",
            "--name",
            "国网北京电力",
            "--kind",
            "enterprise",
        ]
    )
    assert result.exit_code == 0, result.output
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--username",
            "bj-admin",
            "--role",
            "admin",
            "--role",
            "editor",
            "--org",
            "sgcc-bj",
            "--password",
            "a strong one",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(User).where(User.username == "bj-admin"))
    assert user.roles == {Role.ADMIN, Role.EDITOR}
    assert user.organisation.code == "sgcc-bj"


def test_cli_reports_errors_without_a_traceback(app: Flask) -> None:
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=["users", "create", "--username", "lost", "--role", "admin", "--password", "12345678"]
    )
    assert result.exit_code != 0
    assert "organisation" in result.output
    assert "Traceback" not in result.output
    result = runner.invoke(
        args=["users", "create", "--username", "x1y", "--org", "nope", "--password", "12345678"]
    )
    assert result.exit_code != 0
    assert "nope" in result.output


def test_demo_load_is_idempotent(app: Flask) -> None:
    runner = app.test_cli_runner()
    first = runner.invoke(args=["demo", "load"])
    assert first.exit_code == 0, first.output
    users_after_first = db.session.scalar(select(db.func.count()).select_from(User))
    second = runner.invoke(args=["demo", "load"])
    assert "already present" in second.output
    assert db.session.scalar(select(db.func.count()).select_from(User)) == users_after_first
    assert users_after_first == len(DEMO_USERS)
    assert db.session.scalar(select(db.func.count()).select_from(Organisation)) == 3
    # The power company's tree, a learner placed in a team, a workshop admin scoped to it.
    from catalog.accounts.models import Department

    teams = db.session.scalars(select(Department)).all()
    assert len(teams) == 9 and max(d.path.count("/") - 1 for d in teams) == 3
    workshop = db.session.scalar(select(User).where(User.username == "power-workshop-admin"))
    learner_row = db.session.scalar(select(User).where(User.username == "power-learner"))
    assert workshop is not None and learner_row is not None and workshop.admin_scope_id
    scope = db.session.get(Department, workshop.admin_scope_id)
    placed = db.session.get(Department, learner_row.department_id)
    assert scope is not None and placed is not None and placed.path.startswith(scope.path)
    from catalog.courses.models import Assignment

    rules = db.session.scalars(select(Assignment).where(Assignment.department_id.is_not(None)))
    assert [(a.department_id, a.occupation) for a in rules] == [(scope.id, "配电线路工")]
    # Three published courses in different industries, whose microlectures really play.
    releases = db.session.scalars(select(CourseRelease)).all()
    assert len({r.industry_id for r in releases}) == 3
    lectures = db.session.scalars(select(Microlecture)).all()
    assert lectures and all(m.status is LectureStatus.READY and m.is_published for m in lectures)
    assert all(m.transcript_text for m in lectures)
    kinds = {a.kind.value for a in lectures[0].active_assets}
    assert kinds == {"original", "mobile", "audio", "thumbnail"}
    # A demo bank with a practice snapshot, attached to the power course.
    bank = db.session.scalars(select(Bank)).one()
    assert bank.snapshot_version == 1 and bank.snapshot_count == 5
    assert [c.code for c in bank.courses] == ["DEMO-POWER-01"]
    # A power learner can practise, enter the contest and do today's daily practice.
    from catalog.quiz import sessions
    from catalog.quiz.models import QuizMode, QuizTemplate

    learner = db.session.scalar(select(User).where(User.username == "power-learner"))
    templates = db.session.scalars(select(QuizTemplate)).all()
    papers = {t.mode: t for t in templates if not t.for_evaluation}
    assert set(papers) == {QuizMode.PRACTICE, QuizMode.EXAM, QuizMode.CONTEST}
    for paper in papers.values():
        assert len(sessions.start(learner, paper.id).items) == 5
    # The 变配电运行值班员 level-4 plan: its theory exam is sat through an application, after
    # the demo course; power-assessor, of another team, assesses the occupation.
    from catalog.evaluation import applications
    from catalog.evaluation.models import AssessorOccupation, EvaluationPlan, PlanStatus

    [theory] = [t for t in templates if t.for_evaluation]
    [plan] = db.session.scalars(select(EvaluationPlan)).all()
    assert plan.status is PlanStatus.PUBLISHED and plan.skill_level == 4
    assert [c["kind"] for c in plan.components] == ["theory", "practical"]
    assert plan.components[0]["template_id"] == theory.id
    unmet = applications.eligibility(learner, plan).unmet
    assert [u["code"] for u in unmet] == ["course_not_completed"]
    assessor = db.session.scalar(select(User).where(User.username == "power-assessor"))
    assert db.session.scalar(
        select(AssessorOccupation).where(AssessorOccupation.user_id == assessor.id)
    )
    assert assessor.department_id != learner.department_id
    assert len(sessions.start_daily(learner).items) == 5
    # Credits flow out of the box: the power company has rules, so an approved skill
    # certificate earns (a passed level exam makes one) — there were none (issue 16, finding 5).
    from catalog.credits import certificates, ledger
    from catalog.credits.models import CertificateKind, CreditRule

    rules = db.session.scalars(select(CreditRule)).all()
    assert {(r.kind.value, r.certificate_kind) for r in rules} >= {
        ("certificate", CertificateKind.SKILL),
        ("contest_award", None),
    }
    admin = db.session.scalar(select(User).where(User.username == "power-admin"))
    registered = certificates.register(
        learner,
        {"kind": CertificateKind.SKILL, "skill_level": 4, "number": "D-1", "issuer": "鉴定中心"},
    )
    certificates.review(admin, registered.id, approve=True, note=None)
    assert ledger.balance(learner.id) == 2.0


def test_readme_names_every_demo_user_once() -> None:
    """A newcomer read six demo users in the README where eight existed."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    listed = re.search(r"Demo users \((.*?)\) share", readme, re.S)
    assert listed, "README's demo-user sentence"
    names = re.findall(r"`([a-z-]+)`", listed.group(1))
    assert names == [username for username, *_ in DEMO_USERS]
