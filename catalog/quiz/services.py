"""Quiz templates and sessions: drawing questions, saving answers, submitting, grading."""

from __future__ import annotations

import random
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, exists, func, select

from catalog.accounts.models import Role, User
from catalog.banks.models import (
    Bank,
    Question,
    QuestionKnowledgePoint,
    QuestionStatus,
    QuestionTag,
    QuestionUsage,
    QuestionVersion,
)
from catalog.banks.services import may_edit_bank
from catalog.columns import utcnow
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from catalog.extensions import db
from catalog.quiz.grading import ChoicePolicy, grade
from catalog.quiz.models import (
    Certificate,
    FeedbackPolicy,
    ItemStatistics,
    QuizMode,
    QuizSession,
    QuizTemplate,
    SessionItem,
    SessionStatus,
    TemplateSection,
)
from catalog.reference.models import Occupation
from catalog.registry import services
from catalog.security import effective_roles

LABELS = "ABCDEFGHIJ"
USAGE = {
    QuizMode.PRACTICE: (QuestionUsage.PRACTICE, QuestionUsage.BOTH),
    QuizMode.EXAM: (QuestionUsage.EXAM, QuestionUsage.BOTH),
}

# --- templates -------------------------------------------------------------------------------

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


def _eligible(section: TemplateSection, mode: QuizMode) -> Select[Any]:
    """Published, usable questions a rule section may draw."""
    query = select(Question.id).where(
        Question.bank_id.in_(section.bank_ids),
        Question.status == QuestionStatus.PUBLISHED,
        Question.usage.in_(USAGE[mode]),
        Question.difficulty.between(section.difficulty_min, section.difficulty_max),
    )
    if section.types:
        query = query.where(Question.type.in_(section.types))
    if section.knowledge_points:
        query = query.where(
            exists().where(
                QuestionKnowledgePoint.question_id == Question.id,
                QuestionKnowledgePoint.point.in_(section.knowledge_points),
            )
        )
    if section.tags:
        query = query.where(
            exists().where(
                QuestionTag.question_id == Question.id, QuestionTag.tag.in_(section.tags)
            )
        )
    return query


def _check_sections(user: User, sections: list[TemplateSection], mode: QuizMode) -> None:
    """Every section can be filled: 422 says which section lacks how many questions."""
    problems: dict[str, list[str]] = {}
    for index, section in enumerate(sections, start=1):
        if section.question_ids:
            found = db.session.scalar(
                select(func.count()).select_from(
                    select(Question.id)
                    .where(
                        Question.id.in_(section.question_ids),
                        Question.status == QuestionStatus.PUBLISHED,
                    )
                    .subquery()
                )
            )
            missing = len(set(section.question_ids)) - int(found or 0)
            if missing:
                problems[f"section {index}"] = [
                    f"第 {index} 部分有 {missing} 道题不存在或未发布 / {missing} questions are "
                    "missing or not published"
                ]
            continue
        banks = list(db.session.scalars(select(Bank).where(Bank.id.in_(section.bank_ids))))
        if len(banks) != len(set(section.bank_ids)) or not all(
            may_edit_bank(user, b) for b in banks
        ):
            problems[f"section {index}"] = ["题库不存在或无权使用 / unknown bank or not yours"]
            continue
        available = int(
            db.session.scalar(select(func.count()).select_from(_eligible(section, mode).subquery()))
            or 0
        )
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


def create_template(user: User, data: dict[str, Any]) -> QuizTemplate:
    if user.organisation_id is None or not effective_roles(user) & {Role.EDITOR, Role.ADMIN}:
        raise PermissionDenied("只有编辑或管理员可以组卷 / Editors and admins build templates")
    sections = [
        TemplateSection(position=i, **{**SECTION_DEFAULTS, **s})
        for i, s in enumerate(data.pop("sections"))
    ]
    mode = QuizMode(data["mode"])
    _check_sections(user, sections, mode)
    if data.get("feedback_policy") is None:
        data["feedback_policy"] = (
            FeedbackPolicy.AFTER_EACH if mode is QuizMode.PRACTICE else FeedbackPolicy.AFTER_SUBMIT
        )
    occupation = data.pop("occupation", None)
    if occupation is not None:
        found = db.session.scalar(select(Occupation.id).where(Occupation.code == occupation))
        if found is None:
            raise Invalid(details={"json": {"occupation": [f"未知工种 / unknown {occupation!r}"]}})
        data["occupation_id"] = found
    template = QuizTemplate(
        **data, organisation_id=user.organisation_id, created_by_id=user.id, sections=sections
    )
    db.session.add(template)
    db.session.commit()
    return template


