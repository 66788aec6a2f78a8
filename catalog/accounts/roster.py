"""Roster imports: an enterprise brings its workers from its HR roster (花名册).

Idempotent by employee number (工号) within the organisation: a second import of the same
roster changes nothing; a changed row updates the worker; a new one creates them (without a
usable password until the admin issues one-time passwords); asked to, workers of the admin's
scope missing from the roster are disabled (leavers). Departments on the rows are made on the
way. All or nothing by default, ``skip_invalid`` to import the valid rows, or a dry run that
only reports — the same report, by row and column, as question imports.
"""

from __future__ import annotations

import logging
import re
import secrets
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy import select

from catalog.accounts import audit
from catalog.accounts.departments import MAX_DEPTH, find_or_create_path, lock_tree, path_names
from catalog.accounts.lifecycle import replace_roles, revoke_sessions
from catalog.accounts.models import (
    Organisation,
    Role,
    RosterImport,
    User,
    UserRole,
)
from catalog.accounts.passwords import UNUSABLE
from catalog.accounts.scope import managed_users, manages, scope_of
from catalog.background.queue import Progress
from catalog.clock import utcnow
from catalog.database import db
from catalog.errors import NotFound
from catalog.runtime import runtime
from catalog.uploads import save_to
from ingest import roster
from ingest.interfaces import StorageError
from ingest.questions.common import FileRefused

log = logging.getLogger(__name__)

ROSTER_ROLES = {"learner", "instructor", "editor"}  # admins are appointed, never imported
REPORTED = 1000
ADMIN_ROLES = {Role.ADMIN, Role.PLATFORM_ADMIN}  # appointed, never changed by a roster


def run(import_id: str, progress: Progress) -> dict[str, Any]:
    record = db.session.get(RosterImport, import_id)
    if record is None:
        raise NotFound("导入记录不存在 / No such roster import")
    actor = db.session.get(User, record.created_by_id)
    organisation = db.session.get(Organisation, record.organisation_id)
    assert actor is not None and organisation is not None
    problems: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="jiangyun-roster-") as folder:
        path = Path(folder) / "upload"
        save_to(record.file_key, path)
        try:
            rows, columns = _read(record, path)
        except FileRefused as exc:
            problems.append(_problem(None, None, None, str(exc)))
            return _finish(record, {"read": 0, "errors": 1}, problems)
    progress(30, f"已读取 {len(rows)} 行 / rows read")
    valid = _check(rows, columns, actor, organisation, problems)
    errors = sum(1 for p in problems if p["severity"] == "error")
    counts: dict[str, int] = {
        "read": len(rows),
        "valid": len(valid),
        "errors": errors,
        "created": 0,
        "updated": 0,
        "unchanged": 0,
        "disabled": 0,
    }
    if record.dry_run or (errors and record.mode == "all_or_nothing"):
        return _finish(record, counts, problems, refused=bool(errors) and not record.dry_run)
    # every 工号 in the file is listed, a skipped row's too: a typo never makes a leaver
    listed = {row.values["employee_no"] for row in rows if row.values.get("employee_no")}
    _apply(record, actor, organisation, valid, listed, counts, problems, progress)
    late = sum(1 for p in problems if p["severity"] == "error") - errors
    if late and record.mode == "all_or_nothing":  # refused while writing: nothing lands
        db.session.rollback()
        counts.update(created=0, updated=0, unchanged=0, disabled=0, errors=errors + late)
        return _finish(record, counts, problems, refused=True)
    counts["errors"] = errors + late
    db.session.commit()
    return _finish(record, counts, problems)


def _read(record: RosterImport, path: Path) -> tuple[list[roster.RosterRow], dict[str, str]]:
    settings = runtime().settings
    if record.file_name.lower().endswith(".xlsx"):
        columns, rows = roster.read_xlsx(
            path, settings.import_max_unzipped_bytes, settings.import_max_rows
        )
    else:
        columns, rows = roster.read_csv(path, settings.import_max_rows)
    return rows, columns


def _problem(
    row: roster.RosterRow | None,
    column: str | None,
    field: str | None,
    message: str,
    severity: str = "error",
) -> dict[str, Any]:
    return {
        "sheet": row.sheet if row else None,
        "row": row.row if row else None,
        "column": column,
        "field": field,
        "severity": severity,
        "message": message,
    }


