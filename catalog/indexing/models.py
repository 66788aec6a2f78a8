"""The search outbox (changes waiting to reach the index) and the admins' synonyms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from catalog.clock import utcnow
from catalog.database import UTCDateTime, db


class OutboxEntry(db.Model):  # type: ignore[name-defined,misc]
    """A document to refresh, written in the same transaction as the change that made it."""

    __tablename__ = "search_outbox"
    __table_args__ = (Index("ix_search_outbox_pending", "done_at", "next_attempt_at", "id"),)

    id: Mapped[int] = mapped_column(
        BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=True
    )
    index: Mapped[str] = mapped_column(String(40))
    doc_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    last_error: Mapped[str | None] = mapped_column(Text)
    done_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class SearchSynonym(db.Model):  # type: ignore[name-defined,misc]
    """A group of trade terms that mean the same, e.g. 变电站 ↔ 变电所."""

    __tablename__ = "search_synonyms"

    id: Mapped[int] = mapped_column(primary_key=True)
    terms: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class SearchVocabularyTerm(db.Model):  # type: ignore[name-defined,misc]
    """A trade term the segmenter keeps whole (倒闸操作, 两票三制), added by the platform's
    admins to the built-in industry vocabulary (catalog/indexing/vocabulary.txt)."""

    __tablename__ = "search_vocabulary"

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(40), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
