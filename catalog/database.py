"""The database: the SQLAlchemy object, column types every model shares, portable upserts."""

from __future__ import annotations

import enum
import fcntl
import tempfile
import uuid
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Enum, MetaData, String, select, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Mapped, mapped_column, validates
from sqlalchemy.types import TypeDecorator

from search.text import SORT_KEY_LENGTH, pinyin_sort_key

# Explicit constraint names keep Alembic migrations identical on SQLite and PostgreSQL.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

db = SQLAlchemy(metadata=MetaData(naming_convention=NAMING_CONVENTION))


def new_id() -> str:
    """A random primary key for rows the server makes (sessions, uploads, tasks, imports)."""
    return uuid.uuid4().hex


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always read back time-zone aware.

    SQLite keeps no zone, PostgreSQL keeps ``timestamptz``; both come back as aware UTC.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> Any:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC)

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        stamp: datetime = value
        if stamp.tzinfo is None:
            return stamp.replace(tzinfo=UTC)
        return stamp.astimezone(UTC)


# Byte order on PostgreSQL too (its locales would skip spaces and fold digits into letters),
# so a pinyin sort key orders rows alike on SQLite and PostgreSQL.
SortKeyType = String(SORT_KEY_LENGTH).with_variant(
    String(SORT_KEY_LENGTH, collation="C"), "postgresql"
)


class PinyinTitle:
    """A mixin: ``title_sort``, the title's pinyin sort key (拼音排序), kept in step whenever
    the title is set, so lists sorted by title read 安全 before 变电 before 倒闸."""

    title_sort: Mapped[str] = mapped_column(SortKeyType, default="")

    @validates("title")
    def _keep_title_sort(self, _key: str, title: str) -> str:
        self.title_sort = pinyin_sort_key(title or "")
        return title


def enum_column(enum_class: type[enum.Enum]) -> Enum:
    """A portable enum column storing the members' values (readable in SQL), checked on write."""
    return Enum(
        enum_class,
        native_enum=False,
        length=32,
        validate_strings=True,
        values_callable=lambda members: [member.value for member in members],
    )


def upsert(model: Any) -> Any:
    """An INSERT of ``model``'s table that can skip or merge on conflict (``on_conflict_do_*``),
    for the database in use: PostgreSQL in production, SQLite embedded."""
    dialect = db.session.get_bind().dialect.name
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model.__table__)


@contextmanager
def single_flight(name: str, *, wait: bool = False) -> Iterator[bool]:
    """Whether this caller holds ``name`` now, across threads, processes and machines: one
    task consumer drains the search outbox while another finds it taken and stands aside;
    with ``wait``, it waits its turn instead (two rebuilds of one index run one after the
    other). PostgreSQL: a session advisory lock on a connection of its own; SQLite (one
    machine): a file lock beside the database file."""
    engine = db.engine
    if engine.dialect.name == "postgresql":
        key = zlib.crc32(name.encode())  # advisory locks are keyed by number
        with engine.connect() as connection:
            if wait:
                connection.execute(text("SELECT pg_advisory_lock(:k)"), {"k": key})
                held = True
            else:
                held = bool(connection.scalar(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}))
            try:
                yield held
            finally:
                if held:
                    connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
                connection.commit()
        return
    database = engine.url.database
    memory = not database or database == ":memory:"
    folder = Path(tempfile.gettempdir()) if memory else Path(str(database)).parent
    with (folder / f".{name}.lock").open("w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def lock_row(model: Any, ident: Any) -> None:
    """Serialise the writers of one row's world (an organisation's department tree) from here
    to the commit: PostgreSQL locks the row; SQLite ends the read its transaction began and
    takes the database's write lock now. Rows read before are reloaded: what follows sees what
    the last writer left. Call it before changing anything."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(select(model.id).where(model.id == ident).with_for_update())
    else:
        db.session.commit()  # nothing pending yet: only the snapshot of earlier reads ends
        db.session.execute(update(model).where(model.id == ident).values(id=model.id))
    db.session.expire_all()
