"""Courses: the editable working copy, its chapters, its published releases, enrolments."""

from __future__ import annotations

import enum
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

from catalog.accounts.models import Organisation, User
from catalog.clock import utcnow
from catalog.database import PinyinTitle, UTCDateTime, db, enum_column
from catalog.lectures.models import Microlecture
from catalog.reference.models import Industry, Occupation, SkillLevel


class CourseStatus(enum.StrEnum):
    DRAFT = "draft"
    IN_REVIEW = "in_review"
    PUBLISHED = "published"  # the working copy is what learners see
    ARCHIVED = "archived"


class Course(PinyinTitle, db.Model):  # type: ignore[name-defined,misc]
    """The working copy of a standardised course; learners read its releases."""

    __tablename__ = "courses"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    objectives: Mapped[list[str]] = mapped_column(JSON, default=list)  # 学习目标
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"), index=True)
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupations.id"), index=True)
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"))
    class_hours: Mapped[float] = mapped_column(Float, default=0)  # 学时
    credits: Mapped[float] = mapped_column(Float, default=0)  # 学分
    cover_key: Mapped[str | None] = mapped_column(String(300))
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[CourseStatus] = mapped_column(
        enum_column(CourseStatus), default=CourseStatus.DRAFT, index=True
    )
    published_version: Mapped[int | None] = mapped_column(Integer)
    review_note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    industry: Mapped[Industry | None] = relationship(lazy="joined")
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")
    level: Mapped[SkillLevel | None] = relationship(lazy="joined")
    provider: Mapped[Organisation] = relationship(lazy="joined")
    owner: Mapped[User] = relationship()
    tag_rows: Mapped[list[CourseTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseTag.tag"
    )
    chapters: Mapped[list[Chapter]] = relationship(
        cascade="all, delete-orphan", order_by="Chapter.position", lazy="selectin"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class CourseTag(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "course_tags"

    course_id: Mapped[int] = mapped_column(
        ForeignKey("courses.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Chapter(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "chapters"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))

    items: Mapped[list[ChapterItem]] = relationship(
        cascade="all, delete-orphan", order_by="ChapterItem.position", lazy="selectin"
    )


class ChapterItem(db.Model):  # type: ignore[name-defined,misc]
    """A microlecture's place in a chapter."""

    __tablename__ = "chapter_items"

    id: Mapped[int] = mapped_column(primary_key=True)
    chapter_id: Mapped[int] = mapped_column(
        ForeignKey("chapters.id", ondelete="CASCADE"), index=True
    )
    position: Mapped[int] = mapped_column(Integer)
    microlecture_id: Mapped[int] = mapped_column(ForeignKey("microlectures.id"), index=True)
    required: Mapped[bool] = mapped_column(Boolean, default=True)  # counts toward completion

    microlecture: Mapped[Microlecture] = relationship(lazy="joined")


class CourseRelease(PinyinTitle, db.Model):  # type: ignore[name-defined,misc]
    """A published version of a course: what learners see, never edited afterwards."""

    __tablename__ = "course_releases"
    __table_args__ = (
        UniqueConstraint("course_id", "version"),
        Index("ix_course_releases_published", "published_at", "id"),
        Index("ix_course_releases_title_sort", "title_sort", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    code: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text, default="")
    industry_id: Mapped[int | None] = mapped_column(ForeignKey("industries.id"), index=True)
    occupation_id: Mapped[int | None] = mapped_column(ForeignKey("occupations.id"), index=True)
    skill_level: Mapped[int | None] = mapped_column(ForeignKey("skill_levels.level"), index=True)
    provider_org_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    class_hours: Mapped[float] = mapped_column(Float)
    credits: Mapped[float] = mapped_column(Float)
    lecture_count: Mapped[int] = mapped_column(Integer)
    duration_seconds: Mapped[float] = mapped_column(Float)
    cover_key: Mapped[str | None] = mapped_column(String(300))
    document: Mapped[dict[str, Any]] = mapped_column(JSON)
    document_key: Mapped[str] = mapped_column(String(300))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    published_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    industry: Mapped[Industry | None] = relationship(lazy="joined")
    occupation: Mapped[Occupation | None] = relationship(lazy="joined")
    level: Mapped[SkillLevel | None] = relationship(lazy="joined")
    provider: Mapped[Organisation] = relationship(lazy="joined")
    tag_rows: Mapped[list[CourseReleaseTag]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="CourseReleaseTag.tag"
    )

    @property
    def tags(self) -> list[str]:
        return [row.tag for row in self.tag_rows]


class CourseReleaseTag(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "course_release_tags"

    release_id: Mapped[int] = mapped_column(
        ForeignKey("course_releases.id", ondelete="CASCADE"), primary_key=True
    )
    tag: Mapped[str] = mapped_column(String(40), primary_key=True, index=True)


class Enrolment(db.Model):  # type: ignore[name-defined,misc]
    """A learner's own choice to take a course (选课)."""

    __tablename__ = "enrolments"
    __table_args__ = (UniqueConstraint("user_id", "course_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    enrolled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class Assignment(db.Model):  # type: ignore[name-defined,misc]
    """A course an organisation requires (必修课): of one user, or of all its users."""

    __tablename__ = "assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    course_id: Mapped[int] = mapped_column(ForeignKey("courses.id", ondelete="CASCADE"), index=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), index=True
    )  # none: everyone the rule below matches (no rule: the whole organisation)
    # a rule: a department's subtree, an occupation (工种), a skill level, or a mix; members
    # who come to match it have the course, members who leave it lose it
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), index=True
    )
    occupation: Mapped[str | None] = mapped_column(String(60))
    skill_level: Mapped[int | None] = mapped_column(Integer)
    due_date: Mapped[date | None] = mapped_column(Date)
    required: Mapped[bool] = mapped_column(Boolean, default=True)
    assigned_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    course: Mapped[Course] = relationship()
