"""Departments: the tree of branches, workshops and teams inside an organisation.

Each department keeps the path of ids from its root (``/3/17/42/``); moving a department
rewrites the paths of its whole subtree in one statement, so a subtree is always one prefix.
Every change is checked against the actor's scope (``scope.manages_department``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, literal, select, update

from catalog.accounts import audit
from catalog.accounts.models import Department, Organisation, User
from catalog.accounts.scope import in_subtree, manages_department, scope_of, subtree_ids
from catalog.database import db, lock_row
from catalog.errors import Conflict, Invalid, NotFound, PermissionDenied
from ingest.roster import PATH_SEPARATORS

MAX_DEPTH = 15  # deeper than any enterprise; bounds what one roster row can create
NAME_SIZE = 100


@dataclass(frozen=True)
class DepartmentView:
    department: Department
    depth: int
    members: int  # users in this department itself
    total: int  # users in its subtree


def _name(raw: str) -> str:
    name = " ".join(raw.split())
    # a separator of roster paths (/ ／ > ＞ \ " - ") would make the name two departments there
    if not name or len(name) > NAME_SIZE or PATH_SEPARATORS.search(name):
        raise Invalid(
            f"部门名称为 1–{NAME_SIZE} 个字，且不含 /、>、\\ 或“ - ” / a department name is "
            f"1–{NAME_SIZE} characters without /, >, \\ or ' - '",
            details={"name": ["invalid"]},
        )
    return name


def get_department(actor: User, department_id: int) -> Department:
    department = db.session.get(Department, department_id)
    if department is None or not manages_department(actor, department):
        raise NotFound("部门不存在 / No such department", details={"id": department_id})
    return department


def lock_tree(organisation_id: int) -> None:
    """One change to an organisation's departments (or who sits in them) at a time: two moves
    under each other, two merges into each other, a deletion and a move of a member into the
    department each read what the other left, not a tree about to change."""
    lock_row(Organisation, organisation_id)


def _changing(actor: User, department_id: int) -> Department:
    """The department, read again once its organisation's tree is locked for this change."""
    lock_tree(get_department(actor, department_id).organisation_id)
    return get_department(actor, department_id)


def _organisation_for(actor: User, organisation_code: str | None) -> Organisation:
    if organisation_code is not None and actor.is_platform_admin:
        organisation: Organisation | None = db.session.scalar(
            select(Organisation).where(Organisation.code == organisation_code)
        )
        if organisation is None:
            raise NotFound(f"组织不存在 / No organisation {organisation_code!r}")
        return organisation
    if actor.organisation is None:
        raise Invalid(
            "请指定组织 / Name the organisation", details={"organisation_code": ["required"]}
        )
    return actor.organisation


def _check_unique(
    organisation_id: int, parent_id: int | None, name: str, exclude: int | None
) -> None:
    query = select(Department.id).where(
        Department.organisation_id == organisation_id,
        Department.parent_id.is_(None) if parent_id is None else Department.parent_id == parent_id,
        Department.name == name,
    )
    if exclude is not None:
        query = query.where(Department.id != exclude)
    if db.session.scalar(query) is not None:
        raise Conflict(
            f"同一上级下已有部门“{name}” / a department {name!r} exists there",
            code="department_exists",
        )


def create_department(
    actor: User, *, name: str, parent_id: int | None, organisation_code: str | None = None
) -> Department:
    name = _name(name)
    if parent_id is None:
        organisation = _organisation_for(actor, organisation_code)
        if scope_of(actor) is not None:  # a workshop's admin adds teams below it, not roots
            raise PermissionDenied(
                "只能在所辖部门之下新建部门 / Create departments inside your own department"
            )
        lock_tree(organisation.id)  # two roots of one name at once: the second sees the first
        parent = None
    else:
        parent = _changing(actor, parent_id)
        organisation = db.session.get(Organisation, parent.organisation_id)  # type: ignore[assignment]
        if parent.path.count("/") - 1 >= MAX_DEPTH:
            raise Invalid(f"部门层级最多 {MAX_DEPTH} 级 / at most {MAX_DEPTH} levels")
    _check_unique(organisation.id, parent_id, name, None)
    department = Department(
        organisation_id=organisation.id, parent_id=parent_id, name=name, path="/"
    )
    db.session.add(department)
    db.session.flush()
    department.path = f"{parent.path if parent else '/'}{department.id}/"
    audit.record(actor, None, "department_created", {"department_id": department.id, "name": name})
    db.session.commit()
    return department


