"""A seeded dataset at the seed platform's scale, written through the app's own services.

At ``--scale 1``: 20 organisations, 39 standardised courses across industries and skill
levels, 3,530 microlectures with Chinese titles, descriptions and transcripts, 50,317
questions of every type with explanations and knowledge points (imported from .xlsx files
through the import path), 10,000 learners, course assignments and a history of learning
statements and daily-practice sessions. ``--scale 0.1`` is a tenth of everything (at least
one of each); the same seed gives the same dataset.

Writes into the configured app (``DATABASE_URL``, ``VAR_DIR``, … as for ``make run``), by
default a folder of its own: ``--var-dir var/dataset``. Run:
``.venv/bin/python benchmarks/generate.py --scale 0.1``.

Media: the first few microlectures (four, 3 to 15 minutes long) go through the
real upload and transcoding pipeline; the others share those processed files, because
transcoding 3,530 real videos takes hours on a small machine (``make bench`` measures the
pipeline itself). Every lecture still has its own record, transcript, index entry and review.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
import uuid
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from benchmarks import bench_search
from benchmarks.bench_import import question, start_file_import
from catalog.demo import DEMO_INDUSTRIES as INDUSTRIES

ORGANISATIONS, COURSES, LECTURES, QUESTIONS, LEARNERS = 20, 39, 3_530, 50_317, 10_000
PASSWORD = "jiangyun-bench"  # every generated user's; hashed once
HISTORY_DAYS = 28  # within STATEMENT_PAST_DAYS (30): older heartbeats are refused
MEDIA_CLIPS = 4  # 3, 7, 11 and 15 minutes long

TOPICS = {
    "power": ["配电网运维", "变电站巡视", "输电线路检修", "继电保护", "电能计量"],
    "gas": ["燃气管网巡检", "调压站运行", "燃气泄漏处置", "户内安检"],
    "geology": ["地质勘探", "钻探施工", "岩芯编录"],
    "manufacturing": ["数控车床操作", "焊接工艺", "装配调试", "工业机器人运维"],
    "ic": ["芯片封装", "洁净车间管理", "光刻工艺"],
    "biomed": ["无菌操作", "生物制药工艺", "GMP 规范"],
    "ai": ["智能巡检", "数据标注", "工业视觉检测"],
}
VERBS = ["安全要点", "操作规程", "故障处理", "隐患排查", "标准作业", "应急处置", "验收规范"]
SENTENCES = [
    *bench_search.SENTENCES,
    "检修结束后要清点工具并恢复现场",
    "交接班时必须说清设备运行状态",
]
LEVEL_NAMES = ["初级工", "中级工", "高级工", "技师", "高级技师"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def username(org: int, role: str, n: int | None = None) -> str:
    """Generated users: gen-03-admin, gen-03-editor, gen-03-instructor, gen-03-00042."""
    return f"gen-{org:02d}-{role}" if n is None else f"gen-{org:02d}-{n:05d}"


@dataclass
class Plan:
    """How many of each thing ``--scale`` asks for."""

    scale: float
    organisations: int = 0
    courses: int = 0
    lectures: int = 0
    questions: int = 0
    learners: int = 0

    def __post_init__(self) -> None:
        def scaled(n: int) -> int:
            return max(1, round(n * self.scale))

        self.organisations = scaled(ORGANISATIONS)
        self.courses = max(self.organisations, scaled(COURSES))
        self.lectures = max(self.courses, scaled(LECTURES))
        self.questions = max(self.courses * 25, scaled(QUESTIONS))
        self.learners = scaled(LEARNERS)


@dataclass
class Made:
    organisations: list[Any] = field(default_factory=list)
    staff: dict[tuple[int, str], Any] = field(default_factory=dict)
    courses: list[int] = field(default_factory=list)  # course ids, course i of org i % n
    lectures_of: dict[int, list[int]] = field(default_factory=dict)
    banks: list[int] = field(default_factory=list)
    learners: list[Any] = field(default_factory=list)


class OnceHasher:
    """Every generated user has the same password: hash it once (argon2 takes ~50 ms)."""

    def __init__(self, hasher: Any) -> None:
        self.hasher = hasher
        self.done: dict[str, str] = {}

    def hash(self, password: str) -> str:
        if password not in self.done:
            self.done[password] = self.hasher.hash(password)
        return self.done[password]

    def __getattr__(self, name: str) -> Any:
        return getattr(self.hasher, name)


@contextmanager
def bar(progress: Progress, label: str, total: int) -> Iterator[Any]:
    task = progress.add_task(label, total=total)
    yield lambda n=1: progress.advance(task, n)
    progress.update(task, completed=total)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="1 = the seed platform")
    parser.add_argument("--seed", type=int, default=39)
    parser.add_argument("--var-dir", default=os.environ.get("VAR_DIR", "var/dataset"))
    args = parser.parse_args()
    if args.scale <= 0:
        parser.error("--scale must be above 0")
    os.environ["VAR_DIR"] = args.var_dir
    Path(args.var_dir).mkdir(parents=True, exist_ok=True)
    console = Console()
    plan = Plan(args.scale)
    console.print(
        f"匠云 dataset ×{args.scale:g} (seed {args.seed}) into {args.var_dir}: "
        f"{plan.organisations} organisations, {plan.courses} courses, {plan.lectures} "
        f"microlectures, {plan.questions:,} questions, {plan.learners:,} learners"
    )
    started = time.perf_counter()
    generate(plan, args.seed, console)
    console.print(f"done in {time.perf_counter() - started:.0f} s")


def generate(plan: Plan, seed: int, console: Console) -> Made:
    from flask_migrate import upgrade

    from catalog import create_app
    from catalog.accounts.models import Organisation
    from catalog.background.queue import inline_tasks
    from catalog.database import db
    from catalog.runtime import runtime
    from config import Environment, load_settings

    settings = load_settings()
    if settings.environment is Environment.PRODUCTION:
        raise SystemExit("refusing to write a generated dataset into a production environment")
    app = create_app(settings.with_overrides(log_level="WARNING"))
    rng = random.Random(seed)
    made = Made()
    columns = (
        TextColumn("{task.description:<28}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    )
    with app.app_context(), inline_tasks(), Progress(*columns, console=console) as progress:
        upgrade()
        if db.session.scalar(db.select(Organisation.id).where(Organisation.code == "gen-00")):
            raise SystemExit(f"{settings.var_dir} already holds a generated dataset")
        runtime().password_hasher = OnceHasher(runtime().password_hasher)
        _reference()
        _organisations(plan, made, progress)
        _learners(plan, made, progress, rng)
        _lectures(plan, made, progress, rng)
        _courses(plan, made, progress, rng)
        _banks(plan, made, progress, rng)
        _history(plan, made, progress, rng)
    return made


def _reference() -> None:
    from catalog.database import db
    from catalog.reference.models import Industry

    for order, (code, name, name_en) in enumerate(INDUSTRIES):
        if db.session.scalar(db.select(Industry.id).where(Industry.code == code)) is None:
            db.session.add(Industry(code=code, name=name, name_en=name_en, sort_order=order))
    db.session.commit()


def _organisations(plan: Plan, made: Made, progress: Progress) -> None:
    from catalog.accounts import services as accounts
    from catalog.accounts.models import OrganisationKind, Role

    with bar(progress, "organisations and staff", plan.organisations) as advance:
        for o in range(plan.organisations):
            industry = INDUSTRIES[o % len(INDUSTRIES)]
            kind = OrganisationKind.SCHOOL if o % 5 == 4 else OrganisationKind.ENTERPRISE
            suffix = "技师学院" if kind is OrganisationKind.SCHOOL else "有限公司"
            org = accounts.create_organisation(
                code=f"gen-{o:02d}", name=f"{industry[1]}示范{o + 1}号{suffix}", kind=kind
            )
            made.organisations.append(org)
            for role in (Role.ADMIN, Role.INSTRUCTOR, Role.EDITOR):
                made.staff[(o, role.value)] = accounts.create_user(
                    username=username(o, role.value),
                    display_name=f"{org.name}{role.value}",
                    password=PASSWORD,
                    roles=[role],
                    organisation=org,
                )
            advance()


def _learners(plan: Plan, made: Made, progress: Progress, rng: random.Random) -> None:
    from catalog.accounts import services as accounts
    from catalog.accounts.models import Role

    with bar(progress, "learners", plan.learners) as advance:
        for n in range(plan.learners):
            o = n % plan.organisations
            name = rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(["", *GIVEN])
            made.learners.append(
                accounts.create_user(
                    username=username(o, "learner", n),
                    display_name=name,
                    password=PASSWORD,
                    roles=[Role.LEARNER],
                    organisation=made.organisations[o],
                )
            )
            advance()


def _course_org(plan: Plan, course: int) -> int:
    return course % plan.organisations


def _srt(lines: Iterable[str], duration: float) -> str:
    lines = list(lines)
    step = duration / len(lines)

    def stamp(seconds: float) -> str:
        whole = int(seconds)
        return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d},000"

    return "\n".join(
        f"{i + 1}\n{stamp(i * step)} --> {stamp((i + 1) * step)}\n{line}\n"
        for i, line in enumerate(lines)
    )


def _lectures(plan: Plan, made: Made, progress: Progress, rng: random.Random) -> None:
    """Microlectures of each course's organisation: created, given media and a transcript,
    and published, through the lecture services."""
    from catalog.database import db
    from catalog.lectures import authoring as lecture_authoring
    from catalog.lectures.models import LectureStatus, MediaAsset, Microlecture

    clips: list[Microlecture] = []
    per_course = [plan.lectures // plan.courses] * plan.courses
    for extra in range(plan.lectures % plan.courses):
        per_course[extra] += 1
    with (
        tempfile.TemporaryDirectory(prefix="jiangyun-gen-") as folder,
        bar(progress, "microlectures", plan.lectures) as advance,
    ):
        count = 0
        for course, how_many in enumerate(per_course):
            o = _course_org(plan, course)
            industry = INDUSTRIES[o % len(INDUSTRIES)][0]
            instructor, editor = made.staff[(o, "instructor")], made.staff[(o, "editor")]
            made.lectures_of[course] = []
            for _ in range(how_many):
                topic, verb = rng.choice(TOPICS[industry]), rng.choice(VERBS)
                lines = [rng.choice(SENTENCES) for _ in range(rng.randint(20, 40))]
                lecture = lecture_authoring.create(
                    instructor,
                    title=f"{topic}{verb}（{count + 1}）",
                    description=f"本微课讲解{topic}的{verb}：{lines[0]}。",
                    knowledge_points=[topic, verb],
                )
                if len(clips) < min(MEDIA_CLIPS, plan.lectures):
                    seconds = 180 + len(clips) * 720 / max(1, MEDIA_CLIPS - 1)
                    _process(instructor, lecture, Path(folder) / f"{len(clips)}.mp4", seconds)
                    clips.append(lecture)
                else:
                    source = clips[count % len(clips)]
                    lecture.active_upload_id = source.active_upload_id
                    lecture.duration_seconds = source.duration_seconds
                    lecture.status = LectureStatus.READY
                    for asset in source.active_assets:
                        db.session.add(
                            MediaAsset(
                                microlecture_id=lecture.id,
                                upload_id=asset.upload_id,
                                kind=asset.kind,
                                key=asset.key,
                                content_type=asset.content_type,
                                size=asset.size,
                                width=asset.width,
                                height=asset.height,
                                bitrate=asset.bitrate,
                                duration_seconds=asset.duration_seconds,
                                codecs=asset.codecs,
                            )
                        )
                    db.session.commit()
                lecture_authoring.set_transcript(
                    instructor,
                    lecture.id,
                    format="srt",
                    content=_srt(lines, lecture.duration_seconds or 180),
                )
                lecture_authoring.publish(editor, lecture.id)
                made.lectures_of[course].append(lecture.id)
                count += 1
                advance()


def _process(instructor: Any, lecture: Any, video: Path, seconds: float) -> None:
    from catalog.database import db
    from catalog.lectures import uploads as lecture_uploads
    from catalog.runtime import runtime
    from catalog.uploads import staging_key
    from ingest import media

    media.sample_video(video, seconds=seconds, width=160, height=90, fps=5, video_bitrate=30_000)
    plan = lecture_uploads.plan_upload(
        instructor,
        lecture.id,
        file_name=video.name,
        size=video.stat().st_size,
        content_type="video/mp4",
        sha256=None,
    )
    with video.open("rb") as source:  # what the instructor's browser does with the URL
        runtime().object_store.put(staging_key(plan.upload.key), source, content_type="video/mp4")
    lecture_uploads.complete_upload(instructor, lecture.id, plan.upload.id, None)
    db.session.refresh(lecture)


def _courses(plan: Plan, made: Made, progress: Progress, rng: random.Random) -> None:
    from catalog.courses import authoring as course_authoring
    from catalog.courses import enrolment as course_enrolment
    from catalog.courses import publishing as course_publishing

    with bar(progress, "courses (published, assigned)", plan.courses) as advance:
        for course in range(plan.courses):
            o = _course_org(plan, course)
            industry = INDUSTRIES[o % len(INDUSTRIES)][0]
            topic = TOPICS[industry][course % len(TOPICS[industry])]
            level = course % 5 + 1
            instructor, editor = made.staff[(o, "instructor")], made.staff[(o, "editor")]
            created = course_authoring.create(
                instructor,
                {
                    "code": f"STD-{course + 1:03d}",
                    "title": f"{topic}（{LEVEL_NAMES[level - 1]}）",
                    "summary": f"{topic}岗位的标准化课程：{rng.choice(SENTENCES)}。",
                    "objectives": [f"掌握{topic}的{verb}" for verb in rng.sample(VERBS, 3)],
                    "industry": industry,
                    "skill_level": level,
                    "class_hours": 8 + course % 5 * 4,
                    "credits": 1.0 + course % 3 * 0.5,
                },
            )
            ids = made.lectures_of[course]
            chapters = [
                {
                    "title": f"第{number + 1}章",
                    "items": [{"microlecture_id": i, "required": True} for i in ids[start:][:10]],
                }
                for number, start in enumerate(range(0, len(ids), 10))
            ]
            course_authoring.set_chapters(instructor, created.id, chapters)
            course_publishing.submit(instructor, created.id)
            course_publishing.publish(editor, created.id)
            course_enrolment.assign(
                made.staff[(o, "admin")],
                created.id,
                user_ids=None,
                due_date=None,
                required=course % 2 == 0,
            )
            made.courses.append(created.id)
            advance()


def _banks(plan: Plan, made: Made, progress: Progress, rng: random.Random) -> None:
    """One bank per course, imported from an .xlsx through the import path, with a practice
    snapshot and a practice paper of 20 questions."""
    from catalog.banks import services, snapshots
    from catalog.quiz import templates
    from ingest.questions.tabular import write_xlsx

    per_bank = [plan.questions // plan.courses] * plan.courses
    for extra in range(plan.questions % plan.courses):
        per_bank[extra] += 1
    number = 0
    with (
        tempfile.TemporaryDirectory(prefix="jiangyun-gen-") as folder,
        bar(progress, "questions (imported .xlsx)", plan.questions) as advance,
    ):
        for course, how_many in enumerate(per_bank):
            o = _course_org(plan, course)
            editor = made.staff[(o, "editor")]
            industry = INDUSTRIES[o % len(INDUSTRIES)][0]
            bank = services.create_bank(
                editor,
                {
                    "name": f"STD-{course + 1:03d} 题库",
                    "industry": industry,
                    "course_ids": [made.courses[course]],
                },
            )
            path = Path(folder) / f"bank-{course}.xlsx"
            rows = [question(rng, number + n + 1) for n in range(how_many)]
            for row in rows:
                row["usage"] = "both"  # practice and exams may draw every question
            write_xlsx(rows, path)
            number += how_many
            record = start_file_import(editor, bank.id, path, mode="skip_invalid")
            if record.status.value != "done":
                raise SystemExit(f"import into bank {bank.id} ended {record.status.value}")
            snapshots.publish(editor, bank.id)
            templates.create_template(
                editor,
                {
                    "title": f"STD-{course + 1:03d} 练习",
                    "mode": "practice",
                    "shuffle_options": True,
                    "sections": [{"points": 5, "count": min(20, how_many), "bank_ids": [bank.id]}],
                },
            )
            made.banks.append(bank.id)
            advance(how_many)


def _history(plan: Plan, made: Made, progress: Progress, rng: random.Random) -> None:
    """Each learner watched some lectures of an assigned course over the last 60 days
    (heartbeats of 15–30 s, as phones send them); one in five did today's daily practice."""
    from catalog.clock import utcnow
    from catalog.database import db
    from catalog.learning import recording
    from catalog.lectures.models import Microlecture

    rows = db.session.execute(db.select(Microlecture.id, Microlecture.duration_seconds)).all()
    durations: dict[int, float | None] = {row[0]: row[1] for row in rows}
    courses_of_org: dict[int, list[int]] = {}
    for course in range(plan.courses):
        courses_of_org.setdefault(_course_org(plan, course), []).append(course)
    now = utcnow()
    with bar(progress, "learning history", len(made.learners)) as advance:
        for n, learner in enumerate(made.learners):
            course = rng.choice(courses_of_org[n % plan.organisations])
            watched = rng.sample(made.lectures_of[course], min(3, len(made.lectures_of[course])))
            when = now - timedelta(days=rng.uniform(1, HISTORY_DAYS))
            statements = []
            for lecture in watched:
                position, length = 0.0, durations[lecture] or 180
                stop = length if rng.random() < 0.6 else length * rng.uniform(0.2, 0.8)
                while position < stop:
                    step = min(rng.uniform(15, 30), stop - position)
                    when += timedelta(seconds=step)
                    statements.append(
                        {
                            "id": str(uuid.UUID(int=rng.getrandbits(128))),
                            "verb": "progressed",
                            "object": {"type": "microlecture", "id": lecture},
                            "result": {
                                "position_from": round(position, 3),
                                "position_to": round(position + step, 3),
                                "playback_rate": 1.0,
                                "wall_seconds": round(step, 3),
                            },
                            "timestamp": when.isoformat(),
                        }
                    )
                    position += step
                when += timedelta(hours=rng.uniform(2, 48))
            for start in range(0, len(statements), 500):
                recording.record_batch(learner, statements[start : start + 500])
            if n % 5 == 0:
                _daily_practice(learner, rng)
            advance()


def _daily_practice(learner: Any, rng: random.Random) -> None:
    from catalog.quiz import answering, sessions, submission

    session = sessions.start_daily(learner)
    view = submission.view(learner, session.id)
    for item in view.items:
        options = [o["label"] for o in item.options] or ["A"]
        if item.type in {"single_choice", "multiple_choice"}:
            response: dict[str, Any] = {"selected": [rng.choice(options)]}
        elif item.type == "true_false":
            response = {"value": rng.random() < 0.5}
        elif item.type == "fill_blank":
            response = {"blanks": ["验电并装设接地线", "办理工作票"]}
        else:
            response = {"text": "先办理工作票，再验电并装设接地线。"}
        answering.save_answer(
            learner, session.id, item.position, response, f"{session.id}-{item.position}", None
        )
    submission.submit(learner, session.id)


if __name__ == "__main__":
    main()
