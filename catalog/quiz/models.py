"""Quiz templates (试卷) with their sections, sessions and the questions frozen into them."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.banks.models import Question
from catalog.clock import utcnow
from catalog.database import UTCDateTime, db, enum_column, new_id


class QuizMode(enum.StrEnum):
    PRACTICE = "practice"  # untimed, feedback after each answer
    EXAM = "exam"  # timed, one active attempt
    DAILY = "daily"  # 每日一练: the same questions all day, one session a day, no template
    CONTEST = "contest"  # 竞赛: one paper for every entrant, ranked on a leaderboard
    REVIEW = "review"  # 错题重练: the learner's mistakes that FSRS says are due, no template


class FeedbackPolicy(enum.StrEnum):
    AFTER_EACH = "after_each"
    AFTER_SUBMIT = "after_submit"
    AFTER_CLOSE = "after_close"  # once the template's window has closed
    NEVER = "never"


class QuizTemplate(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "quiz_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    mode: Mapped[QuizMode] = mapped_column(enum_column(QuizMode))
    time_limit_seconds: Mapped[int | None] = mapped_column(Integer)
    attempts_allowed: Mapped[int | None] = mapped_column(Integer)  # none: unlimited
    pass_mark: Mapped[float] = mapped_column(Float, default=60.0)  # percent of the points
    shuffle_questions: Mapped[bool] = mapped_column(Boolean, default=False)
    shuffle_options: Mapped[bool] = mapped_column(Boolean, default=False)
    feedback_policy: Mapped[FeedbackPolicy] = mapped_column(enum_column(FeedbackPolicy))
    choice_partial: Mapped[bool] = mapped_column(Boolean, default=False)
    choice_share: Mapped[float] = mapped_column(Float, default=0.5)
    opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closes_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # A level exam (职业技能等级考试): passing it records a certificate.
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupations.id"))
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    # The theory exam of an evaluation plan: sat only through an approved application, and
    # its pass is the plan's component result, not a certificate of its own.
    for_evaluation: Mapped[bool] = mapped_column(Boolean, default=False, server_default="0")
    # An exam the course requires before it counts as completed.
    course_id: Mapped[int | None] = mapped_column(ForeignKey("courses.id", ondelete="SET NULL"))
    # A contest's paper, drawn once when the template is made: [question id, version id, points].
    paper: Mapped[list[list[float]] | None] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    # Read when drawing or shown, not each time a session loads its template.
    sections: Mapped[list[TemplateSection]] = relationship(
        cascade="all, delete-orphan", order_by="TemplateSection.position"
    )

    @property
    def holds_questions(self) -> bool:
        """An exam or contest with a window holds its questions until it closes (an exam
        without one is open for good: its questions' usage alone decides where they go)."""
        return self.mode in (QuizMode.EXAM, QuizMode.CONTEST) and self.closes_at is not None


class TemplateSection(db.Model):  # type: ignore[name-defined,misc]
    """A fixed list of questions, or a rule drawing ``count`` of them from banks."""

    __tablename__ = "quiz_template_sections"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_templates.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200), default="")
    points: Mapped[float] = mapped_column(Float)  # per question
    question_ids: Mapped[list[int]] = mapped_column(JSON, default=list)  # fixed sections
    count: Mapped[int] = mapped_column(Integer, default=0)  # rule sections
    bank_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    types: Mapped[list[str]] = mapped_column(JSON, default=list)
    difficulty_min: Mapped[int] = mapped_column(Integer, default=1)
    difficulty_max: Mapped[int] = mapped_column(Integer, default=5)
    knowledge_points: Mapped[list[str]] = mapped_column(JSON, default=list)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)


class SessionStatus(enum.StrEnum):
    IN_PROGRESS = "in_progress"
    SUBMITTED = "submitted"
    EXPIRED = "expired"  # graded with what was saved when the time ran out


FINISHED = (SessionStatus.SUBMITTED, SessionStatus.EXPIRED)  # graded, one way or the other


@dataclass(frozen=True)
class Rules:
    """How a session is marked and when its keys show: its template's, or the house rules."""

    feedback_policy: FeedbackPolicy = FeedbackPolicy.AFTER_EACH
    choice_partial: bool = False
    choice_share: float = 0.5
    pass_mark: float = 60.0
    closes_at: datetime | None = None