def find_or_create_path(organisation: Organisation, names: list[str]) -> Department:
    """The department at ``分公司/车间/班组`` under the organisation, made on the way (roster
    imports); the caller checks scope and commits."""
    parent: Department | None = None
    for raw in names:
        name = _name(raw)
        found = db.session.scalar(
            select(Department).where(
                Department.organisation_id == organisation.id,
                Department.parent_id.is_(None)
                if parent is None
                else Department.parent_id == parent.id,
                Department.name == name,
            )
        )
        if found is None:
            if parent is not None and parent.path.count("/") - 1 >= MAX_DEPTH:
                raise Invalid(f"部门层级最多 {MAX_DEPTH} 级 / at most {MAX_DEPTH} levels")
            found = Department(
                organisation_id=organisation.id,
                parent_id=parent.id if parent else None,
                name=name,
                path="/",
            )
            db.session.add(found)
            db.session.flush()
            found.path = f"{parent.path if parent else '/'}{found.id}/"
        parent = found
    if parent is None:
        raise Invalid("部门路径为空 / empty department path")
    return parent


def path_names(organisation_id: int) -> dict[int, list[str]]:
    """Each department of the organisation with the names along its path, from the top (one
    query: rosters write and check paths by name)."""
    rows = db.session.execute(
        select(Department.id, Department.name, Department.path).where(
            Department.organisation_id == organisation_id
        )
    ).all()
    names = {row.id: row.name for row in rows}
    return {
        row.id: [names[int(i)] for i in row.path.strip("/").split("/") if int(i) in names]
        for row in rows
    }


def rename_department(actor: User, department_id: int, name: str) -> Department:
    department = _changing(actor, department_id)
    name = _name(name)
    _check_unique(department.organisation_id, department.parent_id, name, department.id)
    before = department.name
    department.name = name
    audit.record(
        actor,
        None,
        "department_renamed",
        {"department_id": department.id, "from": before, "to": name},
    )
    db.session.commit()
    return department


def _reparent(department: Department, parent: Department | None) -> None:
    """Set the parent and rewrite the subtree's paths in one statement."""
    old = department.path
    new = f"{parent.path if parent else '/'}{department.id}/"
    if new.count("/") - 1 + _height(department) > MAX_DEPTH:
        raise Invalid(f"部门层级最多 {MAX_DEPTH} 级 / at most {MAX_DEPTH} levels")
    department.parent_id = parent.id if parent else None
    db.session.flush()
    db.session.execute(
        update(Department)
        .where(
            Department.organisation_id == department.organisation_id,
            Department.path.startswith(old, autoescape=True),
        )
        .values(path=literal(new) + func.substr(Department.path, len(old) + 1))
        .execution_options(synchronize_session=False)
    )
    db.session.expire_all()


def _height(department: Department) -> int:
    """How many levels the department's subtree reaches below it."""
    paths = db.session.scalars(
        select(Department.path).where(Department.id.in_(subtree_ids(department)))
    )
    return max((p.count("/") for p in paths), default=0) - department.path.count("/")


def move_department(actor: User, department_id: int, parent_id: int | None) -> Department:
    department = _changing(actor, department_id)
    root = scope_of(actor)
    if root is not None and department.id == root.id:
        raise PermissionDenied("不能移动自己所辖的部门 / You cannot move your own department")
    parent = get_department(actor, parent_id) if parent_id is not None else None
    if parent is None and root is not None:
        raise PermissionDenied("只能在所辖部门之内移动 / Move within your own department")
    if parent is not None:
        if parent.organisation_id != department.organisation_id:
            raise Invalid("不能移到其他组织 / not into another organisation")
        if in_subtree(parent, department):
            raise Invalid(
                "不能移到自己的下级部门之下 / a department cannot move below itself",
                details={"parent_id": ["inside the department"]},
            )
    _check_unique(department.organisation_id, parent_id, department.name, department.id)
    before = department.parent_id
    _reparent(department, parent)
    audit.record(
        actor,
        None,
        "department_moved",
        {"department_id": department_id, "from_parent": before, "to_parent": parent_id},
    )
    db.session.commit()
    return get_department(actor, department_id)


