"""Statements (xAPI-shaped learning records, append-only) and microlecture progress."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, Float, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from catalog.clock import utcnow
from catalog.database import UTCDateTime, db


class Statement(db.Model):  # type: ignore[name-defined,misc]
    """One learning record, shaped like an xAPI 1.0.3 statement; never changed once stored.

    ``statement_id`` is chosen by the client (or derived by the server for what it records),
    so a record uploaded twice is stored once.
    """

    __tablename__ = "learning_statements"
    __table_args__ = (
        UniqueConstraint("user_id", "statement_id"),
        Index("ix_learning_statements_history", "user_id", "timestamp", "id"),
        Index("ix_learning_statements_object", "object_type", "object_id"),
        Index("ix_learning_statements_verb", "verb", "object_type", "timestamp"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    statement_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    verb: Mapped[str] = mapped_column(String(32))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    context: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    timestamp: Mapped[datetime] = mapped_column(UTCDateTime())  # when it happened (device)
    stored: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)  # when received
    content_hash: Mapped[str] = mapped_column(String(64))


class LectureProgress(db.Model):  # type: ignore[name-defined,misc]
    """The unique media seconds a learner has watched of a microlecture."""

    __tablename__ = "lecture_progress"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    microlecture_id: Mapped[int] = mapped_column(
        ForeignKey("microlectures.id", ondelete="CASCADE"), primary_key=True
    )
    intervals: Mapped[list[list[float]]] = mapped_column(JSON, default=list)
    seconds_watched: Mapped[float] = mapped_column(Float, default=0.0)
    duration_seconds: Mapped[float] = mapped_column(Float)
    last_position: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def share_watched(self) -> float:
        if not self.duration_seconds:
            return 0.0
        return round(min(1.0, self.seconds_watched / self.duration_seconds), 3)


class WatchClock(db.Model):  # type: ignore[name-defined,misc]
    """The stretches of a learner's device time (epoch seconds, merged) that heartbeats have
    already spent, over the window statements may come from: each moment earns once."""

    __tablename__ = "watch_clocks"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    spent: Mapped[list[list[float]]] = mapped_column(JSON, default=list)


class StudyTime(db.Model):  # type: ignore[name-defined,misc]
    """The unique seconds of a microlecture a learner earned on one (local) day, whatever
    course they took then: a course taken later counts these days at once."""

    __tablename__ = "study_time"
    __table_args__ = (Index("ix_study_time_lecture", "microlecture_id", "user_id"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    microlecture_id: Mapped[int] = mapped_column(
        ForeignKey("microlectures.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    seconds_watched: Mapped[float] = mapped_column(Float, default=0.0)


class TrainingActivity(db.Model):  # type: ignore[name-defined,misc]
    """One learner's study of one course on one day (a 人次, person-time), with the unique
    seconds watched that day; kept as statements arrive so reports need not read them."""

    __tablename__ = "training_activity"
    __table_args__ = (
        Index("ix_training_activity_org_day", "organisation_id", "day"),
        Index("ix_training_activity_course_day", "course_id", "day"),
    )

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    seconds_watched: Mapped[float] = mapped_column(Float, default=0.0)