def _check(
    rows: list[roster.RosterRow],
    columns: dict[str, str],
    actor: User,
    organisation: Organisation,
    problems: list[dict[str, Any]],
) -> list[roster.RosterRow]:
    """Rows that can be applied; every problem reported by row and column."""
    root = scope_of(actor)
    # a scoped admin's rows must name a path inside their department (made or not yet): its
    # names from the top, read once for the file
    root_names = path_names(root.organisation_id)[root.id] if root is not None else None
    seen: dict[str, int] = {}
    names: dict[str, int] = {}  # user names made from 工号 (t-004 and T-004 make one)
    admins = set(
        db.session.scalars(
            select(User.employee_no).where(
                User.organisation_id == organisation.id,
                User.id.in_(select(UserRole.user_id).where(UserRole.role == Role.ADMIN)),
            )
        )
    )
    valid = []
    for row in rows:
        for field, message in row.problems:
            problems.append(_problem(row, columns.get(field), field, message))
        bad = bool(row.problems)
        number = row.values["employee_no"]
        if number and number in seen:
            problems.append(
                _problem(
                    row,
                    columns.get("employee_no"),
                    "employee_no",
                    f"工号 {number} 与第 {seen[number]} 行重复 / the same employee number as row "
                    f"{seen[number]}",
                )
            )
            bad = True
        seen.setdefault(number, row.row)
        username = row.values.get("username") or (_username(organisation, number) if number else "")
        if username and names.get(username, row.row) != row.row and not bad:
            problems.append(
                _problem(
                    row,
                    columns.get("employee_no"),
                    "employee_no",
                    f"工号 {number} 与第 {names[username]} 行只差大小写或符号，用户名相同 / the "
                    f"employee number makes the same user name as row {names[username]}",
                )
            )
            bad = True
        names.setdefault(username, row.row)
        roles = set(row.values.get("roles") or [])
        # an exported roster lists its admins as 管理员: kept as they are, never appointed here
        if roles - ROSTER_ROLES and not (roles - ROSTER_ROLES <= {"admin"} and number in admins):
            problems.append(
                _problem(
                    row,
                    columns.get("role"),
                    "role",
                    "管理员不能通过花名册任命 / admins are appointed, never imported",
                )
            )
            bad = True
        path = row.values.get("department") or []
        if len(path) > MAX_DEPTH:
            problems.append(
                _problem(
                    row,
                    columns.get("department"),
                    "department",
                    f"部门路径有 {len(path)} 级，最多 {MAX_DEPTH} 级 / the department path has "
                    f"{len(path)} levels, at most {MAX_DEPTH}",
                )
            )
            bad = True
        elif root_names is not None and (not path or path[: len(root_names)] != root_names):
            problems.append(
                _problem(
                    row,
                    columns.get("department"),
                    "department",
                    "部门不在您管理的范围内（请写从顶层开始的完整路径）/ the department is "
                    "outside your scope (write the whole path from the top)",
                )
            )
            bad = True
        if not bad:
            valid.append(row)
    return valid


def _username(organisation: Organisation, employee_no: str) -> str:
    base = re.sub(r"[^A-Za-z0-9_.@+\-]+", "-", f"{organisation.code}-{employee_no}").strip("-")
    return base[:64].lower()


