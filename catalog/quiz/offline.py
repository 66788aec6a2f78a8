"""Practice done with no network, from a practice pack, recorded when the phone is back online.

The pack holds its keys (practice shows them at once), so nothing the phone says about right
or wrong is believed: the server grades every answer against the version the pack held, as one
practice session named by the phone's id for it, so a retry records nothing twice. A malformed
answer is refused as an answer given online would be; a question the learner may no longer
practise (an exam has taken it since the pack was downloaded) is left out and named, and the
rest is recorded. Every time the phone claims is bounded by what the server can vouch for.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Bank, Question, QuestionVersion
from catalog.banks.snapshots import practice_versions
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import Conflict, Invalid, NotFound
from catalog.quiz import responses, results
from catalog.quiz.answering import save_in_transaction
from catalog.quiz.models import QuizMode, QuizSession, SessionItem, SessionStatus
from catalog.quiz.sessions import Draft, open_session
from catalog.quiz.submission import follow_up
from catalog.quiz.view_models import SessionView, view_of
from catalog.runtime import runtime


@dataclass
class Recorded:
    session: SessionView
    refused: list[dict[str, Any]] = field(default_factory=list)


def session_id_for(user: User, client_id: str) -> str:
    """The session's id follows from who sent it and the phone's own id for it."""
    return hashlib.sha256(f"offline-practice:{user.id}:{client_id}".encode()).hexdigest()[:32]


def record(
    user: User,
    *,
    client_id: str,
    bank_id: int,
    started_at: datetime,
    answers: list[dict[str, Any]],
) -> Recorded:
    """Grade a practice done offline as one submitted practice session (the same one again
    for a retry of the same practice); its mistakes join the learner's mistakes book."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not visibility.practisable_bank_ids(user, [bank_id]):
        raise NotFound("题库不存在 / No such bank", details={"id": bank_id})
    versions = _versions_in_bank(bank.id, answers)
    # Only what the learner may practise now is read, checked and recorded: nothing is said
    # of a question beyond whether it can be practised.
    held = visibility.held_in_banks([bank.id], user.organisation_id)
    practisable = {qid: v.version for qid, v in practice_versions(bank.id, held)}
    refused = [
        {"question_id": a["question_id"], "reason": "现在不能练习 / not practisable now"}
        for a in answers
        if a["question_id"] not in practisable
        or versions[a["question_id"]].version > practisable[a["question_id"]]
    ]
    left_out = {r["question_id"] for r in refused}
    taken = [a for a in answers if a["question_id"] not in left_out]
    given = _checked(answers, left_out, versions)
    session_id = session_id_for(user, client_id)
    existing = db.session.get(QuizSession, session_id)
    if existing is not None:
        return Recorded(_same_practice(existing, given), refused)
    if not taken:
        raise Invalid(
            "这些题目现在都不能练习 / None of these questions can be practised now",
            code="not_practisable",
            details={"json": {"answers": [r["reason"] for r in refused]}},
        )
    session = QuizSession(
        id=session_id,
        user_id=user.id,
        mode=QuizMode.PRACTICE,
        started_at=_bounded_start(started_at),
    )
    drafts = [Draft(a["question_id"], 1.0, versions[a["question_id"]].id) for a in taken]
    try:
        open_session(session, drafts, random.Random(session_id), shuffle_options=False)
    except IntegrityError:  # the same practice, sent twice at once: the other one recorded it
        db.session.rollback()
        existing = db.session.get_one(QuizSession, session_id)
        return Recorded(_same_practice(existing, given), refused)
    for position, answer in enumerate(taken, start=1):
        save_in_transaction(
            session,
            position,
            given[answer["question_id"]],
            f"{client_id}:{position}"[:64],
            answer.get("client_answered_at"),
        )
    graded = results.grade_session(session, SessionStatus.SUBMITTED)
    db.session.commit()
    follow_up(session.id)
    return Recorded(view_of(session, graded), refused)


def _bounded_start(started_at: datetime) -> datetime:
    now = utcnow()
    settings = runtime().settings
    earliest = now - timedelta(days=settings.statement_past_days)
    if started_at > now + timedelta(seconds=settings.statement_future_seconds):
        raise Invalid(
            "开始时间在未来 / started_at is in the future",
            details={"json": {"started_at": ["later than the server's clock allows"]}},
        )
    if started_at < earliest:
        raise Invalid(
            f"离线练习超过 {settings.statement_past_days} 天，不再记录 / too old to record",
            details={"json": {"started_at": [f"before {earliest.isoformat()}"]}},
        )
    return min(started_at, now)


def _versions_in_bank(bank_id: int, answers: list[dict[str, Any]]) -> dict[int, QuestionVersion]:
    """The version of each answered question as the pack held it; a question of another bank,
    or a version never written, is refused in the same words either way."""
    asked = [a["question_id"] for a in answers]
    if len(set(asked)) != len(asked):
        raise Invalid(
            "同一道题出现两次 / a question is answered twice",
            details={"json": {"answers": ["each question once"]}},
        )
    rows = db.session.scalars(
        select(QuestionVersion)
        .join(Question, Question.id == QuestionVersion.question_id)
        .where(
            Question.bank_id == bank_id,
            tuple_(QuestionVersion.question_id, QuestionVersion.version).in_(
                [(a["question_id"], a["version"]) for a in answers]
            ),
        )
    )
    found = {v.question_id: v for v in rows}
    missing = [a["question_id"] for a in answers if a["question_id"] not in found]
    if missing:
        raise Invalid(
            "练习包里没有这些题 / Not questions of this practice pack",
            details={"json": {"answers": [f"question {q} is not in this pack" for q in missing]}},
        )
    return found


def _checked(
    answers: list[dict[str, Any]], left_out: set[int], versions: dict[int, QuestionVersion]
) -> dict[int, dict[str, Any]]:
    """Each response taken in canonical form; a malformed one is a 422 naming it by its place
    in the request (so the phone can send the rest again without it), as online."""
    given: dict[int, dict[str, Any]] = {}
    problems: dict[int, Any] = {}
    for index, answer in enumerate(answers):
        if answer["question_id"] in left_out:
            continue
        version = versions[answer["question_id"]]
        try:
            given[answer["question_id"]] = responses.checked(
                version.type.value, version.answer, len(version.options or []), answer["response"]
            )
        except Invalid as refusal:
            problems[index] = refusal.details.get("json", {}) or [refusal.message]
    if problems:
        raise Invalid(
            "部分作答格式不正确 / Some answers are malformed",
            details={"json": {"answers": problems}},
        )
    return given


def _same_practice(session: QuizSession, given: dict[int, dict[str, Any]]) -> SessionView:
    """A retry carries the very answers recorded, no more and no fewer; other answers under
    the same id are refused, never merged or dropped in silence."""
    items = list(
        db.session.scalars(select(SessionItem).where(SessionItem.session_id == session.id))
    )
    stored = {item.question_id: item.response for item in items}
    if stored != given:
        raise Conflict(
            "这个练习编号已记录过另一组作答 / This client_id recorded other answers",
            code="client_id_reused",
        )
    return view_of(session)
