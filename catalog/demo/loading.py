"""Demo data for ``make run``: organisations, a user per role, and a small real catalogue.

Loading is idempotent. Microlecture videos are generated with PyAV and go through the same
upload, check and processing path as an instructor's upload, so playback works right away.
"""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from catalog.accounts import departments
from catalog.accounts import services as accounts
from catalog.accounts.models import Department, Organisation, User
from catalog.background.queue import inline_tasks
from catalog.banks import questions, snapshots
from catalog.banks import services as banks
from catalog.banks.models import Bank, Question
from catalog.clock import utcnow
from catalog.courses import authoring as course_authoring
from catalog.courses import enrolment as course_enrolment
from catalog.courses import publishing as course_publishing
from catalog.courses.models import Course
from catalog.credits import rules as credit_rules
from catalog.credits.models import CertificateKind, CreditRule, RuleKind
from catalog.database import db
from catalog.demo.content import (
    DEMO_CONTEST_QUESTIONS,
    DEMO_COURSES,
    DEMO_DEPARTMENTS,
    DEMO_EXAM_QUESTIONS,
    DEMO_INDUSTRIES,
    DEMO_OCCUPATIONS,
    DEMO_ORGANISATIONS,
    DEMO_PASSWORD,
    DEMO_PLAN_CHECKLIST,
    DEMO_PLAN_OCCUPATION,
    DEMO_PROFILES,
    DEMO_QUESTIONS,
    DEMO_SYNONYMS,
    DEMO_USERS,
    DEMO_VIDEO_SECONDS,
    DEMO_WORKSHOP_ADMIN,
)
from catalog.evaluation import assessors, plans
from catalog.evaluation.models import EvaluationPlan
from catalog.evaluation.schemas import PlanWriteSchema
from catalog.indexing import services as indexing
from catalog.lectures import authoring as lecture_authoring
from catalog.lectures import uploads as lecture_uploads
from catalog.lectures.models import Microlecture
from catalog.quiz import templates
from catalog.quiz.models import FeedbackPolicy, QuizTemplate
from catalog.reference.models import Industry, Occupation
from catalog.runtime import runtime
from catalog.uploads import staging_key
from config import Environment
from ingest import media


def load_demo_data() -> list[str]:
    """Create what is missing of the demo data; returns what it did, for the console."""
    if runtime().settings.environment is Environment.PRODUCTION:
        raise RuntimeError("demo data is never loaded in production")
    done: list[str] = []
    for code, name, kind in DEMO_ORGANISATIONS:
        if db.session.scalar(select(Organisation).where(Organisation.code == code)) is None:
            accounts.create_organisation(code=code, name=name, kind=kind)
            done.append(f"organisation {code}")
    for username, display_name, roles, org_code in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                roles=roles,
                organisation=accounts.get_organisation_by_code(org_code) if org_code else None,
            )
            done.append(f"user {username}")
    done += _load_departments()
    done += _load_reference_data()
    done += _load_catalogue()
    done += _load_bank()
    done += _load_quizzes()
    done += _load_credit_rules()
    done += _load_evaluation()
    done += _load_synonyms()
    if done:
        done.insert(0, "demo data loaded:")
    else:
        done.append("demo data already present")
    done.append(
        "demo users " + ", ".join(u[0] for u in DEMO_USERS) + f" — password {DEMO_PASSWORD}"
    )
    return done


def _load_departments() -> list[str]:
    """The power company's department tree, profiles, and a workshop admin scoped to one
    workshop (``power-workshop-admin``: sees only 配电运维车间 and its teams)."""
    organisation = accounts.get_organisation_by_code("demo-power")
    if db.session.scalar(
        select(Department.id).where(Department.organisation_id == organisation.id)
    ):
        return []
    for path in DEMO_DEPARTMENTS:
        departments.find_or_create_path(organisation, list(path))
    username, scope = DEMO_WORKSHOP_ADMIN
    for name, (where, employee_no, occupation, level, phone) in DEMO_PROFILES.items():
        user = _user(name)
        user.department_id = departments.find_or_create_path(organisation, list(where)).id
        user.employee_no, user.occupation, user.skill_level = employee_no, occupation, level
        user.phone = phone
    _user(username).admin_scope_id = departments.find_or_create_path(organisation, list(scope)).id
    db.session.commit()
    return [f"departments: {len(DEMO_DEPARTMENTS)} teams of demo-power; {username} scoped"]


def _load_reference_data() -> list[str]:
    done = []
    for order, (code, name, name_en) in enumerate(DEMO_INDUSTRIES):
        if db.session.scalar(select(Industry.id).where(Industry.code == code)) is None:
            db.session.add(Industry(code=code, name=name, name_en=name_en, sort_order=order))
            done.append(f"industry {code}")
    db.session.flush()
    for code, name, industry in DEMO_OCCUPATIONS:
        if db.session.scalar(select(Occupation.id).where(Occupation.code == code)) is None:
            industry_id = db.session.scalar(select(Industry.id).where(Industry.code == industry))
            db.session.add(Occupation(code=code, name=name, industry_id=industry_id))
            done.append(f"occupation {code}")
    db.session.commit()
    return done


