"""Microlectures, their uploads and the media assets made from them."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ColumnElement,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    and_,
    or_,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.accounts.models import Organisation, User
from catalog.clock import utcnow
from catalog.database import PinyinTitle, UTCDateTime, db, enum_column, new_id


class LectureStatus(enum.StrEnum):
    DRAFT = "draft"  # no media yet
    PROCESSING = "processing"
    READY = "ready"
    FAILED = "failed"


class Microlecture(PinyinTitle, db.Model):  # type: ignore[name-defined,misc]
    """A 3–15 minute video lesson (微课) by an instructor."""

    __tablename__ = "microlectures"
    __table_args__ = (Index("ix_microlectures_title_sort", "title_sort", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    knowledge_points: Mapped[list[str]] = mapped_column(JSON, default=list)  # 知识点
    instructor_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"), index=True)
    status: Mapped[LectureStatus] = mapped_column(
        enum_column(LectureStatus), default=LectureStatus.DRAFT, index=True
    )
    failure_reason: Mapped[str | None] = mapped_column(Text)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    # The upload whose assets are played; a new upload replaces it only once it is ready.
    active_upload_id: Mapped[str | None] = mapped_column(String(32))
    transcript_key: Mapped[str | None] = mapped_column(String(300))
    transcript_text: Mapped[str] = mapped_column(Text, default="")
    is_published: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    published_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    instructor: Mapped[User] = relationship(lazy="joined")
    organisation: Mapped[Organisation] = relationship(lazy="joined")
    assets: Mapped[list[MediaAsset]] = relationship(
        back_populates="microlecture", cascade="all, delete-orphan", order_by="MediaAsset.id"
    )

    @property
    def is_playable(self) -> bool:
        """Published, with media to play (a replacement being processed plays the old one)."""
        return self.is_published and (
            self.status is LectureStatus.READY or self.active_upload_id is not None
        )

    @classmethod
    def playable(cls) -> ColumnElement[bool]:
        """:attr:`is_playable` in SQL: what learners see and search finds."""
        return and_(
            cls.is_published.is_(True),
            or_(cls.status == LectureStatus.READY, cls.active_upload_id.is_not(None)),
        )

    @property
    def active_assets(self) -> list[MediaAsset]:
        return [a for a in self.assets if a.upload_id == self.active_upload_id]


class UploadStatus(enum.StrEnum):
    PENDING = "pending"  # URLs handed out, waiting for the bytes
    PROCESSING = "processing"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"


class MediaUpload(db.Model):  # type: ignore[name-defined,misc]
    """One upload of a media file, straight from the client to the object store."""

    __tablename__ = "media_uploads"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    microlecture_id: Mapped[int] = mapped_column(
        ForeignKey("microlectures.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    file_name: Mapped[str] = mapped_column(String(255))
    size: Mapped[int] = mapped_column(BigInteger)
    content_type: Mapped[str] = mapped_column(String(100))
    sha256: Mapped[str | None] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(300))
    multipart_id: Mapped[str | None] = mapped_column(String(255))  # the store's upload id
    part_size: Mapped[int | None] = mapped_column(BigInteger)
    status: Mapped[UploadStatus] = mapped_column(
        enum_column(UploadStatus), default=UploadStatus.PENDING, index=True
    )
    failure_reason: Mapped[str | None] = mapped_column(Text)
    detected_type: Mapped[str | None] = mapped_column(String(100))
    task_id: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class AssetKind(enum.StrEnum):
    ORIGINAL = "original"
    MOBILE = "mobile"  # H.264/AAC, at most 480p, fast start
    AUDIO = "audio"  # AAC only, for poor connections
    THUMBNAIL = "thumbnail"


class MediaAsset(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "media_assets"

    id: Mapped[int] = mapped_column(primary_key=True)
    microlecture_id: Mapped[int] = mapped_column(
        ForeignKey("microlectures.id", ondelete="CASCADE"), index=True
    )
    upload_id: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[AssetKind] = mapped_column(enum_column(AssetKind))
    key: Mapped[str] = mapped_column(String(300))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(BigInteger)
    width: Mapped[int | None] = mapped_column(Integer)
    height: Mapped[int | None] = mapped_column(Integer)
    bitrate: Mapped[int | None] = mapped_column(Integer)
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    codecs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    microlecture: Mapped[Microlecture] = relationship(back_populates="assets")
