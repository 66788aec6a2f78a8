"""Bank and question services: editing, versions, bulk operations, listing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, or_, select

from catalog.accounts.models import Organisation, Role, User
from catalog.banks import visibility
from catalog.banks.models import (
    Bank,
)
from catalog.courses.models import Course
from catalog.database import db
from catalog.errors import (
    Invalid,
    NotFound,
    PermissionDenied,
)
from catalog.permissions import may_edit, reviews_for
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


def get_bank(user: User, bank_id: int) -> Bank:
    """A bank the user edits, or one their organisation uses (shared with it: read-only)."""
    bank = db.session.get(Bank, bank_id)
    if bank is None or not (may_edit_bank(user, bank) or visibility.may_use_bank(user, bank)):
        raise NotFound("题库不存在 / No such bank", details={"id": bank_id})
    return bank


def banks_for_staff(user: User) -> Select[Any]:
    """The banks staff work with: those they edit and those shared with their organisation
    (which they use in quizzes, never edit)."""
    query = select(Bank).order_by(Bank.id)
    if not user.is_platform_admin:
        query = query.where(
            or_(visibility.staff_banks(user), visibility.usable_banks(user.organisation_id))
        )
    return query


def _resolve(user: User, organisation_id: int, data: dict[str, Any]) -> dict[str, Any]:
    """Codes and ids as rows; every link within what the user may edit: courses of the bank's
    own organisation that the user edits, editors of that organisation, shares to other
    organisations by its editors and admins. Refusals name no foreign record."""
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
        courses = [
            c
            for c in db.session.scalars(select(Course).where(Course.id.in_(ids)))
            if c.provider_org_id == organisation_id
            and may_edit(user, owner_id=c.owner_id, organisation_id=c.provider_org_id)
        ]
        refused = sorted(set(ids) - {c.id for c in courses})
        if refused:
            problems["course_ids"] = [
                f"课程 {c} 不存在或不能关联 / no course {c} of yours to link" for c in refused
            ]
        values["courses"] = courses
    if "editor_ids" in values:
        ids = values.pop("editor_ids")
        editors = list(
            db.session.scalars(
                select(User).where(User.id.in_(ids), User.organisation_id == organisation_id)
            )
        )
        if len(editors) != len(set(ids)):
            problems["editor_ids"] = [
                "用户不存在或不属于本组织 / unknown user, or not of this organisation "
                "(share the bank with other organisations instead)"
            ]
        values["editors"] = editors
    if "shared_with" in values:
        codes = values.pop("shared_with")
        if not reviews_for(user, organisation_id):
            problems["shared_with"] = ["只有本组织的编辑或管理员可以共享题库 / editors and admins"]
        partners = list(
            db.session.scalars(select(Organisation).where(Organisation.code.in_(codes)))
        )
        if len(partners) != len(set(codes)):  # which codes exist is not ours to tell
            problems.setdefault("shared_with", []).append(
                "有的组织无法共享 / some of these organisations cannot be shared with"
            )
        values["shared_with"] = [o for o in partners if o.id != organisation_id]
    if problems:
        raise Invalid(details={"json": problems})
    return values


def create_bank(user: User, data: dict[str, Any]) -> Bank:
    if user.organisation_id is None or not (effective_roles(user) & {Role.EDITOR, Role.ADMIN}):
        raise PermissionDenied(
            "只有组织的编辑或管理员可以创建题库 / Editors and admins create banks"
        )
    values = _resolve(user, user.organisation_id, data)
    bank = Bank(**values, organisation_id=user.organisation_id, created_by_id=user.id)
    db.session.add(bank)
    db.session.commit()
    return bank


def update_bank(user: User, bank_id: int, changes: dict[str, Any]) -> Bank:
    bank = get_bank_for_editing(user, bank_id)
    for name, value in _resolve(user, bank.organisation_id, changes).items():
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
