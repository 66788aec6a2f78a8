"""Demo data for ``make run``: organisations, a user per role, and a small real catalogue.

Loading is idempotent. Microlecture videos are generated with PyAV and go through the same
upload, check and processing path as an instructor's upload, so playback works right away.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup
from sqlalchemy import select

from catalog.accounts import services as accounts
from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from catalog.background.queue import inline_tasks
from catalog.banks import questions, snapshots
from catalog.banks import services as banks
from catalog.banks.models import Bank, Question
from catalog.clock import utcnow
from catalog.courses import authoring as course_authoring
from catalog.courses import enrolment as course_enrolment
from catalog.courses import publishing as course_publishing
from catalog.courses.models import Course
from catalog.database import db
from catalog.indexing import services as indexing
from catalog.lectures import authoring as lecture_authoring
from catalog.lectures import uploads as lecture_uploads
from catalog.lectures.models import Microlecture
from catalog.quiz import templates
from catalog.quiz.models import QuizTemplate
from catalog.reference.models import Industry, Occupation
from catalog.runtime import runtime
from config import Environment
from ingest import media
from ingest.questions import tabular

DEMO_PASSWORD = "jiangyun-demo"

DEMO_ORGANISATIONS = (
    ("demo-power", "示范电力公司", OrganisationKind.ENTERPRISE),
    ("demo-gas", "示范燃气集团", OrganisationKind.ENTERPRISE),
    ("demo-college", "示范技师学院", OrganisationKind.SCHOOL),
)

DEMO_USERS = (
    ("platform", "平台管理员", (Role.PLATFORM_ADMIN,), None),
    ("power-admin", "电力公司培训管理员", (Role.ADMIN,), "demo-power"),
    ("power-instructor", "王师傅（劳模讲师）", (Role.INSTRUCTOR,), "demo-power"),
    ("power-editor", "李编辑", (Role.EDITOR,), "demo-power"),
    ("power-learner", "张工（配电运维）", (Role.LEARNER,), "demo-power"),
    ("gas-learner", "赵工（燃气管网）", (Role.LEARNER,), "demo-gas"),
    ("gas-instructor", "刘师傅（燃气工匠）", (Role.INSTRUCTOR,), "demo-gas"),
    ("college-instructor", "陈老师（技师学院）", (Role.INSTRUCTOR,), "demo-college"),
)

DEMO_INDUSTRIES = (
    ("power", "电力", "Electric power"),
    ("gas", "燃气", "Gas"),
    ("geology", "地质", "Geology"),
    ("manufacturing", "装备制造", "Equipment manufacturing"),
    ("ic", "集成电路", "Integrated circuits"),
    ("biomed", "生物医药", "Biomedicine"),
    ("ai", "人工智能", "Artificial intelligence"),
)

# Demo occupations; the codes follow the national classification's shape (大类-中类-小类-细类).
DEMO_OCCUPATIONS = (
    ("6-28-01-14", "变配电运行值班员", "power"),
    ("6-28-02-05", "燃气输送工", "gas"),
    ("6-18-01-01", "车工", "manufacturing"),
)


@dataclass(frozen=True)
class DemoCourse:
    code: str
    instructor: str
    fields: dict[str, Any]
    chapters: tuple[tuple[str, tuple[str, list[str]]], ...]


DEMO_COURSES: tuple[DemoCourse, ...] = (
    DemoCourse(
        code="DEMO-POWER-01",
        instructor="power-instructor",
        fields={
            "code": "DEMO-POWER-01",
            "title": "配电网运维与倒闸操作",
            "summary": "面向一线运维人员，讲清配电网结构、倒闸操作票与安全措施。",
            "objectives": ["掌握配电网基本结构", "能够正确填写和执行倒闸操作票"],
            "industry": "power",
            "occupation": "6-28-01-14",
            "skill_level": 4,
            "class_hours": 6,
            "credits": 1,
            "tags": ["配电", "安全", "倒闸操作"],
        },
        chapters=(
            (
                "第一章 配电网结构",
                (
                    "配电网的组成",
                    ["配电网由变电站、线路和配电变压器组成", "运维人员要熟悉接线方式"],
                ),
            ),
            (
                "第二章 倒闸操作",
                ("倒闸操作票怎么填", ["操作前核对设备名称和编号", "严格执行监护复诵制度"]),
            ),
        ),
    ),
    DemoCourse(
        code="DEMO-GAS-01",
        instructor="gas-instructor",
        fields={
            "code": "DEMO-GAS-01",
            "title": "城镇燃气管网巡检",
            "summary": "燃气管网日常巡检的要点、泄漏检测与应急处置。",
            "objectives": ["掌握管网巡检路线与记录", "能够识别并处置燃气泄漏"],
            "industry": "gas",
            "occupation": "6-28-02-05",
            "skill_level": 5,
            "class_hours": 4,
            "credits": 0.5,
            "tags": ["燃气", "巡检", "应急"],
        },
        chapters=(
            (
                "第一章 巡检要点",
                ("巡检路线与记录", ["按规定路线巡检并做好记录", "重点关注阀门井和调压箱"]),
            ),
            (
                "第二章 泄漏处置",
                ("发现泄漏怎么办", ["立即疏散人员并禁止明火", "报告调度并设置警戒区"]),
            ),
        ),
    ),
    DemoCourse(
        code="DEMO-MFG-01",
        instructor="college-instructor",
        fields={
            "code": "DEMO-MFG-01",
            "title": "数控车床操作入门",
            "summary": "技师学院精品课：数控车床的安全操作与基本编程。",
            "objectives": ["了解数控车床结构", "能够完成简单零件的编程与加工"],
            "industry": "manufacturing",
            "occupation": "6-18-01-01",
            "skill_level": 3,
            "class_hours": 8,
            "credits": 1.5,
            "tags": ["数控", "车工", "安全操作"],
        },
        chapters=(
            (
                "第一章 安全操作",
                ("开机前的安全检查", ["检查防护门和急停按钮", "穿戴好劳动防护用品"]),
            ),
            ("第二章 基础编程", ("G代码入门", ["G00 快速定位，G01 直线插补", "先空运行再加工"])),
        ),
    ),
)

DEMO_VIDEO_SECONDS = 4


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
    done += _load_reference_data()
    done += _load_catalogue()
    done += _load_bank()
    done += _load_quizzes()
    done += _load_synonyms()
    if done:
        done.insert(0, "demo data loaded:")
    else:
        done.append("demo data already present")
    done.append(
        "demo users " + ", ".join(u[0] for u in DEMO_USERS) + f" — password {DEMO_PASSWORD}"
    )
    return done


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
            course_authoring.submit(instructor, course.id)
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
        runtime().object_store.put(plan.upload.key, source, content_type="video/mp4")
    lecture_uploads.complete_upload(instructor, lecture.id, plan.upload.id, None)
    cues = "\n".join(
        f"{i + 1}\n00:00:0{i * 2},000 --> 00:00:0{i * 2 + 2},000\n{line}\n"
        for i, line in enumerate(lines)
    )
    lecture_authoring.set_transcript(instructor, lecture.id, format="srt", content=cues)
    return lecture


DEMO_QUESTIONS = (
    tabular.TEMPLATE_SAMPLES[0],  # the template's sample, as editors first see it
    {
        "type": "multiple_choice",
        "stem": "下列属于电气安全工器具的有（ ）。",
        "options": [
            {"label": "A", "text": "绝缘手套"},
            {"label": "B", "text": "验电器"},
            {"label": "C", "text": "活动扳手"},
            {"label": "D", "text": "携带型接地线"},
        ],
        "answer": {"correct": ["A", "B", "D"]},
        "explanation": "扳手是一般工具。",
        "difficulty": 3,
        "knowledge_points": ["安全工器具"],
        "tags": ["安全"],
    },
    {
        "type": "true_false",
        "stem": "倒闸操作可以不填写操作票，凭经验进行。",
        "answer": {"correct": False},
        "explanation": "倒闸操作必须填写操作票并执行监护复诵制度。",
        "difficulty": 1,
        "knowledge_points": ["倒闸操作"],
        "tags": ["两票三制"],
    },
    {
        "type": "fill_blank",
        "stem": "我国电力系统的额定频率为____Hz。",
        "answer": {"blanks": [{"accepted": ["50"], "tolerance": 0}], "ordered": True},
        "explanation": "工频 50Hz。",
        "difficulty": 1,
        "knowledge_points": ["电力系统基础"],
        "tags": [],
    },
    {
        "type": "short_answer",
        "stem": "简述装设接地线的顺序。",
        "answer": {
            "keywords": [{"word": "接地端", "weight": 2}, {"word": "导体端", "weight": 2}],
            "reference": "先接接地端，后接导体端；拆除时顺序相反。",
            "manual": False,
        },
        "explanation": "",
        "difficulty": 3,
        "knowledge_points": ["接地线"],
        "tags": ["安全"],
    },
)


DEMO_SYNONYMS = [["变电站", "变电所"], ["安全帽", "安全头盔"], ["倒闸", "倒闸操作"]]


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
    ids = [questions.create_question(editor, bank.id, dict(q)).question.id for q in DEMO_QUESTIONS]
    questions.bulk(editor, bank.id, ids, "publish", None)
    snapshots.publish(editor, bank.id)
    return [f"bank {bank.name} ({len(ids)} questions, practice snapshot)"]


def _load_quizzes() -> list[str]:
    """A practice paper, a month-long contest, and the demo course required of the power
    company's staff (so its learners have daily practice)."""
    if db.session.scalar(select(QuizTemplate.id).where(QuizTemplate.title == "配电安全练习")):
        return []
    bank = db.session.scalar(select(Bank).where(Bank.name == "配电运维题库（示范）"))
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    if bank is None or course is None:
        return []
    editor = _user("power-editor")
    ids = list(db.session.scalars(select(Question.id).where(Question.bank_id == bank.id)))
    section = {"points": 10, "question_ids": ids}
    templates.create_template(
        editor,
        {
            "title": "配电安全练习",
            "mode": "practice",
            "shuffle_options": True,
            "sections": [section],
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
            "sections": [section],
        },
    )
    course_enrolment.assign(
        _user("power-admin"), course.id, user_ids=None, due_date=None, required=True
    )
    return ["quizzes: a practice paper, a contest; DEMO-POWER-01 required of demo-power"]


demo_cli = AppGroup("demo", help="Demo data for development.")


@demo_cli.command("load")
def load_demo() -> None:
    """Load the demo data when it is missing (safe to run again)."""
    for line in load_demo_data():
        click.echo(line)
