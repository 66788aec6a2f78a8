"""Question banks for editors: questions, versions, bulk edits, import, export, snapshots."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect
from flask.views import MethodView
from flask_jwt_extended import current_user
from werkzeug.datastructures import FileStorage
from werkzeug.wrappers import Response as BaseResponse

from catalog.accounts.models import Role
from catalog.accounts.schemas import PageArgsSchema
from catalog.api import (
    API_PREFIX,
    Blueprint,
    ImageUploadRequestSchema,
    UploadTicketSchema,
    body_limit,
    cursor_page_schema,
    page_schema,
)
from catalog.api.paging import SortKey, keyset_page, paginate
from catalog.background.models import TaskRecord
from catalog.background.schemas import TaskSchema
from catalog.background.services import get_task_for
from catalog.banks import exports, listing, questions, services, snapshots, transfers
from catalog.banks.models import Bank, Question, QuestionImport, QuestionVersion
from catalog.banks.schemas import (
    BankCreateSchema,
    BankSchema,
    BankUpdateSchema,
    BulkResultSchema,
    BulkSchema,
    ExportRequestSchema,
    ImportFormSchema,
    ImportSchema,
    PackSchema,
    QuestionQueryArgsSchema,
    QuestionSchema,
    QuestionUpdateSchema,
    QuestionVersionSchema,
    QuestionWriteSchema,
    SnapshotSchema,
)
from catalog.errors import Conflict
from catalog.runtime import runtime
from catalog.uploads import UploadTicket

STAFF = (Role.INSTRUCTOR, Role.EDITOR, Role.ADMIN)

blp = Blueprint("banks", __name__, url_prefix=API_PREFIX, description="题库 / Question banks")

BankPageSchema = page_schema(BankSchema, "BankPageSchema")
QuestionPageSchema = cursor_page_schema(QuestionSchema, "QuestionPageSchema")
NEWEST_QUESTIONS = SortKey(Question.id, Question.id, descending=True)


@blp.route("/banks")
class Banks(MethodView):
    @blp.auth(*STAFF)
    @blp.arguments(PageArgsSchema, location="query")
    @blp.response(200, BankPageSchema)
    def get(self, args: dict[str, int]) -> dict[str, Any]:
        """Banks you edit, and those other organisations share with yours (to use, not edit)."""
        return paginate(services.banks_for_staff(current_user), **args)

    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.arguments(BankCreateSchema)
    @blp.response(201, BankSchema)
    def post(self, data: dict[str, Any]) -> Bank:
        """Create a bank owned by your organisation."""
        return services.create_bank(current_user, data)


@blp.route("/banks/import-template.xlsx")
class ImportTemplate(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, description="an .xlsx workbook")
    def get(self) -> Response:
        """The empty import template, with sample rows and instructions (说明)."""
        response = Response(transfers.template_bytes(), mimetype=exports.EXPORT_FORMATS["xlsx"][1])
        response.headers["Content-Disposition"] = (
            "attachment; filename=import-template.xlsx; filename*=UTF-8''%E9%A2%98%E5%BA%93"
            "%E5%AF%BC%E5%85%A5%E6%A8%A1%E6%9D%BF.xlsx"
        )
        return response


@blp.route("/banks/<int:bank_id>")
class BanksById(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, BankSchema)
    def get(self, bank_id: int) -> Bank:
        """A bank you edit or your organisation uses."""
        return services.get_bank(current_user, bank_id)

    @blp.auth(*STAFF)
    @blp.arguments(BankUpdateSchema)
    @blp.response(200, BankSchema)
    def patch(self, changes: dict[str, Any], bank_id: int) -> Bank:
        """Change a bank's description, classification, editors, courses or sharing."""
        return services.update_bank(current_user, bank_id, changes)


@blp.route("/banks/<int:bank_id>/questions")
class BankQuestions(MethodView):
    @blp.auth(*STAFF)
    @blp.arguments(QuestionQueryArgsSchema, location="query")
    @blp.response(200, QuestionPageSchema)
    def get(self, args: dict[str, Any], bank_id: int) -> dict[str, Any]:
        """Questions, filtered by type, difficulty, knowledge point, tag, status and text."""
        services.get_bank_for_editing(current_user, bank_id)
        cursor, limit = args.pop("cursor"), args.pop("limit")
        page = keyset_page(
            listing.question_query(bank_id, **args), NEWEST_QUESTIONS, cursor=cursor, limit=limit
        )
        page["items"] = listing.with_current_versions(page["items"])
        return page

    @blp.auth(*STAFF)
    @blp.arguments(QuestionWriteSchema)
    @blp.response(201, QuestionSchema)
    def post(self, data: dict[str, Any], bank_id: int) -> questions.QuestionView:
        """Add a question (a draft); exact duplicates are refused, near ones reported."""
        return questions.create_question(current_user, bank_id, data)


@blp.route("/banks/<int:bank_id>/images")
class BankImages(MethodView):
    @blp.auth(*STAFF)
    @blp.arguments(ImageUploadRequestSchema)
    @blp.response(201, UploadTicketSchema)
    def post(self, data: dict[str, Any], bank_id: int) -> UploadTicket:
        """A presigned PUT for a stem image (JPEG, PNG, GIF or WebP, 5 MiB at most)."""
        return questions.plan_image_upload(current_user, bank_id, **data)


