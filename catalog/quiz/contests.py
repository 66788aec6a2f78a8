"""Skill contests (竞赛): the leaderboard, ranked by score, then time used, then who finished
first; entrants with the same score and time share a rank (1, 2, 2, 4)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, func, or_, select

from catalog.accounts.models import User
from catalog.clock import utcnow
from catalog.credits import rules
from catalog.credits.audit import require_admin
from catalog.database import db
from catalog.errors import Conflict, NotFound
from catalog.quiz.models import FINISHED, QuizMode, QuizSession, QuizTemplate
from catalog.quiz.templates import get_template


@dataclass
class Standing:
    user_id: int  # not shown on the board
    rank: int
    display_name: str
    score: float
    max_score: float
    time_used_seconds: float
    finished_at: datetime
    is_me: bool


@dataclass
class Leaderboard:
    template_id: int
    entrants: int  # who have finished
    top: list[Standing]
    me: Standing | None


def leaderboard(user: User, template_id: int, limit: int) -> Leaderboard:
    template = get_template(user, template_id)
    if template.mode is not QuizMode.CONTEST:
        raise NotFound("该试卷不是竞赛，没有排行榜 / Not a contest: no leaderboard")
    finished = (QuizSession.template_id == template.id, QuizSession.status.in_(FINISHED))
    top = [_standing(s, name, rank, user) for s, name, rank in _ranked(template.id, limit)]
    entrants = int(db.session.scalar(select(func.count()).where(*finished)) or 0)
    mine = db.session.scalar(
        select(QuizSession)
        .where(*finished, QuizSession.user_id == user.id)
        .order_by(QuizSession.score.desc())
        .limit(1)
    )
    me = None
    if mine is not None:
        ahead = db.session.scalar(
            select(func.count()).where(
                *finished,
                or_(
                    QuizSession.score > mine.score,
                    and_(
                        QuizSession.score == mine.score,
                        QuizSession.time_used_seconds < mine.time_used_seconds,
                    ),
                ),
            )
        )
        me = _standing(mine, user.display_name, int(ahead or 0) + 1, user)
    return Leaderboard(template.id, entrants, top, me)


def _ranked(template_id: int, limit: int | None) -> list[tuple[QuizSession, str, int]]:
    """Finished entrants best first, each with their rank (ties share one: 1, 2, 2, 4)."""
    query = (
        select(QuizSession, User.display_name)
        .join(User, User.id == QuizSession.user_id)
        .where(QuizSession.template_id == template_id, QuizSession.status.in_(FINISHED))
        .order_by(
            QuizSession.score.desc(),
            QuizSession.time_used_seconds,
            QuizSession.submitted_at,
            QuizSession.id,
        )
    )
    ranked: list[tuple[QuizSession, str, int]] = []
    for index, (session, name) in enumerate(db.session.execute(query.limit(limit)).all()):
        previous = ranked[-1][0] if ranked else None
        tied = previous is not None and (previous.score, previous.time_used_seconds) == (
            session.score,
            session.time_used_seconds,
        )
        ranked.append((session, name, ranked[-1][2] if tied else index + 1))
    return ranked


@dataclass(frozen=True)
class FinalStanding:
    rank: int
    passed: bool  # the entry reached the contest's pass mark


def final_standing(template_id: int, user_id: int) -> FinalStanding | None:
    """The learner's place in a contest that has closed (none: not closed, or not entered)."""
    template = db.session.get(QuizTemplate, template_id)
    if template is None or template.closes_at is None or utcnow() < template.closes_at:
        return None
    for session, _, rank in _ranked(template_id, None):
        if session.user_id == user_id:
            return FinalStanding(rank, bool(session.passed))
    return None


def closed_contest_ranks(organisation_id: int) -> list[tuple[int, str, int, str, int]]:
    """(contest, title, user, username, rank) of every closed contest of the organisation:
    what a contest rule applied to the past credits."""
    contests = db.session.scalars(
        select(QuizTemplate).where(
            QuizTemplate.organisation_id == organisation_id,
            QuizTemplate.mode == QuizMode.CONTEST,
            QuizTemplate.closes_at.is_not(None),
            QuizTemplate.closes_at <= utcnow(),
        )
    ).all()
    found = []
    for contest in contests:
        for session, _, rank in _ranked(contest.id, None):
            username = db.session.scalar(select(User.username).where(User.id == session.user_id))
            found.append((contest.id, contest.title, session.user_id, username or "", rank))
    return found


def _standing(session: QuizSession, name: str, rank: int, user: User) -> Standing:
    return Standing(
        user_id=session.user_id,
        rank=rank,
        display_name=name,
        score=session.score or 0.0,
        max_score=session.max_score,
        time_used_seconds=session.time_used_seconds or 0.0,
        finished_at=session.submitted_at or session.started_at,
        is_me=session.user_id == user.id,
    )


def award(admin: User, template_id: int) -> int:
    """After a contest closes, its entrants earn credits by rank, as the organisation's rules
    for rank bands say (以赛促评); returns how many earned something. Awarding again changes
    nothing."""
    require_admin(admin)
    template = get_template(admin, template_id)
    if template.closes_at is None or utcnow() < template.closes_at:
        raise Conflict("竞赛尚未结束 / The contest has not closed", code="not_closed")
    bands = rules.contest_bands(template.organisation_id)
    widest = max((r.rank_to or 0 for r in bands), default=0)
    board = leaderboard(admin, template_id, max(widest, 1))
    ranks = [(standing.user_id, standing.rank) for standing in board.top]
    awarded = rules.credit_contest_ranks(admin, bands, template.id, template.title, ranks)
    db.session.commit()
    return awarded
