"""Training statistics for organisation admins, as JSON, CSV or XLSX."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint
from catalog.learning import reports
from catalog.learning.schemas import ReportArgsSchema, ReportSchema

blp = Blueprint(
    "reports", __name__, url_prefix=f"{API_PREFIX}/reports", description="培训统计 / Reports"
)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@blp.route("/training")
class TrainingReport(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, ReportSchema)
    @blp.alt_response(200, description="format=csv or xlsx: the same table as a file")
    def get(self, args: dict[str, Any]) -> Any:
        """Person-times, learners, study hours, completions and pass rates, grouped."""
        report = reports.training_report(
            current_user,
            group_by=args["group_by"],
            date_from=args["date_from"],
            date_to=args["date_to"],
            organisation_code=args["organisation"],
            department_id=args["department"],
            occupation=args["occupation"],
            skill_level=args["level"],
        )
        name = f"training-{report.group_by}-{report.date_from}-{report.date_to}"
        if args["format"] == "csv":
            return _file(reports.to_csv(report), "text/csv", f"{name}.csv")  # werkzeug adds utf-8
        if args["format"] == "xlsx":
            return _file(reports.to_xlsx(report), XLSX, f"{name}.xlsx")
        return {
            **report.__dict__,
            "rows": [r.as_dict() for r in report.rows],
            "total": report.total.as_dict(),
        }


def _file(body: bytes, mimetype: str, filename: str) -> Response:
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
