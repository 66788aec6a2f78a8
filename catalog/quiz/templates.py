"""Quiz templates (试卷): building them, checking the banks can fill them, contest papers."""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import Select, select

from catalog.accounts.models import Role, User
from catalog.banks import visibility
from catalog.banks.questions import current_versions
from catalog.courses.models import Course
from catalog.database import db
from catalog.errors import Invalid, NotFound, PermissionDenied
from catalog.permissions import reviews_for
from catalog.quiz import drawing
from catalog.quiz.models import FeedbackPolicy, QuizMode, QuizTemplate, TemplateSection
from catalog.reference.services import occupation_id
from catalog.security import effective_roles

SECTION_DEFAULTS: dict[str, Any] = {
    "title": "",
    "question_ids": [],
    "count": 0,
    "bank_ids": [],
    "types": [],
    "difficulty_min": 1,
    "difficulty_max": 5,
    "knowledge_points": [],
    "tags": [],
}
DEFAULT_FEEDBACK = {
    QuizMode.PRACTICE: FeedbackPolicy.AFTER_EACH,
    QuizMode.EXAM: FeedbackPolicy.AFTER_SUBMIT,
    QuizMode.CONTEST: FeedbackPolicy.AFTER_CLOSE,  # entrants still answering must not learn keys
}


def _check_sections(user: User, sections: list[TemplateSection], mode: QuizMode) -> None:
    """Every section can be filled from what the organisation may ask in this mode: 422 says
    which section lacks what (never whether a question exists elsewhere)."""
    problems: dict[str, list[str]] = {}
    usage = drawing.USAGE[mode]
    for index, section in enumerate(sections, start=1):
        if section.question_ids:
            wanted = set(section.question_ids)
            usable = visibility.servable_ids(user.organisation_id, wanted, usage)
            if len(usable) < len(wanted):
                problems[f"section {index}"] = [
                    f"第 {index} 部分有 {len(wanted) - len(usable)} 道题不能用于本试卷（不在可用"
                    f"题库中、未发布、用途不符或正被考试占用）/ {len(wanted) - len(usable)} "
                    "questions cannot be used here (not in a bank you may use, not published, "
                    "another usage, or held by an exam)"
                ]
            continue
        usable_banks = visibility.usable_bank_ids(user.organisation_id, section.bank_ids)
        if len(usable_banks) != len(set(section.bank_ids)):
            problems[f"section {index}"] = ["题库不存在或无权使用 / unknown bank or not yours"]
            continue
        available = drawing.Criteria.of_section(section, mode, user.organisation_id).count()
        if available < section.count:
            problems[f"section {index}"] = [
                f"第 {index} 部分需要 {section.count} 道题，题库只有 {available} 道，缺 "
                f"{section.count - available} 道 / section {index} needs {section.count} "
                f"questions, the banks hold {available}"
            ]
    if problems:
        raise Invalid(
            "题库无法满足试卷的要求 / The banks cannot fill the template",
            code="not_enough_questions",
            details={"sections": problems},
        )


def _check_contest(data: dict[str, Any]) -> None:
    """A contest runs in a window and lets each entrant in once."""
    problems = {
        name: ["竞赛须设定起止时间 / a contest needs a window"]
        for name in ("opens_at", "closes_at")
        if data.get(name) is None
    }
    if data.get("attempts_allowed") not in (None, 1):
        problems["attempts_allowed"] = ["竞赛每人只能参加一次 / one attempt per entrant"]
    if problems:
        raise Invalid(details={"json": problems})
    data["attempts_allowed"] = 1


def _check_course(user: User, course_id: int, mode: QuizMode) -> None:
    """Only an exam, by the course's own organisation, can be a course's required exam."""
    course = db.session.get(Course, course_id)
    if course is None or not reviews_for(user, course.provider_org_id):
        raise Invalid(details={"json": {"course_id": ["课程不存在或不属于本组织 / not yours"]}})
    if mode is not QuizMode.EXAM:
        raise Invalid(details={"json": {"course_id": ["只有考试可作为课程考核 / exams only"]}})


def create_template(user: User, data: dict[str, Any]) -> QuizTemplate:
    if user.organisation_id is None or not effective_roles(user) & {Role.EDITOR, Role.ADMIN}:
        raise PermissionDenied("只有编辑或管理员可以组卷 / Editors and admins build templates")
    sections = [
        TemplateSection(position=i, **{**SECTION_DEFAULTS, **s})
        for i, s in enumerate(data.pop("sections"))
    ]
    mode = QuizMode(data["mode"])
    if data.get("opens_at") and data.get("closes_at") and data["closes_at"] <= data["opens_at"]:
        raise Invalid(details={"json": {"closes_at": ["结束须晚于开始 / must follow opens_at"]}})
    if mode is QuizMode.CONTEST:
        _check_contest(data)
    if data.get("course_id") is not None:
        _check_course(user, data["course_id"], mode)
    _check_sections(user, sections, mode)
    if data.get("feedback_policy") is None:
        data["feedback_policy"] = DEFAULT_FEEDBACK[mode]
    data["occupation_id"] = occupation_id(data.pop("occupation", None))
    template = QuizTemplate(
        **data, organisation_id=user.organisation_id, created_by_id=user.id, sections=sections
    )
    if mode is QuizMode.CONTEST:
        template.paper = _paper(template)
    db.session.add(template)
    db.session.flush()
    if template.holds_questions:
        fixed = [int(q) for section in sections for q in section.question_ids]
        paper = [int(row[0]) for row in template.paper or []]
        assert template.closes_at is not None
        visibility.hold(template.id, template.organisation_id, [*fixed, *paper], template.closes_at)
    db.session.commit()
    return template


def _paper(template: QuizTemplate) -> list[list[float]]:
    """A contest's one paper: its sections drawn once, at their current versions."""
    chosen = drawing.draw_template(template, drawing.Seen(None), random.Random())
    versions = current_versions(qid for qid, _ in chosen)
    return [[qid, versions[qid].id, points] for qid, points in chosen]


def templates_query(
    user: User, *, mode: QuizMode | None, course_id: int | None
) -> Select[tuple[QuizTemplate]]:
    """The templates a caller may open: their organisation's (every one, for platform admins),
    newest first."""
    query = select(QuizTemplate).order_by(QuizTemplate.id.desc())
    if not user.is_platform_admin:
        query = query.where(QuizTemplate.organisation_id == user.organisation_id)
    if not effective_roles(user) & {Role.EDITOR, Role.ADMIN, Role.PLATFORM_ADMIN}:
        # a plan's theory exam is sat through an application, not picked from the list
        query = query.where(QuizTemplate.for_evaluation.is_(False))
    if mode is not None:
        query = query.where(QuizTemplate.mode == mode)
    if course_id is not None:
        query = query.where(QuizTemplate.course_id == course_id)
    return query


def get_template(user: User, template_id: int) -> QuizTemplate:
    """A template of the caller's organisation (any, for platform admins)."""
    template = db.session.get(QuizTemplate, template_id)
    if template is None or (
        not user.is_platform_admin and user.organisation_id != template.organisation_id
    ):
        raise NotFound("试卷不存在 / No such quiz template", details={"id": template_id})
    return template