def get_template(template_id: int) -> QuizTemplate:
    template = db.session.get(QuizTemplate, template_id)
    if template is None:
        raise NotFound("试卷不存在 / No such quiz template", details={"id": template_id})
    return template


# --- sessions --------------------------------------------------------------------------------


def _draw(user: User, template: QuizTemplate) -> list[tuple[int, float]]:
    """(question id, points) for each section, preferring questions this learner saw least.

    Drawn in SQL: the eligible questions, left-joined to how often this learner has had each,
    ordered by that count and then at random, limited to the section's count.
    """
    seen = (
        select(SessionItem.question_id, func.count().label("times"))
        .join(QuizSession, QuizSession.id == SessionItem.session_id)
        .where(QuizSession.user_id == user.id)
        .group_by(SessionItem.question_id)
        .subquery()
    )
    drawn: list[tuple[int, float]] = []
    taken: set[int] = set()
    for section in template.sections:
        if section.question_ids:
            chosen = list(dict.fromkeys(section.question_ids))
        else:
            query = (
                _eligible(section, template.mode)
                .outerjoin(seen, seen.c.question_id == Question.id)
                .order_by(func.coalesce(seen.c.times, 0), func.random())
                .limit(section.count)
            )
            if taken:
                query = query.where(Question.id.not_in(taken))
            chosen = [int(qid) for qid in db.session.scalars(query)]
            if len(chosen) < section.count:
                raise Conflict(
                    "题库中可用的试题不足 / The banks no longer hold enough questions",
                    code="not_enough_questions",
                )
        taken.update(chosen)
        drawn += [(qid, section.points) for qid in chosen]
    return drawn


def start(user: User, template_id: int) -> QuizSession:
    """Open a session: versions, question order and option order are frozen now."""
    template = get_template(template_id)
    if not user.is_platform_admin and user.organisation_id != template.organisation_id:
        raise NotFound("试卷不存在 / No such quiz template", details={"id": template_id})
    now = utcnow()
    if (template.opens_at and now < template.opens_at) or (
        template.closes_at and now > template.closes_at
    ):
        raise Conflict(
            "不在答题时间内 / The quiz is not open now",
            code="closed",
            details={"opens_at": str(template.opens_at), "closes_at": str(template.closes_at)},
        )
    mine = list(
        db.session.scalars(
            select(QuizSession).where(
                QuizSession.user_id == user.id, QuizSession.template_id == template.id
            )
        )
    )
    for session in mine:
        _expire_if_due(session)
    active = [s for s in mine if s.status is SessionStatus.IN_PROGRESS]
    if template.mode is QuizMode.EXAM and active:
        return active[0]  # one active attempt: a retry from the phone resumes it
    if template.attempts_allowed is not None and len(mine) >= template.attempts_allowed:
        raise Conflict(
            "答题次数已用完 / No attempts left",
            code="no_attempts_left",
            details={"attempts_allowed": template.attempts_allowed},
        )
    session = QuizSession(
        user_id=user.id,
        template_id=template.id,
        mode=template.mode,
        attempt=len(mine) + 1,
        started_at=now,
    )
    if template.time_limit_seconds:
        session.deadline_at = now + timedelta(seconds=template.time_limit_seconds)
    db.session.add(session)
    db.session.flush()
    rng = random.Random(session.id)
    drawn = _draw(user, template)
    if template.shuffle_questions:
        rng.shuffle(drawn)
    versions = {
        v.question_id: v
        for v in db.session.scalars(
            select(QuestionVersion)
            .join(
                Question,
                (Question.id == QuestionVersion.question_id)
                & (Question.version == QuestionVersion.version),
            )
            .where(Question.id.in_([qid for qid, _ in drawn]))
        )
    }
    for position, (qid, points) in enumerate(drawn, start=1):
        version = versions[qid]
        order = [o["label"] for o in version.options]
        if template.shuffle_options:
            rng.shuffle(order)
        session.items.append(
            SessionItem(
                position=position,
                question_id=qid,
                version_id=version.id,
                points=points,
                option_order=order,
            )
        )
    session.max_score = sum(points for _, points in drawn)
    db.session.commit()
    return session


def _own(user: User, session_id: str) -> QuizSession:
    session = db.session.get(QuizSession, session_id)
    if session is None or session.user_id != user.id:
        raise NotFound("答题记录不存在 / No such quiz session", details={"id": session_id})
    _expire_if_due(session)
    return session


def _grace() -> timedelta:
    return timedelta(seconds=services().settings.quiz_deadline_grace_seconds)


def _expire_if_due(session: QuizSession) -> None:
    """A session past its deadline is graded with what was saved."""
    if (
        session.status is SessionStatus.IN_PROGRESS
        and session.deadline_at is not None
        and utcnow() > session.deadline_at + _grace()
    ):
        _grade(session, SessionStatus.EXPIRED)
        db.session.commit()