def _user(username: str) -> User:
    user: User | None = db.session.scalar(select(User).where(User.username == username))
    assert user is not None
    return user


def _load_catalogue() -> list[str]:
    done = []
    publisher = _user("platform")
    with tempfile.TemporaryDirectory(prefix="jiangyun-demo-") as folder, inline_tasks():
        for spec in DEMO_COURSES:
            if db.session.scalar(select(Course.id).where(Course.code == spec.code)) is not None:
                continue
            instructor = _user(spec.instructor)
            chapters = []
            for index, (chapter_title, (lecture_title, lines)) in enumerate(spec.chapters):
                video = Path(folder) / f"{spec.code}-{index}.mp4"
                lecture = _demo_lecture(instructor, lecture_title, lines, video)
                chapters.append(
                    {
                        "title": chapter_title,
                        "items": [{"microlecture_id": lecture.id, "required": True}],
                    }
                )
            course = course_authoring.create(instructor, dict(spec.fields))
            course_authoring.set_chapters(instructor, course.id, chapters)
            course_publishing.submit(instructor, course.id)
            course_publishing.publish(publisher, course.id)
            done.append(f"course {spec.code} ({spec.fields['title']})")
    return done


def _demo_lecture(instructor: User, title: str, lines: list[str], video: Path) -> Microlecture:
    lecture = lecture_authoring.create(
        instructor, title=title, description="、".join(lines), knowledge_points=[title]
    )
    media.sample_video(video, seconds=DEMO_VIDEO_SECONDS, width=640, height=360)
    data = video.read_bytes()
    plan = lecture_uploads.plan_upload(
        instructor,
        lecture.id,
        file_name=video.name,
        size=len(data),
        content_type="video/mp4",
        sha256=None,
    )
    with video.open("rb") as source:  # what the phone does with the presigned URL
        runtime().object_store.put(staging_key(plan.upload.key), source, content_type="video/mp4")
    lecture_uploads.complete_upload(instructor, lecture.id, plan.upload.id, None)
    cues = "\n".join(
        f"{i + 1}\n00:00:0{i * 2},000 --> 00:00:0{i * 2 + 2},000\n{line}\n"
        for i, line in enumerate(lines)
    )
    lecture_authoring.set_transcript(instructor, lecture.id, format="srt", content=cues)
    return lecture


def _load_synonyms() -> list[str]:
    """Trade terms searched as one (platform admins edit them at /api/v1/search/synonyms)."""
    if indexing.synonyms():
        return []
    indexing.set_synonyms(DEMO_SYNONYMS)
    return [f"search synonyms ({len(DEMO_SYNONYMS)} groups)"]


def _load_bank() -> list[str]:
    if db.session.scalar(select(Bank.id).where(Bank.name == "配电运维题库（示范）")) is not None:
        return []
    editor = _user("power-editor")
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    bank = banks.create_bank(
        editor,
        {
            "name": "配电运维题库（示范）",
            "industry": "power",
            "course_ids": [course.id] if course else [],
        },
    )
    ids = [
        questions.create_question(editor, bank.id, dict(q)).question.id
        for q in (*DEMO_QUESTIONS, *DEMO_CONTEST_QUESTIONS, *DEMO_EXAM_QUESTIONS)
    ]
    questions.bulk(editor, bank.id, ids, "publish", None)
    snapshots.publish(editor, bank.id)
    return [f"bank {bank.name} ({len(ids)} questions, practice snapshot)"]