def _apply(
    record: RosterImport,
    actor: User,
    organisation: Organisation,
    rows: list[roster.RosterRow],
    listed: set[str],
    counts: dict[str, int],
    problems: list[dict[str, Any]],
    progress: Progress,
) -> None:
    """Write the valid rows (the caller commits, or rolls back what a late refusal spoils)."""
    lock_tree(organisation.id)  # departments made here meet no concurrent move or merge
    existing = {
        user.employee_no: user
        for user in db.session.scalars(
            select(User).where(
                User.organisation_id == organisation.id, User.employee_no.is_not(None)
            )
        )
    }
    wanted = [
        r.values.get("username") or _username(organisation, r.values["employee_no"]) for r in rows
    ]
    taken: set[str] = set()
    for start in range(0, len(wanted), 1000):  # IN lists of a bounded size
        chunk = wanted[start : start + 1000]
        taken |= set(db.session.scalars(select(User.username).where(User.username.in_(chunk))))
    paths: dict[tuple[str, ...], int] = {}
    for index, row in enumerate(rows, start=1):
        values = row.values
        department_id = None
        if values.get("department"):
            key = tuple(values["department"])
            if key not in paths:
                paths[key] = find_or_create_path(organisation, list(key)).id
            department_id = paths[key]
        user = existing.get(values["employee_no"])
        if user is not None and not manages(actor, user):  # the one scope rule
            problems.append(
                _problem(
                    row, None, "employee_no", "该工号的人员不在您管理的范围内 / outside your scope"
                )
            )
            continue
        if user is None:
            username = values.get("username") or _username(organisation, values["employee_no"])
            if username in taken:
                problems.append(
                    _problem(row, None, "username", f"用户名 {username} 已被使用 / username taken")
                )
                continue
            taken.add(username)
            user = User(
                username=username,
                display_name=values["name"],
                password_hash=UNUSABLE + secrets.token_hex(8),
                organisation_id=organisation.id,
                must_change_password=True,
                employee_no=values["employee_no"],
                role_grants=[UserRole(role=Role(r)) for r in values.get("roles") or ["learner"]],
            )
            _set(user, values, department_id)
            db.session.add(user)
            db.session.flush()
            audit.record(actor, user, "created", {"by": "roster", "import_id": record.id})
            counts["created"] += 1
        else:
            changed = _set(user, values, department_id)
            if changed:
                audit.record(
                    actor, user, "profile_changed", {"by": "roster", "fields": sorted(changed)}
                )
                counts["updated"] += 1
            else:
                counts["unchanged"] += 1
        if index % 1000 == 0:
            progress(30 + int(60 * index / max(len(rows), 1)), f"已处理 {index} 行")
    if record.disable_missing:
        leavers = db.session.scalars(
            select(User).where(
                managed_users(actor),
                User.organisation_id == organisation.id,
                User.employee_no.is_not(None),
                User.is_active.is_(True),
                User.id != actor.id,
            )
        )
        for user in leavers:
            if user.employee_no not in listed and not (user.roles & ADMIN_ROLES):
                user.is_active = False
                revoke_sessions(user.id)
                audit.record(actor, user, "disabled", {"by": "roster", "import_id": record.id})
                counts["disabled"] += 1


def _set(user: User, values: dict[str, Any], department_id: int | None) -> set[str]:
    """Apply the row's values; the fields that changed. Columns absent from the file are left
    as they are; admin roles are never touched by a roster."""
    wanted: dict[str, Any] = {"display_name": values["name"]}
    for field in ("phone", "occupation", "skill_level"):
        if field in values:
            wanted[field] = values[field] or None
    if "department" in values:
        wanted["department_id"] = department_id
    changed = {f for f, v in wanted.items() if getattr(user, f) != v}
    for field in changed:
        setattr(user, field, wanted[field])
    appointed = user.id is None or bool(user.roles & ADMIN_ROLES)  # new: granted when made
    if (
        "roles" in values
        and not appointed
        and replace_roles(user, {Role(r) for r in values["roles"]})
    ):
        changed.add("roles")
    return changed


def _finish(
    record: RosterImport,
    counts: dict[str, int],
    problems: list[dict[str, Any]],
    *,
    refused: bool = False,
) -> dict[str, Any]:
    counts["warnings"] = sum(1 for p in problems if p["severity"] == "warning")
    counts.setdefault("errors", sum(1 for p in problems if p["severity"] == "error"))
    record.counts = counts
    record.problems = problems[:REPORTED]
    record.problem_count = len(problems)
    record.status = (
        "failed" if refused or (counts.get("read") == 0 and counts["errors"]) else "done"
    )
    record.finished_at = utcnow()
    db.session.commit()
    try:  # the roster's file holds everyone's personal data: kept no longer than its import
        runtime().object_store.delete(record.file_key)
    except StorageError:
        log.warning("could not delete the roster file %s", record.file_key)
    return {**counts, "status": record.status}


def forget_in_reports(user: User) -> list[str]:
    """A deleted worker's 工号 and user name leave the organisation's roster reports (a
    problem's message may name them); the rows and columns stay."""
    marks = [m for m in (user.employee_no, user.username) if m]
    if not marks:
        return []
    pattern = re.compile("|".join(re.escape(m) for m in marks), re.IGNORECASE)
    for record in db.session.scalars(
        select(RosterImport).where(RosterImport.organisation_id == user.organisation_id)
    ):
        problems = record.problems or []
        if any(pattern.search(str(p.get("message") or "")) for p in problems):
            record.problems = [
                {**p, "message": pattern.sub("（已注销）", str(p.get("message") or ""))}
                for p in problems
            ]
    return []