@dataclass
class ItemView:
    item: SessionItem
    version: QuestionVersion
    options: list[dict[str, str]]
    revealed: bool
    answer: dict[str, Any] | None
    explanation: str | None
    response: dict[str, Any] | None


@dataclass
class SessionView:
    session: QuizSession
    items: list[ItemView]
    server_time: datetime
    remaining_seconds: float | None


def _to_display(item: SessionItem, labels: list[str]) -> list[str]:
    return sorted(
        LABELS[item.option_order.index(label)] for label in labels if label in item.option_order
    )


def _to_original(item: SessionItem, labels: list[str]) -> list[str]:
    return [
        item.option_order[LABELS.index(label)]
        for label in labels
        if label in LABELS[: len(item.option_order)]
    ]


def _revealed(session: QuizSession, item: SessionItem) -> bool:
    policy = session.template.feedback_policy
    if policy is FeedbackPolicy.NEVER:
        return False
    if policy is FeedbackPolicy.AFTER_EACH:
        return item.response is not None or session.status is not SessionStatus.IN_PROGRESS
    if policy is FeedbackPolicy.AFTER_SUBMIT:
        return session.status is not SessionStatus.IN_PROGRESS
    closes = session.template.closes_at
    return (
        session.status is not SessionStatus.IN_PROGRESS
        and closes is not None
        and (utcnow() > closes)
    )


def _item_view(session: QuizSession, item: SessionItem, version: QuestionVersion) -> ItemView:
    texts = {o["label"]: o["text"] for o in version.options}
    options = [
        {"label": LABELS[i], "text": texts[label]} for i, label in enumerate(item.option_order)
    ]
    revealed = _revealed(session, item)
    answer = None
    if revealed:
        answer = dict(version.answer)
        if "correct" in answer and isinstance(answer["correct"], list):
            answer["correct"] = _to_display(item, answer["correct"])
    return ItemView(
        item,
        version,
        options,
        revealed,
        answer,
        version.explanation if revealed else None,
        item.response,
    )


def view(user: User, session_id: str) -> SessionView:
    session = _own(user, session_id)
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_([i.version_id for i in session.items])
            )
        )
    }
    now = utcnow()
    remaining = None
    if session.deadline_at is not None and session.status is SessionStatus.IN_PROGRESS:
        remaining = max(0.0, (session.deadline_at - now).total_seconds())
    return SessionView(
        session,
        [_item_view(session, i, versions[i.version_id]) for i in session.items],
        now,
        remaining,
    )


def save_answer(
    user: User,
    session_id: str,
    position: int,
    response: dict[str, Any],
    client_answer_id: str,
    client_answered_at: datetime | None,
) -> ItemView:
    """Save one answer; the same answer id again changes nothing; past the deadline, 409."""
    session = _own(user, session_id)
    item = next((i for i in session.items if i.position == position), None)
    if item is None:
        raise NotFound(f"没有第 {position} 题 / No question {position}")
    version = db.session.get(QuestionVersion, item.version_id)
    assert version is not None
    if item.client_answer_id == client_answer_id:
        return _item_view(session, item, version)  # a retry from a flaky network
    now = utcnow()
    if session.status is not SessionStatus.IN_PROGRESS or (
        session.deadline_at is not None and now > session.deadline_at + _grace()
    ):
        raise Conflict(
            "答题已结束 / The session is over",
            code="session_closed",
            details={"server_time": now.isoformat(), "status": session.status.value},
        )
    item.response = response
    item.client_answer_id = client_answer_id
    item.client_answered_at = client_answered_at
    item.saved_at = now
    if session.template.feedback_policy is FeedbackPolicy.AFTER_EACH:
        _grade_item(session.template, item, version)  # practice: the verdict comes at once
    db.session.commit()
    return _item_view(session, item, version)


def _grade_item(template: QuizTemplate, item: SessionItem, version: QuestionVersion) -> None:
    """Score one item; selections are read back in the question's own option labels."""
    policy = ChoicePolicy(partial=template.choice_partial, share=template.choice_share)
    response = dict(item.response) if item.response else None
    if response and isinstance(response.get("selected"), list):
        response["selected"] = _to_original(item, [str(x).upper() for x in response["selected"]])
    result = grade(version.type.value, version.answer, response, points=item.points, policy=policy)
    item.score, item.correct, item.pending = result.score, result.correct, result.pending