def merge_departments(actor: User, source_id: int, target_id: int) -> Department:
    """The source's members and teams join the target; the source goes. Rules that named the
    source name the target."""
    source = _changing(actor, source_id)
    target = get_department(actor, target_id)
    root = scope_of(actor)
    if source.id == target.id or in_subtree(target, source):
        raise Invalid(
            "不能并入自身或其下级部门 / a department cannot merge into itself or below itself",
            details={"target_id": ["inside the source"]},
        )
    if root is not None and source.id == root.id:
        raise PermissionDenied("不能合并自己所辖的部门 / You cannot merge your own department")
    for child in db.session.scalars(select(Department).where(Department.parent_id == source.id)):
        _check_unique(target.organisation_id, target.id, child.name, child.id)
        _reparent(child, db.session.get(Department, target.id))
    moved = db.session.execute(
        update(User).where(User.department_id == source.id).values(department_id=target.id)
    ).rowcount  # type: ignore[attr-defined]
    db.session.execute(
        update(User).where(User.admin_scope_id == source.id).values(admin_scope_id=target.id)
    )
    for hook in MERGE_HOOKS:
        hook(source.id, target.id)
    db.session.delete(db.session.get(Department, source.id))
    audit.record(
        actor,
        None,
        "departments_merged",
        {"source_id": source_id, "target_id": target_id, "members_moved": moved},
    )
    db.session.commit()
    return get_department(actor, target_id)


MERGE_HOOKS: list[Any] = []  # other domains' references to departments (assignment rules)
DELETE_CHECKS: list[Any] = []  # each may refuse a deletion (a rule still names the department)


def delete_department(actor: User, department_id: int) -> None:
    department = _changing(actor, department_id)
    if scope_of(actor) is not None and department.id == actor.admin_scope_id:
        raise PermissionDenied("不能删除自己所辖的部门 / You cannot delete your own department")
    if db.session.scalar(select(Department.id).where(Department.parent_id == department.id)):
        raise Conflict("部门下还有下级部门 / the department has departments below it")
    if db.session.scalar(select(User.id).where(User.department_id == department.id).limit(1)):
        raise Conflict("部门下还有人员，请先调出或合并 / the department still has members")
    if db.session.scalar(select(User.id).where(User.admin_scope_id == department.id).limit(1)):
        # its admin would manage the whole organisation once it went (ON DELETE SET NULL)
        raise Conflict(
            "部门是管理员的管理范围，请先改变其范围或合并部门 / the department is an admin's "
            "scope: change the scope or merge the department first",
            code="department_is_a_scope",
        )
    for check in DELETE_CHECKS:
        check(department.id)
    audit.record(actor, None, "department_deleted", {"department_id": department.id})
    db.session.delete(department)
    db.session.commit()


def tree(actor: User, organisation_code: str | None = None) -> list[DepartmentView]:
    """The departments the actor manages, parents before children, with member counts."""
    root = scope_of(actor)
    if root is not None:
        query = select(Department).where(Department.id.in_(subtree_ids(root)))
    else:
        organisation = _organisation_for(actor, organisation_code)
        query = select(Department).where(Department.organisation_id == organisation.id)
    departments = list(db.session.scalars(query.order_by(Department.path)))
    ids = [d.id for d in departments]
    direct = dict(
        db.session.execute(
            select(User.department_id, func.count())
            .where(User.department_id.in_(ids), User.is_active.is_(True))
            .group_by(User.department_id)
        ).all()
    )
    totals: dict[int, int] = {}
    for department in departments:
        count = direct.get(department.id, 0)
        for ancestor_id in department.path.strip("/").split("/"):
            totals[int(ancestor_id)] = totals.get(int(ancestor_id), 0) + count
    base = root.path.count("/") if root else 2
    return [
        DepartmentView(d, d.path.count("/") - base, direct.get(d.id, 0), totals.get(d.id, 0))
        for d in departments
    ]