def _load_quizzes() -> list[str]:
    """A practice paper, a 15-minute exam, a month-long contest, and the demo course required
    of the power company's staff (so its learners have daily practice)."""
    if db.session.scalar(select(QuizTemplate.id).where(QuizTemplate.title == "配电安全练习")):
        return []
    bank = db.session.scalar(select(Bank).where(Bank.name == "配电运维题库（示范）"))
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    if bank is None or course is None:
        return []
    editor = _user("power-editor")
    ids = list(
        db.session.scalars(
            select(Question.id).where(Question.bank_id == bank.id).order_by(Question.id)
        )
    )
    practice_end = len(DEMO_QUESTIONS)
    contest_end = practice_end + len(DEMO_CONTEST_QUESTIONS)
    practice = {"points": 10, "question_ids": ids[:practice_end]}
    contest = {"points": 10, "question_ids": ids[practice_end:contest_end]}
    exam = {"points": 20, "question_ids": ids[contest_end:]}
    templates.create_template(
        editor,
        {
            "title": "配电安全练习",
            "mode": "practice",
            "shuffle_options": True,
            "sections": [practice],
        },
    )
    templates.create_template(
        editor,
        {
            "title": "配电安全考试（示范）",
            "mode": "exam",
            "time_limit_seconds": 900,
            "attempts_allowed": 3,
            "shuffle_options": True,
            "sections": [exam],
        },
    )
    now = utcnow()
    templates.create_template(
        editor,
        {
            "title": "配电安全知识竞赛（示范）",
            "mode": "contest",
            "time_limit_seconds": 600,
            "opens_at": now,
            "closes_at": now + timedelta(days=30),
            "sections": [contest],
        },
    )
    admin = _user("power-admin")
    course_enrolment.assign(admin, course.id, user_ids=None, due_date=None, required=True)
    assert admin.organisation is not None
    workshop = departments.find_or_create_path(admin.organisation, list(DEMO_WORKSHOP_ADMIN[1]))
    course_enrolment.assign(  # a rule: the workshop's line workers, within 30 days
        admin,
        course.id,
        user_ids=None,
        due_date=(now + timedelta(days=30)).date(),
        required=True,
        department_id=workshop.id,
        occupation="配电线路工",
    )
    return [
        "quizzes: a practice paper, an exam, a contest; DEMO-POWER-01 required of demo-power, "
        "and by a rule of 配电运维车间's 配电线路工 within 30 days"
    ]


DEMO_CREDIT_RULES: list[dict[str, Any]] = [
    {"kind": RuleKind.CERTIFICATE, "certificate_kind": CertificateKind.SKILL, "credits": 2.0},
    {
        "kind": RuleKind.CERTIFICATE,
        "certificate_kind": CertificateKind.SKILL,
        "skill_level": 2,
        "credits": 4.0,
    },
    {"kind": RuleKind.CERTIFICATE, "certificate_kind": CertificateKind.TRAINING, "credits": 0.5},
    {"kind": RuleKind.CONTEST_AWARD, "rank_from": 1, "rank_to": 3, "credits": 1.0},
]


def _load_credit_rules() -> list[str]:
    """The power company's rules, so level exams, certificates and contests earn credits
    from the first run (skill certificates 2, 技师 4, training certificates 0.5, contest top
    three 1)."""
    admin = _user("power-admin")
    if db.session.scalar(
        select(CreditRule.id).where(CreditRule.organisation_id == admin.organisation_id)
    ):
        return []
    for rule in DEMO_CREDIT_RULES:
        credit_rules.create_rule(admin, dict(rule))
    return [f"credit rules: {len(DEMO_CREDIT_RULES)} for demo-power"]


def _load_evaluation() -> list[str]:
    """The 变配电运行值班员 level-4 plan, its theory exam, and power-assessor bound to the
    occupation: power-learner applies once the demo course is completed."""
    admin = _user("power-admin")
    if db.session.scalar(
        select(EvaluationPlan.id).where(EvaluationPlan.organisation_id == admin.organisation_id)
    ):
        return []
    bank = db.session.scalar(select(Bank).where(Bank.name == "配电运维题库（示范）"))
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    if bank is None or course is None:
        return []
    exam_questions = list(
        db.session.scalars(
            select(Question.id)
            .where(Question.bank_id == bank.id)
            .order_by(Question.id)
            .offset(len(DEMO_QUESTIONS) + len(DEMO_CONTEST_QUESTIONS))
        )
    )
    theory = templates.create_template(
        _user("power-editor"),
        {
            "title": "变配电运行值班员四级理论考试（示范）",
            "mode": "exam",
            "time_limit_seconds": 1800,
            "feedback_policy": FeedbackPolicy.NEVER,  # re-sat after a failure: no key shown
            "occupation": DEMO_PLAN_OCCUPATION,
            "skill_level": 4,
            "sections": [{"points": 20, "question_ids": exam_questions}],
        },
    )
    body = {
        "code": "bpd-level-4",
        "title": "变配电运行值班员四级（中级工）评价方案",
        "occupation": DEMO_PLAN_OCCUPATION,
        "skill_level": 4,
        "required_course_ids": [course.id],
        "components": [
            {
                "key": "theory",
                "kind": "theory",
                "title": "理论知识考试",
                "weight": 40,
                "template_id": theory.id,
            },
            {
                "key": "practical",
                "kind": "practical",
                "title": "操作技能考核（倒闸操作）",
                "weight": 60,
                "checklist": [dict(item) for item in DEMO_PLAN_CHECKLIST],
            },
        ],
        "certificate_years": 3,
    }
    plan = plans.create_plan(admin, PlanWriteSchema().load(body))
    plans.publish(admin, plan.id)
    assessors.bind(admin, _user("power-assessor").id, [DEMO_PLAN_OCCUPATION])
    return [f"evaluation plan {plan.title}; power-assessor assesses {DEMO_PLAN_OCCUPATION}"]


demo_cli = AppGroup("demo", help="Demo data for development.")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo data when it is missing (safe to run again)."""
    for line in load_demo_data():
        click.echo(line)
