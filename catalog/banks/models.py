"""Banks, questions and their immutable versions, and import records."""

from __future__ import annotations

import enum
import math
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.accounts.models import Organisation, User
from catalog.clock import utcnow
from catalog.courses.models import Course
from catalog.database import UTCDateTime, db, enum_column, new_id
from catalog.reference.models import Industry, Occupation, SkillLevel


class QuestionType(enum.StrEnum):
    SINGLE_CHOICE = "single_choice"  # 单选
    MULTIPLE_CHOICE = "multiple_choice"  # 多选
    TRUE_FALSE = "true_false"  # 判断
    FILL_BLANK = "fill_blank"  # 填空
    SHORT_ANSWER = "short_answer"  # 简答


CHOICE_TYPES = frozenset({QuestionType.SINGLE_CHOICE, QuestionType.MULTIPLE_CHOICE})


class QuestionStatus(enum.StrEnum):
    DRAFT = "draft"
    PUBLISHED = "published"
    RETIRED = "retired"  # never drawn for new sessions; history keeps it


class QuestionUsage(enum.StrEnum):
    BOTH = "both"
    PRACTICE = "practice"  # 练习
    EXAM = "exam"  # exam-only: never in offline practice snapshots


bank_editors = Table(
    "bank_editors",
    db.metadata,
    Column("bank_id", ForeignKey("banks.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)

bank_courses = Table(
    "bank_courses",
    db.metadata,
    Column("bank_id", ForeignKey("banks.id", ondelete="CASCADE"), primary_key=True),
    Column("course_id", ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True),
)

# An alliance's or a parent company's banks offered to member organisations: their editors use
# the questions in their own quizzes and their learners practise them (never edit them).
bank_shares = Table(
    "bank_shares",
    db.metadata,
    Column("bank_id", ForeignKey("banks.id", ondelete="CASCADE"), primary_key=True),
    Column("organisation_id", ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True),
)


class Bank(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"))
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupations.id"))
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    # The offline practice snapshot (gzip JSON in object storage).
    snapshot_version: Mapped[int] = mapped_column(Integer, default=0)
    snapshot_key: Mapped[str | None] = mapped_column(String(300))
    snapshot_hash: Mapped[str | None] = mapped_column(String(64))
    snapshot_size: Mapped[int | None] = mapped_column(BigInteger)
    snapshot_count: Mapped[int | None] = mapped_column(Integer)
    snapshot_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Questions the snapshot left out because an exam or contest held them at the time.
    snapshot_withheld: Mapped[list[int]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )

    industry: Mapped[Industry | None] = relationship(lazy="joined")
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")
    level: Mapped[SkillLevel | None] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    editors: Mapped[list[User]] = relationship(secondary=bank_editors, lazy="selectin")
    courses: Mapped[list[Course]] = relationship(secondary=bank_courses, lazy="selectin")
    shared_with: Mapped[list[Organisation]] = relationship(secondary=bank_shares, lazy="selectin")


class Question(db.Model):  # type: ignore[name-defined,misc]
    """A question's identity and state; its content lives in versions.

    The current version's type, difficulty, usage, fingerprint and stem are copied here so
    that editors' lists filter without reading versions.
    """

    __tablename__ = "questions"
    __table_args__ = (
        Index("ix_questions_bank_status", "bank_id", "status"),
        Index("ix_questions_bank_fingerprint", "bank_id", "fingerprint"),
        Index("ix_questions_draw", "bank_id", "type", "status", "difficulty"),  # quiz drawing
        Index("ix_questions_bank_updated", "bank_id", "updated_at"),  # quiz draw cache
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"))
    status: Mapped[QuestionStatus] = mapped_column(
        enum_column(QuestionStatus), default=QuestionStatus.DRAFT
    )
    version: Mapped[int] = mapped_column(Integer, default=1)  # the current version's number
    type: Mapped[QuestionType] = mapped_column(enum_column(QuestionType))
    difficulty: Mapped[int] = mapped_column(Integer, default=3)
    usage: Mapped[QuestionUsage] = mapped_column(
        enum_column(QuestionUsage), default=QuestionUsage.BOTH
    )
    fingerprint: Mapped[str] = mapped_column(String(40))
    stem_text: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Any change to the row moves it; quiz drawing watches it to refresh its cache.
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    tag_rows: Mapped[list[QuestionTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )
    point_rows: Mapped[list[QuestionKnowledgePoint]] = relationship(
        cascade="all, delete-orphan", lazy="selectin"
    )


class QuestionVersion(db.Model):  # type: ignore[name-defined,misc]
    """The content of a question at one version; never changed once a newer version exists."""

    __tablename__ = "question_versions"
    __table_args__ = (UniqueConstraint("question_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("questions.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    type: Mapped[QuestionType] = mapped_column(enum_column(QuestionType))
    stem: Mapped[str] = mapped_column(Text)  # 题干
    # how the texts are written: "plain", or "markdown" (a client renders it; HTML never kept)
    text_format: Mapped[str] = mapped_column(String(10), default="plain", server_default="plain")
    stem_images: Mapped[list[str]] = mapped_column(JSON, default=list)  # object keys
    options: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)  # [{label, text}]
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)  # the key, by type
    explanation: Mapped[str] = mapped_column(Text, default="")  # 解析
    difficulty: Mapped[int] = mapped_column(Integer, default=3)
    knowledge_points: Mapped[list[str]] = mapped_column(JSON, default=list)  # 知识点
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    source: Mapped[str] = mapped_column(String(200), default="")
    usage: Mapped[QuestionUsage] = mapped_column(
        enum_column(QuestionUsage), default=QuestionUsage.BOTH
    )
    fingerprint: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class QuestionTag(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "question_tags"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class QuestionKnowledgePoint(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "question_knowledge_points"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    point: Mapped[str] = mapped_column(String(60), primary_key=True, index=True)


class ImportStatus(enum.StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"  # imported (or, for a dry run, checked)
    FAILED = "failed"  # nothing imported; the report says why


class QuestionImport(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "question_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    bank_id: Mapped[int] = mapped_column(ForeignKey("banks.id", ondelete="CASCADE"), index=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    file_key: Mapped[str] = mapped_column(String(300))
    file_size: Mapped[int] = mapped_column(BigInteger)
    format: Mapped[str] = mapped_column(String(20))
    mode: Mapped[str] = mapped_column(String(20))  # all_or_nothing | skip_invalid
    dry_run: Mapped[bool] = mapped_column(default=False)
    status: Mapped[ImportStatus] = mapped_column(
        enum_column(ImportStatus), default=ImportStatus.QUEUED
    )
    task_id: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # first 1,000
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    report_key: Mapped[str | None] = mapped_column(String(300))  # the whole report, JSON
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class ItemStatistics(db.Model):  # type: ignore[name-defined,misc]
    """Running sums over graded sessions, from which difficulty and discrimination follow.

    x is 1 when the answer earned full marks, y is the session's share of its points.
    """

    __tablename__ = "quiz_item_statistics"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sum_x: Mapped[float] = mapped_column(Float, default=0.0)
    sum_y: Mapped[float] = mapped_column(Float, default=0.0)
    sum_yy: Mapped[float] = mapped_column(Float, default=0.0)
    sum_xy: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def share_correct(self) -> float | None:
        """The difficulty index (难度系数): the share answering fully right."""
        return round(self.sum_x / self.attempts, 3) if self.attempts else None

    @property
    def discrimination(self) -> float | None:
        """Point-biserial correlation of being right with the session's score (区分度)."""
        n, right = self.attempts, self.sum_x
        if n < 2 or right in (0, n):
            return None
        variance = self.sum_yy / n - (self.sum_y / n) ** 2
        if variance <= 1e-12:
            return None
        mean_right = self.sum_xy / right
        mean_wrong = (self.sum_y - self.sum_xy) / (n - right)
        p = right / n
        return round((mean_right - mean_wrong) / math.sqrt(variance) * math.sqrt(p * (1 - p)), 3)


class QuestionHold(db.Model):  # type: ignore[name-defined,misc]
    """A question held back by an exam or contest until its window closes: meanwhile no other
    quiz, practice, review or snapshot of its organisation serves it, and no key or score of it
    shows there. Written when a windowed exam or contest fixes or draws the question."""

    __tablename__ = "question_holds"
    __table_args__ = (
        Index("ix_question_holds_question_until", "question_id", "organisation_id", "until"),
    )

    question_id: Mapped[int] = mapped_column(
        ForeignKey("questions.id", ondelete="CASCADE"), primary_key=True
    )
    template_id: Mapped[int] = mapped_column(
        ForeignKey("quiz_templates.id", ondelete="CASCADE"), primary_key=True
    )
    # The quiz's organisation: the hold binds its own practice and quizzes, never the bank
    # owner's or another member's (a member's exam cannot freeze an alliance's bank).
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id", ondelete="CASCADE"))
    until: Mapped[datetime] = mapped_column(UTCDateTime())
