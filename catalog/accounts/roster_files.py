"""Rosters, the admin's side: starting an import, reading its record, the template, the
roster export, and one-time passwords for workers a roster brought in."""

from __future__ import annotations

import io
import posixpath
import re
from typing import IO, Any

import xlsxwriter
from sqlalchemy import select

from catalog.accounts import audit
from catalog.accounts.departments import path_names
from catalog.accounts.lifecycle import give_one_time_password, users_query
from catalog.accounts.models import Organisation, RosterImport, User
from catalog.accounts.passwords import UNUSABLE
from catalog.accounts.tasks import import_roster
from catalog.database import db, new_id
from catalog.errors import Invalid, NotFound, UnsupportedMediaType
from catalog.runtime import runtime
from ingest import roster


def start_import(
    actor: User,
    stream: IO[bytes],
    *,
    file_name: str,
    content_type: str,
    mode: str,
    dry_run: bool,
    disable_missing: bool,
    organisation_code: str | None,
) -> RosterImport:
    extension = posixpath.splitext(file_name.lower())[1]
    if extension not in {".xlsx", ".csv"}:
        raise UnsupportedMediaType(
            f"花名册应为 .xlsx 或 .csv，而不是 {extension or '（无扩展名）'} / a roster is .xlsx "
            "or .csv",
            details={"file_name": file_name},
        )
    organisation = actor.organisation
    if organisation_code is not None:
        if not actor.is_platform_admin:
            raise Invalid("只能导入本组织的花名册 / your own organisation's roster only")
        organisation = db.session.scalar(
            select(Organisation).where(Organisation.code == organisation_code)
        )
        if organisation is None:
            raise NotFound(f"组织不存在 / No organisation {organisation_code!r}")
    if organisation is None:
        raise Invalid(
            "请指定组织 / Name the organisation", details={"organisation_code": ["required"]}
        )
    record = RosterImport(
        id=new_id(),
        organisation_id=organisation.id,
        created_by_id=actor.id,
        file_name=file_name[:255],
        mode=mode,
        dry_run=dry_run,
        disable_missing=disable_missing,
        file_key="",
        file_size=0,
        status="queued",
    )
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", posixpath.basename(file_name))[-80:] or "roster"
    record.file_key = f"rosters/{organisation.id}/{record.id}/{safe}"
    info = runtime().object_store.put(record.file_key, stream, content_type=content_type)
    record.file_size = info.size
    record.task_id = new_id()
    db.session.add(record)
    db.session.commit()
    import_roster.enqueue(record.id, task_id=record.task_id, created_by_id=actor.id)
    db.session.refresh(record)
    return record


def get_import(actor: User, import_id: str) -> RosterImport:
    record = db.session.get(RosterImport, import_id)
    if record is None or not (actor.is_platform_admin or record.created_by_id == actor.id):
        raise NotFound("导入记录不存在 / No such roster import", details={"id": import_id})
    return record


def _book(rows: list[list[Any]], sheet: str) -> bytes:
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True, "strings_to_formulas": False})
    header = book.add_format({"bold": True, "bg_color": "#DDEBF7", "border": 1})
    text = book.add_format({"num_format": "@"})  # 工号 and phones stay text, never numbers
    page = book.add_worksheet(sheet)
    page.set_column(0, len(rows[0]) - 1, 18, text)
    page.write_row(0, 0, rows[0], header)
    for number, row in enumerate(rows[1:], start=1):
        page.write_row(number, 0, [str(v) for v in row])
    book.close()
    return buffer.getvalue()


def template_bytes() -> bytes:
    return _book(roster.template_rows(), "花名册")


def export_bytes(actor: User, department_id: int | None) -> bytes:
    # a roster is of workers with an employee number: what it lists, it can bring back
    query = users_query(actor, department_id=department_id, active=True).where(
        User.employee_no.is_not(None)
    )
    paths: dict[int, dict[int, list[str]]] = {}  # by organisation (a platform admin's: several)
    rows = [roster.template_rows()[0]]
    for user in db.session.execute(query).scalars():
        organisation_id = user.organisation_id or 0
        if organisation_id not in paths:
            paths[organisation_id] = path_names(organisation_id)
        rows.append(
            roster.as_row(
                {
                    "employee_no": user.employee_no,
                    "name": user.display_name,
                    "phone": user.phone,
                    "department": paths[organisation_id].get(user.department_id or 0, []),
                    "occupation": user.occupation,
                    "skill_level": user.skill_level,
                    "roles": sorted(r.value for r in user.roles),
                    "username": user.username,
                }
            )
        )
    return _book(rows, "花名册")


def one_time_passwords(
    actor: User, *, department_id: int | None, user_ids: list[int] | None
) -> list[dict[str, Any]]:
    """Random one-time passwords (72 bits each: a keyed hash keeps them, as tokens are kept),
    for the managed users named, or those of a department (subtree) who never had one."""
    query = users_query(actor, department_id=department_id, active=True).where(
        User.id != actor.id,
        User.id.in_(user_ids) if user_ids else User.password_hash.startswith(UNUSABLE),
    )
    rows: list[dict[str, Any]] = []
    for user in db.session.execute(query.order_by(User.id)).scalars():
        password, _revoked = give_one_time_password(user)
        audit.record(actor, user, "one_time_password", {})
        rows.append(
            {
                "user_id": user.id,
                "username": user.username,
                "display_name": user.display_name,
                "employee_no": user.employee_no,
                "password": password,
            }
        )
    db.session.commit()
    return rows
