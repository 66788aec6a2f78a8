"""Training statistics for organisation admins: person-times (人次), distinct learners, study
hours, completions and exam pass rates, by course, industry, organisation, day or month.

Person-times and study hours come from the ``training_activity`` rows kept as statements
arrive (one per learner, course and day), so a report reads neither the statements nor the
heartbeats; completions and exams are few and are folded here.
"""

from __future__ import annotations

import csv
import io
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Integer, and_, case, cast, func, literal, select

from catalog.accounts.departments import get_department
from catalog.accounts.models import Department, Organisation, Role, User
from catalog.accounts.scope import scope_of, subtree_ids
from catalog.clock import end_of, local_day, utcnow
from catalog.courses.models import Course, CourseRelease
from catalog.database import db
from catalog.errors import Invalid, PermissionDenied
from catalog.learning.models import Statement, TrainingActivity
from catalog.quiz.models import FINISHED, QuizMode, QuizSession, QuizTemplate
from catalog.reference.models import Industry
from catalog.runtime import runtime
from catalog.security import effective_roles
from ingest.spreadsheets import csv_cell, workbook

GROUPS = ("course", "industry", "organisation", "department", "day", "month")
CLASS_HOUR_SECONDS = 45 * 60  # 学时: a 45-minute class hour


@dataclass
class Row:
    key: str
    label: str
    person_times: int = 0
    learners: int = 0
    study_hours: float = 0.0  # watched time in class hours
    completions: int = 0
    course_hours: float = 0.0  # class hours of the courses completed
    exams: int = 0
    passes: int = 0

    @property
    def pass_rate(self) -> float | None:
        return round(self.passes / self.exams, 3) if self.exams else None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"pass_rate": self.pass_rate}


@dataclass(frozen=True)
class Scope:
    """What a report covers: how it groups, which local days, which organisation (or all),
    and which people (a department's subtree, an occupation, a level: ``people``)."""

    group_by: str
    date_from: date
    date_to: date
    organisation_id: int | None
    people: Any = None  # a filter on User, or None: everyone of the organisation
    below: Department | None = None  # department rows are this one's children (None: roots)
    paths: dict[int, str] = field(default_factory=dict)  # department id → path, when grouped

    def fold(self, department_id: Any) -> str:
        """A user's department as a row of a department report: the child of ``below`` (or
        the root) whose subtree holds it; "direct" for ``below`` itself; "None" for none."""
        if department_id is None:
            return "None"
        path = self.paths.get(int(department_id))
        if path is None:
            return "None"
        ids = path.strip("/").split("/")
        depth = self.below.path.count("/") - 1 if self.below is not None else 0
        if self.below is not None and int(department_id) == self.below.id:
            return "direct"
        return ids[depth] if len(ids) > depth else "None"

    @property
    def window(self) -> tuple[datetime, datetime]:
        """The UTC instants from the first local day's start to the last one's end."""
        return end_of(self.date_from - timedelta(days=1)), end_of(self.date_to)


@dataclass
class Report:
    group_by: str
    date_from: date
    date_to: date
    organisation_id: int | None
    rows: list[Row]
    total: Row


