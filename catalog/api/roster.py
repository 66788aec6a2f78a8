"""HR rosters in and out (花名册), and one-time passwords for new workers."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify
from flask.views import MethodView
from flask_jwt_extended import current_user
from werkzeug.datastructures import FileStorage

from catalog.accounts import roster_files
from catalog.accounts.models import Role, RosterImport
from catalog.accounts.schemas import (
    OneTimePasswordListSchema,
    OneTimePasswordSchema,
    OneTimePasswordsSchema,
    RosterExportArgsSchema,
    RosterFormSchema,
    RosterImportSchema,
)
from catalog.api import API_PREFIX, Blueprint, body_limit
from catalog.runtime import runtime

blp = Blueprint("roster", __name__, url_prefix=f"{API_PREFIX}", description="花名册 / Rosters")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _xlsx(data: bytes, ascii_name: str, quoted_name: str) -> Response:
    response = Response(data, mimetype=XLSX)
    response.headers["Content-Disposition"] = (
        f"attachment; filename={ascii_name}; filename*=UTF-8''{quoted_name}"
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@blp.route("/roster-imports")
class RosterImports(MethodView):
    @blp.auth(Role.ADMIN)
    @body_limit(lambda: runtime().settings.import_max_bytes)
    @blp.arguments(RosterFormSchema, location="multipart")
    @blp.response(202, RosterImportSchema)
    def post(self, form: dict[str, Any]) -> RosterImport:
        """Import an HR roster (.xlsx or .csv: 工号, 姓名, 手机号, 部门路径, 工种, 技能等级, 角色):
        idempotent by employee number; ``disable_missing`` disables the workers of your scope
        the roster no longer lists; ``dry_run`` only reports."""
        upload: FileStorage = form.pop("file")
        return roster_files.start_import(
            current_user,
            upload.stream,
            file_name=upload.filename or "roster",
            content_type=upload.mimetype or "application/octet-stream",
            **form,
        )


@blp.route("/roster-imports/<string:import_id>")
class RosterImportById(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, RosterImportSchema)
    def get(self, import_id: str) -> RosterImport:
        """A roster import's state and report: every problem by row and column."""
        return roster_files.get_import(current_user, import_id)


@blp.route("/roster-imports/template.xlsx")
class RosterTemplate(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, description="an .xlsx workbook")
    def get(self) -> Response:
        """The roster template, with sample rows and the accepted values."""
        return _xlsx(
            roster_files.template_bytes(),
            "roster-template.xlsx",
            "%E8%8A%B1%E5%90%8D%E5%86%8C%E6%A8%A1%E6%9D%BF.xlsx",
        )


@blp.route("/users/roster.xlsx")
class RosterExport(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(RosterExportArgsSchema, location="query")
    @blp.response(200, description="an .xlsx workbook")
    def get(self, args: dict[str, Any]) -> Response:
        """The workers you manage as a roster, in the import's own columns (re-importable)."""
        return _xlsx(
            roster_files.export_bytes(current_user, args["department_id"]),
            "roster.xlsx",
            "%E8%8A%B1%E5%90%8D%E5%86%8C.xlsx",
        )


@blp.route("/users/one-time-passwords")
class OneTimePasswords(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(OneTimePasswordsSchema)
    @blp.response(200, OneTimePasswordListSchema)
    def post(self, data: dict[str, Any]) -> Response:
        """One-time passwords for the workers you manage who have none yet (new from a roster)
        or those named, to hand out: made now, shown once, kept nowhere. Each must be changed
        at its first sign-in; issuing again replaces the earlier ones."""
        items = roster_files.one_time_passwords(current_user, **data)
        response = jsonify({"items": OneTimePasswordSchema(many=True).dump(items)})
        response.headers["Cache-Control"] = "no-store"
        return response
