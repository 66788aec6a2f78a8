"""Practice done with no network, from a practice pack, recorded when the phone is back online.

The pack holds its keys (practice shows them at once), so nothing the phone says about right
or wrong is believed: the server grades every answer against the version the pack held, as one
practice session named by the phone's id for it, so a retry records nothing twice. Only
questions the learner may practise now are taken, and every time the phone claims is bounded by
what the server can vouch for.
"""

from __future__ import annotations

import hashlib
import random
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_
from sqlalchemy.exc import IntegrityError

from catalog.accounts.models import User
from catalog.banks import visibility
from catalog.banks.models import Bank, QuestionVersion
from catalog.banks.snapshots import practice_versions
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import DomainError, Invalid, NotFound
from catalog.quiz import results
from catalog.quiz.answering import _save
from catalog.quiz.models import QuizMode, QuizSession, SessionStatus
from catalog.quiz.sessions import Draft, _open
from catalog.quiz.submission import follow_up
from catalog.quiz.view_models import SessionView, view_of
from catalog.runtime import runtime


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
    snapshot_version: int | None = None,
) -> SessionView:
    """Grade a practice done offline as one submitted practice session (the same one again
    for a retry); the mistakes it holds join the learner's mistakes book."""
    session_id = session_id_for(user, client_id)
    existing = db.session.get(QuizSession, session_id)
    if existing is not None:
        return view_of(existing)
    bank = db.session.get(Bank, bank_id)
    if bank is None or not visibility.practisable_bank_ids(user, [bank_id]):
        raise NotFound("题库不存在 / No such bank", details={"id": bank_id})
    versions = _versions_answered(user, bank, answers)
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
    session = QuizSession(
        id=session_id, user_id=user.id, mode=QuizMode.PRACTICE, started_at=min(started_at, now)
    )
    drafts = [Draft(a["question_id"], 1.0, versions[a["question_id"]].id) for a in answers]
    try:
        _open(session, drafts, random.Random(session_id), shuffle_options=False)
    except IntegrityError:  # the same practice, sent twice at once: the other one recorded it
        db.session.rollback()
        return view_of(db.session.get_one(QuizSession, session_id))
    for position, answer in enumerate(answers, start=1):
        try:
            _save(
                session,
                position,
                answer["response"],
                f"{client_id}:{position}"[:64],
                answer.get("client_answered_at"),
            )
        except DomainError:
            continue  # a malformed answer counts as not answered; the others stand
    graded = results.grade_session(session, SessionStatus.SUBMITTED)
    db.session.commit()
    follow_up(session.id)
    return view_of(session, graded)


def _versions_answered(
    user: User, bank: Bank, answers: list[dict[str, Any]]
) -> dict[int, QuestionVersion]:
    """The version of each answered question as the pack held it; a question the learner may
    not practise now (a draft, an exam's, one another quiz holds, another bank's) is refused."""
    asked = [a["question_id"] for a in answers]
    if len(set(asked)) != len(asked):
        raise Invalid(
            "同一道题出现两次 / a question is answered twice",
            details={"json": {"answers": ["each question once"]}},
        )
    held = visibility.held_in_banks([bank.id], user.organisation_id)
    practisable = {qid: version.version for qid, version in practice_versions(bank.id, held)}
    refused = [
        a["question_id"]
        for a in answers
        if a["question_id"] not in practisable or a["version"] > practisable[a["question_id"]]
    ]
    if refused:
        raise Invalid(
            "部分题目现在不能练习 / Some questions cannot be practised now",
            code="not_practisable",
            details={"json": {"answers": [f"question {q} not practisable" for q in refused]}},
        )
    rows = db.session.scalars(
        select(QuestionVersion).where(
            tuple_(QuestionVersion.question_id, QuestionVersion.version).in_(
                [(a["question_id"], a["version"]) for a in answers]
            )
        )
    )
    found = {v.question_id: v for v in rows}
    missing = [a["question_id"] for a in answers if a["question_id"] not in found]
    if missing:
        raise Invalid(
            "题目版本不存在 / No such question version",
            details={"json": {"answers": [f"question {q}: no such version" for q in missing]}},
        )
    return found