def _grade(session: QuizSession, status: SessionStatus) -> None:
    template = session.template
    versions = {
        v.id: v
        for v in db.session.scalars(
            select(QuestionVersion).where(
                QuestionVersion.id.in_([i.version_id for i in session.items])
            )
        )
    }
    points: dict[str, list[float]] = {}
    for item in session.items:
        version = versions[item.version_id]
        _grade_item(template, item, version)
        for point in version.knowledge_points:
            earned = points.setdefault(point, [0.0, 0.0])
            earned[0] += item.score or 0.0
            earned[1] += item.points
    session.score = round(sum(i.score or 0 for i in session.items), 2)
    session.passed = session.max_score > 0 and (
        100 * session.score / session.max_score >= template.pass_mark
    )
    session.status = status
    session.submitted_at = utcnow()
    used = (session.submitted_at - session.started_at).total_seconds()
    _count_for_statistics(session)
    session.result = {
        "score": session.score,
        "max_score": session.max_score,
        "passed": session.passed,
        "time_used_seconds": round(used, 1),
        "knowledge_points": {p: round(e / m, 3) if m else 0.0 for p, (e, m) in points.items()},
        "pending_manual": sum(1 for i in session.items if i.pending),
    }


def submit(user: User, session_id: str) -> SessionView:
    """Grade the session; submitting again returns the same result."""
    session = _own(user, session_id)
    if session.status is SessionStatus.IN_PROGRESS:
        _grade(session, SessionStatus.SUBMITTED)
        _certify(session)
        db.session.commit()
    return view(user, session_id)


def _certify(session: QuizSession) -> None:
    """Passing a level exam records its certificate (once per session)."""
    template = session.template
    if not session.passed or (template.occupation_id is None and template.skill_level is None):
        return
    db.session.add(
        Certificate(
            user_id=session.user_id,
            occupation_id=template.occupation_id,
            skill_level=template.skill_level,
            score=session.score or 0.0,
            verification_code=secrets.token_hex(6).upper(),
            session_id=session.id,
        )
    )


def certificates_of(user: User) -> list[Certificate]:
    return list(
        db.session.scalars(
            select(Certificate)
            .where(Certificate.user_id == user.id)
            .order_by(Certificate.issued_at.desc())
        )
    )


@dataclass
class BatchOutcome:
    position: int
    client_answer_id: str
    status: str  # saved, duplicate or rejected
    reason: str | None = None


def save_batch(user: User, session_id: str, answers: list[dict[str, Any]]) -> list[BatchOutcome]:
    """Save many answers at once (after a stretch offline); one bad answer spoils no other."""
    outcomes = []
    for entry in answers:
        position, client_id = entry["position"], entry["client_answer_id"]
        session = _own(user, session_id)
        item = next((i for i in session.items if i.position == position), None)
        if item is not None and item.client_answer_id == client_id:
            outcomes.append(BatchOutcome(position, client_id, "duplicate"))
            continue
        try:
            save_answer(
                user,
                session_id,
                position,
                entry["response"],
                client_id,
                entry.get("client_answered_at"),
            )
        except (Conflict, NotFound) as exc:
            db.session.rollback()
            outcomes.append(BatchOutcome(position, client_id, "rejected", exc.message))
            continue
        outcomes.append(BatchOutcome(position, client_id, "saved"))
    return outcomes


def expire_overdue() -> int:
    """Grade every timed session whose deadline (and grace) has passed."""
    overdue = list(
        db.session.scalars(
            select(QuizSession).where(
                QuizSession.status == SessionStatus.IN_PROGRESS,
                QuizSession.deadline_at < utcnow() - _grace(),
            )
        )
    )
    for session in overdue:
        _grade(session, SessionStatus.EXPIRED)
    db.session.commit()
    return len(overdue)


def _count_for_statistics(session: QuizSession) -> None:
    """Add this graded session to each of its questions' running sums."""
    total = session.score or 0.0
    share = total / session.max_score if session.max_score else 0.0
    ids = [i.question_id for i in session.items]
    found = {
        s.question_id: s
        for s in db.session.scalars(
            select(ItemStatistics).where(ItemStatistics.question_id.in_(ids))
        )
    }
    for item in session.items:
        stats = found.get(item.question_id)
        if stats is None:
            stats = ItemStatistics(
                question_id=item.question_id,
                attempts=0,
                sum_x=0.0,
                sum_y=0.0,
                sum_yy=0.0,
                sum_xy=0.0,
            )
            db.session.add(stats)
            found[item.question_id] = stats
        right = 1.0 if item.correct else 0.0
        stats.attempts += 1
        stats.sum_x += right
        stats.sum_y += share
        stats.sum_yy += share * share
        stats.sum_xy += right * share
        stats.updated_at = utcnow()


def statistics_of(question_ids: list[int]) -> dict[int, ItemStatistics]:
    return {
        s.question_id: s
        for s in db.session.scalars(
            select(ItemStatistics).where(ItemStatistics.question_id.in_(question_ids))
        )
    }
