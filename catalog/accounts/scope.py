"""Whom an admin manages: the one rule every path about a user calls.

A platform admin manages everyone. An organisation admin manages the users of their
organisation; one scoped to a department (a workshop's admin) manages only the users of that
department's subtree, and only its departments — and of the admins there, only those scoped
to a department strictly below their own (a team's admin), never one above or beside them.
Anyone else manages nobody.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, false, select, true

from catalog.accounts.models import Department, Role, User, UserRole
from catalog.database import db
from catalog.errors import NotFound
from catalog.security import effective_roles


def is_admin(actor: User) -> bool:
    return bool(effective_roles(actor) & {Role.ADMIN, Role.PLATFORM_ADMIN})


def scope_of(actor: User) -> Department | None:
    """The department whose subtree a scoped admin manages (None: no department limit)."""
    if actor.admin_scope_id is None or actor.is_platform_admin:
        return None
    return db.session.get(Department, actor.admin_scope_id)


def in_subtree(department: Department | None, root: Department) -> bool:
    return department is not None and department.path.startswith(root.path)


def manages(actor: User, user: User) -> bool:
    if not is_admin(actor):
        return False
    if actor.is_platform_admin:
        return True
    if user.organisation_id != actor.organisation_id or user.is_platform_admin:
        return False
    root = scope_of(actor)
    if root is None:
        return True
    department = db.session.get(Department, user.department_id) if user.department_id else None
    if not in_subtree(department, root):
        return False
    if Role.ADMIN in user.roles:  # another admin sitting in the subtree
        below = db.session.get(Department, user.admin_scope_id) if user.admin_scope_id else None
        return below is not None and below.id != root.id and in_subtree(below, root)
    return True


def manages_department(actor: User, department: Department) -> bool:
    if not is_admin(actor):
        return False
    if actor.is_platform_admin:
        return True
    if department.organisation_id != actor.organisation_id:
        return False
    root = scope_of(actor)
    return root is None or in_subtree(department, root)


def subtree_ids(root: Department) -> Any:
    """The ids of ``root`` and every department below it, as a subquery."""
    return select(Department.id).where(
        Department.organisation_id == root.organisation_id,
        Department.path.startswith(root.path, autoescape=True),
    )


def managed_users(actor: User) -> ColumnElement[bool]:
    """A filter on ``User`` for the users ``actor`` manages."""
    if not is_admin(actor):
        return false()
    if actor.is_platform_admin:
        return true()
    clause = (User.organisation_id == actor.organisation_id) & (User.id.not_in(_platform_admins()))
    root = scope_of(actor)
    if root is not None:
        below = subtree_ids(root)
        admins = select(UserRole.user_id).where(UserRole.role == Role.ADMIN)
        clause = (
            clause
            & User.department_id.in_(below)
            & (
                User.id.not_in(admins)
                | (User.admin_scope_id.in_(below) & (User.admin_scope_id != root.id))
            )
        )
    return clause


def _platform_admins() -> Any:
    return select(UserRole.user_id).where(UserRole.role == Role.PLATFORM_ADMIN)


def managed_user(actor: User, user_id: int) -> User:
    """The user, when ``actor`` manages them; otherwise as if there were none (a scoped admin
    learns nothing of users outside their subtree, not even that they exist)."""
    user = db.session.get(User, user_id)
    if user is None or not manages(actor, user):
        raise NotFound("用户不存在 / No such user", details={"id": user_id})
    return user