HOUSE_RULES = Rules()  # daily practice and reviews of mistakes have no template


class QuizSession(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "quiz_sessions"
    __table_args__ = (
        Index("ix_quiz_sessions_user_template", "user_id", "template_id"),
        Index("ix_quiz_sessions_ranking", "template_id", "score", "time_used_seconds"),
        Index("ix_quiz_sessions_user_started", "user_id", "started_at", "id"),  # my sessions
        # One daily practice per learner and day; other sessions have no day.
        UniqueConstraint("user_id", "day", name="uq_quiz_sessions_daily"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    template_id: Mapped[int | None] = mapped_column(ForeignKey("quiz_templates.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    mode: Mapped[QuizMode] = mapped_column(enum_column(QuizMode))
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus), default=SessionStatus.IN_PROGRESS
    )
    attempt: Mapped[int] = mapped_column(Integer, default=1)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    deadline_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    max_score: Mapped[float] = mapped_column(Float, default=0)
    passed: Mapped[bool | None] = mapped_column(Boolean)
    time_used_seconds: Mapped[float | None] = mapped_column(Float)
    day: Mapped[date | None] = mapped_column(Date)  # a daily practice's local day
    statistics_counted: Mapped[bool] = mapped_column(Boolean, default=False)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    template: Mapped[QuizTemplate | None] = relationship(lazy="joined")
    items: Mapped[list[SessionItem]] = relationship(
        cascade="all, delete-orphan", order_by="SessionItem.position", lazy="selectin"
    )

    @property
    def rules(self) -> Rules:
        template = self.template
        if template is None:
            return HOUSE_RULES
        return Rules(
            template.feedback_policy,
            template.choice_partial,
            template.choice_share,
            template.pass_mark,
            template.closes_at,
        )


class SessionItem(db.Model):  # type: ignore[name-defined,misc]
    """One question of a session: its exact version, its place and option order, its answer."""

    __tablename__ = "quiz_session_items"
    __table_args__ = (UniqueConstraint("session_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[str] = mapped_column(
        ForeignKey("quiz_sessions.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("question_versions.id"))
    points: Mapped[float] = mapped_column(Float)
    option_order: Mapped[list[str]] = mapped_column(JSON, default=list)  # original labels
    response: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    client_answer_id: Mapped[str | None] = mapped_column(String(64))
    client_answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    saved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    score: Mapped[float | None] = mapped_column(Float)
    correct: Mapped[bool | None] = mapped_column(Boolean)
    pending: Mapped[bool] = mapped_column(Boolean, default=False)  # waits for manual grading
    graded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    grader_comment: Mapped[str | None] = mapped_column(Text)
    # The learner's review card has taken this answer (once, however often it is re-graded).
    carded: Mapped[bool] = mapped_column(Boolean, default=False)


class SeenQuestion(db.Model):  # type: ignore[name-defined,misc]
    """How often a learner has been asked a question, in any session: drawing prefers the
    least seen, and reads just the candidates' rows however long the learner's history."""

    __tablename__ = "quiz_seen_questions"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    times: Mapped[int] = mapped_column(Integer, default=0)


class ReviewCard(db.Model):  # type: ignore[name-defined,misc]
    """A learner's FSRS card for a question they once got wrong (错题本).

    Every later answer to the question, in any mode, reviews the card; ``due_at`` says when
    FSRS wants it asked again.
    """

    __tablename__ = "quiz_review_cards"
    __table_args__ = (
        UniqueConstraint("user_id", "question_id"),
        Index("ix_quiz_review_cards_due", "user_id", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), index=True
    )
    state: Mapped[int] = mapped_column(Integer)  # fsrs.State: learning, review, relearning
    step: Mapped[int | None] = mapped_column(Integer)
    stability: Mapped[float | None] = mapped_column(Float)
    difficulty: Mapped[float | None] = mapped_column(Float)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_review_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviews: Mapped[int] = mapped_column(Integer, default=0)
    wrong_count: Mapped[int] = mapped_column(Integer, default=0)
    last_wrong_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    question: Mapped[Question] = relationship(lazy="joined")
