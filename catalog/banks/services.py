"""Bank and question services: editing, versions, bulk operations, listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, exists, select

from catalog.accounts.models import Role, User
from catalog.banks.models import (
    Bank,
    bank_editors,
)
from catalog.courses.models import Course
from catalog.database import db
from catalog.errors import (
    Invalid,
    NotFound,
    PermissionDenied,
)
from catalog.permissions import reviews_for
from catalog.reference.models import Industry, Occupation
from catalog.runtime import runtime
from catalog.security import effective_roles

# --- banks -----------------------------------------------------------------------------------


def may_edit_bank(user: User, bank: Bank) -> bool:
    """Editors and admins of the bank's organisation, its named editors, platform admins."""
    return reviews_for(user, bank.organisation_id) or any(e.id == user.id for e in bank.editors)


def get_bank_for_editing(user: User, bank_id: int) -> Bank:
    bank = db.session.get(Bank, bank_id)
    if bank is None or not (
        may_edit_bank(user, bank) or user.organisation_id == bank.organisation_id
    ):
        raise NotFound("题库不存在 / No such bank", details={"id": bank_id})
    if not may_edit_bank(user, bank):
        raise PermissionDenied("无权编辑该题库 / You may not edit this bank")
    return bank


def banks_for_staff(user: User) -> Select[Any]:
    query = select(Bank).order_by(Bank.id)
    if not user.is_platform_admin:
        named = exists().where(bank_editors.c.bank_id == Bank.id, bank_editors.c.user_id == user.id)
        query = query.where((Bank.organisation_id == user.organisation_id) | named)
    return query


def _resolve(data: dict[str, Any]) -> dict[str, Any]:
    values = dict(data)
    problems: dict[str, list[str]] = {}
    for name, model in (("industry", Industry), ("occupation", Occupation)):
        if name in values:
            code = values.pop(name)
            found = db.session.scalar(select(model.id).where(model.code == code)) if code else None
            if code and found is None:
                problems[name] = [f"未知代码 / unknown {name} {code!r}"]
            values[f"{name}_id"] = found
    if "course_ids" in values:
        ids = values.pop("course_ids")
        courses = list(db.session.scalars(select(Course).where(Course.id.in_(ids))))
        missing = sorted(set(ids) - {c.id for c in courses})
        if missing:
            problems["course_ids"] = [f"课程不存在 / no course {m}" for m in missing]
        values["courses"] = courses
    if "editor_ids" in values:
        ids = values.pop("editor_ids")
        editors = list(db.session.scalars(select(User).where(User.id.in_(ids))))
        if len(editors) != len(set(ids)):
            problems["editor_ids"] = ["用户不存在 / unknown user"]
        values["editors"] = editors
    if problems:
        raise Invalid(details={"json": problems})
    return values


def create_bank(user: User, data: dict[str, Any]) -> Bank:
    if user.organisation_id is None or not (effective_roles(user) & {Role.EDITOR, Role.ADMIN}):
        raise PermissionDenied(
            "只有组织的编辑或管理员可以创建题库 / Editors and admins create banks"
        )
    bank = Bank(**_resolve(data), organisation_id=user.organisation_id, created_by_id=user.id)
    db.session.add(bank)
    db.session.commit()
    return bank


def update_bank(user: User, bank_id: int, changes: dict[str, Any]) -> Bank:
    bank = get_bank_for_editing(user, bank_id)
    for name, value in _resolve(changes).items():
        setattr(bank, name, value)
    db.session.commit()
    return bank


# --- questions -------------------------------------------------------------------------------


BULK_ACTIONS = (
    "publish",
    "retire",
    "set_difficulty",
    "add_tags",
    "remove_tags",
    "add_knowledge_points",
    "remove_knowledge_points",
    "set_usage",
)


def near_duplicate_threshold() -> float:
    return float(runtime().settings.near_duplicate_threshold)