def training_report(
    admin: User,
    *,
    group_by: str,
    date_from: date | None,
    date_to: date | None,
    organisation_code: str | None = None,
    department_id: int | None = None,
    occupation: str | None = None,
    skill_level: int | None = None,
) -> Report:
    """The report in the admin's scope: their organisation (platform admins: any or all).
    Every row is a part of the total: the additive columns of the rows sum to it."""
    organisation_id = _organisation_in_scope(admin, organisation_code)
    # The learners' day (TIME_ZONE), not UTC's: after 16:00 UTC it is already tomorrow in Beijing.
    date_to = date_to or local_day(utcnow())
    date_from = date_from or date_to - timedelta(days=30)
    if date_from > date_to:
        raise Invalid(
            "开始日期晚于结束日期 / from is later than to",
            details={"query": {"from": ["须不晚于 to / must not be later than to"]}},
        )
    rows: dict[str, Row] = {}
    total = Row("total", "合计 / Total")
    people, below = _people(admin, department_id, occupation, skill_level)
    paths: dict[int, str] = {}
    if group_by == "department":
        known = select(Department.id, Department.path)
        if organisation_id is not None:
            known = known.where(Department.organisation_id == organisation_id)
        paths = dict(db.session.execute(known).all())
    scope = Scope(group_by, date_from, date_to, organisation_id, people, below, paths)
    _activity(rows, total, scope)
    _completions(rows, total, scope)
    _exams(rows, total, scope)
    labels = _labels(group_by, list(rows))
    for key, row in rows.items():
        row.label = labels.get(key, NO_GROUP.get(key, row.label))
    _apportion(list(rows.values()), total, "study_hours")
    _apportion(list(rows.values()), total, "course_hours")
    ordered = sorted(
        rows.values(), key=lambda r: r.key if group_by in ("day", "month") else r.label
    )
    return Report(group_by, date_from, date_to, organisation_id, ordered, total)


NO_GROUP = {
    "None": "无（不属于任何课程、行业或部门）/ None",
    "direct": "本部门直属 / directly in the department",
}


def _people(
    admin: User, department_id: int | None, occupation: str | None, skill_level: int | None
) -> tuple[Any, Department | None]:
    """Whom the report counts: an admin scoped to a department counts only its subtree (a
    department outside it is a 404); filters by department (subtree), occupation and level."""
    below = get_department(admin, department_id) if department_id is not None else scope_of(admin)
    conditions: list[Any] = []
    if below is not None:
        conditions.append(User.department_id.in_(subtree_ids(below)))
    if occupation:
        conditions.append(User.occupation == occupation)
    if skill_level is not None:
        conditions.append(User.skill_level == skill_level)
    return (and_(*conditions) if conditions else None), below


def _organisation_in_scope(admin: User, code: str | None) -> int | None:
    """The organisation a report covers: an admin's own (naming another is a 422, as naming
    one that does not exist: nobody learns which codes exist); a platform admin's choice."""
    if not admin.is_platform_admin and Role.ADMIN not in effective_roles(admin):
        raise PermissionDenied("只有管理员可以查看培训统计 / Admins only")
    if code is None:
        return None if admin.is_platform_admin else admin.organisation_id
    found = db.session.scalar(select(Organisation.id).where(Organisation.code == code))
    if found is None or (not admin.is_platform_admin and found != admin.organisation_id):
        raise Invalid(
            "无权查看该组织的统计 / You cannot report on that organisation",
            details={"query": {"organisation": [f"不可用的组织 / not available: {code}"]}},
        )
    return int(found)


