"""Who may change what: object-level rules on top of the role checks in ``security``."""

from __future__ import annotations

from typing import Any

from catalog.accounts.models import Role, User
from catalog.errors import NotFound, PermissionDenied
from catalog.security import effective_roles

AUTHOR_ROLES = frozenset({Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN, Role.PLATFORM_ADMIN})


def reviews_for(user: User, organisation_id: int) -> bool:
    """Editors and admins review and publish their organisation's content; platform admins all."""
    if user.is_platform_admin:
        return True
    roles = effective_roles(user)
    return bool(roles & {Role.EDITOR, Role.ADMIN}) and user.organisation_id == organisation_id


def may_edit(user: User, *, owner_id: int, organisation_id: int) -> bool:
    """The author edits their own; reviewers edit their organisation's."""
    if user.id == owner_id and effective_roles(user) & AUTHOR_ROLES:
        return True
    return reviews_for(user, organisation_id)


def editable_scope(user: User, owner_column: Any, organisation_column: Any) -> Any:
    """A filter for lists of what the user may edit (``None``: everything, a platform admin)."""
    if user.is_platform_admin:
        return None
    if reviews_for(user, user.organisation_id or -1):
        return organisation_column == user.organisation_id
    return owner_column == user.id


def require_edit(user: User, *, owner_id: int, organisation_id: int, what: str) -> None:
    if not may_edit(user, owner_id=owner_id, organisation_id=organisation_id):
        if not reviews_for(user, organisation_id) and user.organisation_id != organisation_id:
            # Other organisations' drafts are not even acknowledged.
            raise NotFound(f"{what}不存在 / No such {what_en(what)}")
        raise PermissionDenied(
            f"只能修改自己的{what} / You may only change your own {what_en(what)}"
        )


def require_review(user: User, *, organisation_id: int, what: str) -> None:
    if not reviews_for(user, organisation_id):
        raise PermissionDenied(
            f"只有本组织的编辑或管理员可以审核发布{what} / "
            f"Only editors and admins of its organisation review and publish a {what_en(what)}"
        )


def what_en(what: str) -> str:
    return {"课程": "course", "微课": "microlecture"}.get(what, what)
