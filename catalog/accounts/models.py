"""Account models: organisations, users with roles, and login sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from catalog.clock import utcnow
from catalog.database import UTCDateTime, db, enum_column, new_id


class OrganisationKind(enum.StrEnum):
    ENTERPRISE = "enterprise"  # 企业
    SCHOOL = "school"  # 职业院校
    UNION = "union"  # 工会
    ALLIANCE = "alliance"  # 行业联盟
    OTHER = "other"


class Role(enum.StrEnum):
    LEARNER = "learner"  # 一线职工
    INSTRUCTOR = "instructor"  # 讲师
    EDITOR = "editor"  # 题库编辑
    ADMIN = "admin"  # 组织管理员, scoped to the user's organisation
    PLATFORM_ADMIN = "platform_admin"  # 平台管理员, every organisation


class Organisation(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[OrganisationKind] = mapped_column(enum_column(OrganisationKind))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    users: Mapped[list[User]] = relationship(back_populates="organisation")


class Department(db.Model):  # type: ignore[name-defined,misc]
    """A branch, workshop or team (分公司 / 车间 / 班组): a tree inside one organisation.

    ``path`` holds the ids from the root down (``/3/17/42/``), so a subtree is one prefix match
    and an admin's scope one comparison."""

    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("organisation_id", "parent_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    parent_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    path: Mapped[str] = mapped_column(String(1000), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class User(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organisation_id", "employee_no"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100))
    password_hash: Mapped[str] = mapped_column(String(255))
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="RESTRICT"), index=True
    )
    is_active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # the profile an employer keeps (工号, 手机号, 工种, 技能等级 1–5: 初级工 … 高级技师)
    department_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL"), index=True
    )
    employee_no: Mapped[str | None] = mapped_column(String(64))
    phone: Mapped[str | None] = mapped_column(String(20))
    occupation: Mapped[str | None] = mapped_column(String(60), index=True)
    skill_level: Mapped[int | None] = mapped_column(Integer)
    # an admin's reach: this department's subtree (None: the whole organisation)
    admin_scope_id: Mapped[int | None] = mapped_column(
        ForeignKey("departments.id", ondelete="SET NULL")
    )
    must_change_password: Mapped[bool] = mapped_column(default=False, server_default="0")
    anonymised_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    organisation: Mapped[Organisation | None] = relationship(back_populates="users")
    department: Mapped[Department | None] = relationship(foreign_keys=[department_id])
    admin_scope: Mapped[Department | None] = relationship(foreign_keys=[admin_scope_id])
    role_grants: Mapped[list[UserRole]] = relationship(
        cascade="all, delete-orphan", lazy="selectin", order_by="UserRole.role"
    )

    @property
    def roles(self) -> set[Role]:
        return {grant.role for grant in self.role_grants}

    @property
    def is_platform_admin(self) -> bool:
        return Role.PLATFORM_ADMIN in self.roles


class AccountAudit(db.Model):  # type: ignore[name-defined,misc]
    """What an admin did to a user (created, changed, disabled, reset, anonymised): append-only,
    kept when the user is anonymised."""

    __tablename__ = "account_audit"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class UserRole(db.Model):  # type: ignore[name-defined,misc]
    __tablename__ = "user_roles"
    __table_args__ = (UniqueConstraint("user_id", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role))


class AuthSession(db.Model):  # type: ignore[name-defined,misc]
    """One login: its access and refresh tokens carry its id, so logout revokes both."""

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    user_agent: Mapped[str | None] = mapped_column(String(255))
    # where the sign-in came from, hashed with the secret (no addresses are kept): a place a
    # user has signed in from is not locked out by failures from elsewhere
    address_hash: Mapped[str | None] = mapped_column(String(64), index=True)
    # refresh tokens rotate: each use issues the next generation; an older one used again means
    # it was copied, and the whole session is revoked
    refresh_generation: Mapped[int] = mapped_column(default=0, server_default="0")
    # the Idempotency-Key of the last refresh, and when: the same key with the token it
    # replaced, shortly after, is the phone retrying a reply it never received, not a copy
    last_refresh_key: Mapped[str | None] = mapped_column(String(64))
    last_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class RosterImport(db.Model):  # type: ignore[name-defined,misc]
    """One HR roster file brought in by an admin, and its report."""

    __tablename__ = "roster_imports"

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=new_id)
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), index=True
    )
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    file_name: Mapped[str] = mapped_column(String(255))
    file_key: Mapped[str] = mapped_column(String(300))
    file_size: Mapped[int] = mapped_column(Integer, default=0)
    mode: Mapped[str] = mapped_column(String(20))  # all_or_nothing | skip_invalid
    dry_run: Mapped[bool] = mapped_column(default=False)
    disable_missing: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(20), default="queued")
    task_id: Mapped[str | None] = mapped_column(String(32))
    counts: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    problems: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # first 1,000
    problem_count: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