def _apportion(rows: list[Row], total: Row, name: str) -> None:
    """Round a column to two places so the rows still sum to the (rounded) total: each row
    gets its floor, and the hundredths left go to the largest remainders."""
    exact = [getattr(row, name) * 100 for row in rows]
    target = round(sum(exact) if rows else getattr(total, name) * 100)
    floors = [int(value // 1) for value in exact]
    left = target - sum(floors)
    order = sorted(range(len(rows)), key=lambda i: exact[i] - floors[i], reverse=True)
    for i in order[: max(left, 0)]:
        floors[i] += 1
    for row, value in zip(rows, floors, strict=True):
        setattr(row, name, value / 100)
    setattr(total, name, target / 100)


def _key_column(group_by: str) -> Any:
    if group_by == "department":
        return User.department_id
    if group_by == "course":
        return TrainingActivity.course_id
    if group_by == "industry":
        return Course.industry_id
    if group_by == "organisation":
        return TrainingActivity.organisation_id
    if group_by == "month":
        if db.session.get_bind().dialect.name == "postgresql":
            return func.to_char(TrainingActivity.day, "YYYY-MM")
        return func.strftime("%Y-%m", TrainingActivity.day)
    return TrainingActivity.day


def _activity(rows: dict[str, Row], total: Row, scope: Scope) -> None:
    conditions: list[Any] = [TrainingActivity.day.between(scope.date_from, scope.date_to)]
    if scope.organisation_id is not None:
        conditions.append(TrainingActivity.organisation_id == scope.organisation_id)
    by_people = scope.people is not None or scope.group_by == "department"
    if scope.people is not None:
        conditions.append(scope.people)
    key = _key_column(scope.group_by)
    query = select(
        key,
        func.count(),
        func.count(TrainingActivity.user_id.distinct()),
        func.sum(TrainingActivity.seconds_watched),
    ).where(*conditions)
    if scope.group_by == "industry":
        query = query.join(Course, Course.id == TrainingActivity.course_id)
    if by_people:
        query = query.join(User, User.id == TrainingActivity.user_id)
    for value, person_times, learners, seconds in db.session.execute(query.group_by(key)):
        if scope.group_by == "department":  # a learner is in one department: sums are exact
            row = _row(rows, scope.fold(value))
        else:
            row = _row(rows, value.isoformat() if isinstance(value, date) else str(value))
        row.person_times += int(person_times)
        row.learners += int(learners)
        row.study_hours += float(seconds or 0) / CLASS_HOUR_SECONDS
    counted = select(
        func.count(),
        func.count(TrainingActivity.user_id.distinct()),
        func.sum(TrainingActivity.seconds_watched),
    ).where(*conditions)
    if by_people:
        counted = counted.join(User, User.id == TrainingActivity.user_id)
    totals = db.session.execute(counted).one()
    total.person_times, total.learners = int(totals[0]), int(totals[1])
    total.study_hours = float(totals[2] or 0) / CLASS_HOUR_SECONDS


def _completions(rows: dict[str, Row], total: Row, scope: Scope) -> None:
    start, end = scope.window
    conditions: list[Any] = [
        Statement.verb == "completed",
        Statement.object_type == "course",
        Statement.timestamp >= start,
        Statement.timestamp < end,
    ]
    if scope.organisation_id is not None:
        conditions.append(User.organisation_id == scope.organisation_id)
    if scope.people is not None:
        conditions.append(scope.people)
    key, timed = _fact_key(scope.group_by, cast(Statement.object_id, Integer), Statement.timestamp)
    query = (
        select(key, func.count(), func.sum(CourseRelease.class_hours))  # as published
        .select_from(Statement)
        .join(User, User.id == Statement.user_id)
        .join(Course, Course.id == cast(Statement.object_id, Integer))
        .outerjoin(
            CourseRelease,
            and_(
                CourseRelease.course_id == Course.id,
                CourseRelease.version == Course.published_version,
            ),
        )
        .where(*conditions)
        .group_by(key)
    )
    for value, count, hours in _folded(db.session.execute(query), timed, scope):
        for row in (_row(rows, value), total):
            row.completions += count
            row.course_hours += hours


def _exams(rows: dict[str, Row], total: Row, scope: Scope) -> None:
    """Exams and contests finished in the period. By course or industry, an exam counts for
    the course that requires it; exams of no course in a row of their own."""
    start, end = scope.window
    conditions: list[Any] = [
        QuizSession.mode.in_([QuizMode.EXAM, QuizMode.CONTEST]),
        QuizSession.status.in_(FINISHED),
        QuizSession.passed.is_not(None),
        QuizSession.submitted_at >= start,
        QuizSession.submitted_at < end,
    ]
    if scope.organisation_id is not None:
        conditions.append(User.organisation_id == scope.organisation_id)
    if scope.people is not None:
        conditions.append(scope.people)
    key, timed = _fact_key(scope.group_by, QuizTemplate.course_id, QuizSession.submitted_at)
    passes = func.sum(case((QuizSession.passed.is_(True), 1), else_=0))
    query = (
        select(key, func.count(), passes)
        .select_from(QuizSession)
        .join(User, User.id == QuizSession.user_id)
        .join(QuizTemplate, QuizTemplate.id == QuizSession.template_id)
        .outerjoin(Course, Course.id == QuizTemplate.course_id)
        .where(*conditions)
        .group_by(key)
    )
    for value, count, passed in _folded(db.session.execute(query), timed, scope):
        for row in (total, _row(rows, value)):  # exams of no course: the "None" row
            row.exams += count
            row.passes += int(passed or 0)


def _fact_key(group_by: str, course_id: Any, moment: Any) -> tuple[Any, bool]:
    """What to group facts by in SQL; for days and months, the UTC hour, turned into the
    learners' local day here (True; exact for zones a whole number of hours from UTC)."""
    if group_by == "course":
        return course_id, False
    if group_by == "industry":
        return Course.industry_id, False
    if group_by == "organisation":
        return User.organisation_id, False
    if group_by == "department":
        return User.department_id, False
    if group_by in ("day", "month"):
        dialect = db.session.get_bind().dialect.name
        if dialect == "postgresql":
            return func.date_trunc("hour", moment), True
        return func.strftime("%Y-%m-%d %H:00:00", moment), True
    return literal("total"), False


def _folded(rows: Any, timed: bool, scope: Scope) -> list[tuple[str, int, float]]:
    """Rows of (key, count, sum), their keys as report keys (hours folded into local days,
    departments into the report's rows)."""
    group_by = scope.group_by
    folded: dict[str, list[float]] = {}
    zone = ZoneInfo(runtime().settings.time_zone)
    for value, count, amount in rows:
        key = scope.fold(value) if group_by == "department" else str(value)
        if timed:
            hour = value if isinstance(value, datetime) else datetime.fromisoformat(value)
            day = hour.replace(tzinfo=hour.tzinfo or UTC).astimezone(zone).date()
            key = day.isoformat() if group_by == "day" else day.strftime("%Y-%m")
        entry = folded.setdefault(key, [0, 0.0])
        entry[0] += int(count)
        entry[1] += float(amount or 0)
    return [(key, int(count), amount) for key, (count, amount) in folded.items()]


def _row(rows: dict[str, Row], key: str) -> Row:
    if key not in rows:
        rows[key] = Row(key, key)
    return rows[key]


def _labels(group_by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    columns: dict[str, tuple[Any, Any]] = {
        "course": (Course.id, Course.title),
        "industry": (Industry.id, Industry.name),
        "organisation": (Organisation.id, Organisation.name),
        "department": (Department.id, Department.name),
    }
    if not ids or group_by not in columns:
        return {}
    id_column, name = columns[group_by]
    found = db.session.execute(select(id_column, name).where(id_column.in_(ids)))
    return {str(i): n for i, n in found}


HEADERS = (
    ("label", "分组"),
    ("person_times", "培训人次"),
    ("learners", "学员人数"),
    ("study_hours", "学习学时"),
    ("completions", "完成课程数"),
    ("course_hours", "完成课程学时"),
    ("exams", "考试人次"),
    ("passes", "通过人次"),
    ("pass_rate", "通过率"),
)


def to_csv(report: Report) -> bytes:
    """UTF-8 with a BOM, so Excel opens the Chinese headers right."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in HEADERS])
    for row in [*report.rows, report.total]:
        data = row.as_dict()
        writer.writerow([csv_cell("" if data[k] is None else data[k]) for k, _ in HEADERS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def to_xlsx(report: Report) -> bytes:
    out = io.BytesIO()
    book = workbook(out, in_memory=True)
    sheet = book.add_worksheet("培训统计")
    bold = book.add_format({"bold": True})
    percent = book.add_format({"num_format": "0.0%"})
    sheet.write_row(0, 0, [title for _, title in HEADERS], bold)
    for index, row in enumerate([*report.rows, report.total], start=1):
        data = row.as_dict()
        for column, (name, _) in enumerate(HEADERS):
            value = data[name]
            if value is None:
                continue
            sheet.write(index, column, value, percent if name == "pass_rate" else None)
    sheet.set_column(0, 0, 24)
    sheet.set_column(1, len(HEADERS) - 1, 12)
    book.close()
    return out.getvalue()