@blp.route("/banks/<int:bank_id>/questions/bulk")
class BankQuestionsBulk(MethodView):
    @blp.auth(*STAFF)
    @blp.arguments(BulkSchema)
    @blp.response(200, BulkResultSchema)
    def post(self, data: dict[str, Any], bank_id: int) -> dict[str, Any]:
        """Publish, retire, set difficulty or usage, add or remove tags and knowledge points."""
        return questions.bulk(current_user, bank_id, data["ids"], data["action"], data["value"])


@blp.route("/questions/<int:question_id>")
class QuestionsById(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, QuestionSchema)
    def get(self, question_id: int) -> questions.QuestionView:
        """A question's current version, with its answer key and the list of its versions."""
        return questions.get_question(current_user, question_id)

    @blp.auth(*STAFF)
    @blp.arguments(QuestionUpdateSchema)
    @blp.response(200, QuestionSchema)
    def patch(self, changes: dict[str, Any], question_id: int) -> questions.QuestionView:
        """Edit; a published question's content change makes a new version (the old stays)."""
        return questions.update_question(current_user, question_id, changes)


@blp.route("/questions/<int:question_id>/versions/<int:number>")
class QuestionVersions(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, QuestionVersionSchema)
    def get(self, question_id: int, number: int) -> QuestionVersion:
        """One version of a question, as sessions that used it saw it."""
        return questions.get_version(current_user, question_id, number)


@blp.route("/banks/<int:bank_id>/imports")
class BankImports(MethodView):
    @blp.auth(*STAFF)
    @body_limit(lambda: runtime().settings.import_max_bytes)
    @blp.arguments(ImportFormSchema, location="multipart")
    @blp.response(202, ImportSchema)
    def post(self, form: dict[str, Any], bank_id: int) -> QuestionImport:
        """Import .xlsx, .csv, GIFT, Moodle XML or Aiken (multipart form, field ``file``)."""
        upload: FileStorage = form.pop("file")
        return transfers.start_import(
            current_user,
            bank_id,
            upload.stream,
            file_name=upload.filename or "upload",
            content_type=upload.mimetype or "application/octet-stream",
            **form,
        )


@blp.route("/banks/<int:bank_id>/imports/<string:import_id>")
class BankImportsById(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, ImportSchema)
    def get(self, bank_id: int, import_id: str) -> QuestionImport:
        """An import's state and its report: every problem with sheet, row or line, and column."""
        return transfers.get_import(current_user, bank_id, import_id)


@blp.route("/banks/<int:bank_id>/exports")
class BankExports(MethodView):
    @blp.auth(*STAFF)
    @blp.arguments(ExportRequestSchema)
    @blp.response(202, TaskSchema)
    def post(self, data: dict[str, Any], bank_id: int) -> TaskRecord:
        """Export the bank to a file (a background task; then GET …/exports/{task_id})."""
        return transfers.start_export(current_user, bank_id, data["format"], data["statuses"])


@blp.route("/banks/<int:bank_id>/exports/<string:task_id>")
class BankExportsById(MethodView):
    @blp.auth(*STAFF)
    @blp.response(302, description="to a short-lived URL of the file")
    @blp.alt_response(409, description="the export is not finished")
    def get(self, bank_id: int, task_id: str) -> BaseResponse:
        """Download a finished export."""
        task = get_task_for(current_user, task_id)
        if task.result is None or "key" not in task.result:
            raise Conflict(
                "导出尚未完成 / The export is not finished", details={"status": task.status.value}
            )
        return redirect(transfers.download_url(current_user, bank_id, task.result), code=302)


@blp.route("/banks/<int:bank_id>/publish")
class PublishBank(MethodView):
    @blp.auth(*STAFF)
    @blp.response(200, BankSchema)
    def post(self, bank_id: int) -> Bank:
        """Write the offline practice snapshot of the published practice questions."""
        return snapshots.publish(current_user, bank_id)


@blp.route("/me/practice-packs")
class MyPracticePacks(MethodView):
    @blp.auth()
    @blp.response(200, PackSchema(many=True))
    def get(self) -> list[snapshots.Pack]:
        """The practice packs (离线练习包) of the banks you practise; download one with
        ``GET /banks/{id}/snapshot``."""
        return snapshots.packs_for(current_user)


@blp.route("/banks/<int:bank_id>/snapshot")
class BankSnapshot(MethodView):
    @blp.auth()
    @blp.etag
    @blp.response(200, SnapshotSchema)
    def get(self, bank_id: int) -> tuple[snapshots.Snapshot, int, dict[str, str]]:
        """Where to download the practice snapshot; send If-None-Match to skip an unchanged one.

        The body's ``etag`` is the ETag header's value."""
        snapshot = snapshots.get(current_user, bank_id)
        blp.set_etag_value(snapshot.etag)
        # never kept by the browser: the body's download URL expires (a 304 would hand back
        # an old one); a phone that keeps the etag itself still gets its 304
        return snapshot, 200, {"Cache-Control": "no-store"}
