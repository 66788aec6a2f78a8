"""Quiz templates (editors) and quiz sessions (learners)."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint
from catalog.quiz import services
from catalog.quiz.models import QuizTemplate
from catalog.quiz.schemas import (
    AnswerSchema,
    BatchResultSchema,
    BatchSchema,
    ItemSchema,
    SessionSchema,
    TemplateCreateSchema,
    TemplateSchema,
)

blp = Blueprint("quiz", __name__, url_prefix=API_PREFIX, description="答题 / Quizzes")


@blp.route("/quiz-templates")
class QuizTemplates(MethodView):
    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.arguments(TemplateCreateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, data: dict[str, Any]) -> QuizTemplate:
        """Build a template; 422 names each section the banks cannot fill."""
        return services.create_template(current_user, data)


@blp.route("/quiz-templates/<int:template_id>")
class QuizTemplatesById(MethodView):
    @blp.auth()
    @blp.response(200, TemplateSchema)
    def get(self, template_id: int) -> QuizTemplate:
        """A template's settings and sections."""
        return services.get_template(template_id)


@blp.route("/quiz-templates/<int:template_id>/sessions")
class QuizTemplateSessions(MethodView):
    @blp.auth()
    @blp.response(201, SessionSchema)
    def post(self, template_id: int) -> services.SessionView:
        """Start a session (an exam's active attempt is returned again, not doubled)."""
        session = services.start(current_user, template_id)
        return services.view(current_user, session.id)


@blp.route("/quiz-sessions/<string:session_id>")
class QuizSessionsById(MethodView):
    @blp.auth()
    @blp.response(200, SessionSchema)
    def get(self, session_id: str) -> services.SessionView:
        """Resume: questions, saved answers, server time and the time left."""
        return services.view(current_user, session_id)


@blp.route("/quiz-sessions/<string:session_id>/answers/<int:position>")
class QuizAnswers(MethodView):
    @blp.auth()
    @blp.arguments(AnswerSchema)
    @blp.response(200, ItemSchema)
    def put(self, data: dict[str, Any], session_id: str, position: int) -> services.ItemView:
        """Save an answer (idempotent by client_answer_id); 409 after the deadline."""
        return services.save_answer(current_user, session_id, position, **data)


@blp.route("/quiz-sessions/<string:session_id>/answers/batch")
class QuizAnswersBatch(MethodView):
    @blp.auth()
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, data: dict[str, Any], session_id: str) -> dict[str, Any]:
        """Save up to 500 answers at once; each gets saved, duplicate or rejected (with why)."""
        return {"results": services.save_batch(current_user, session_id, data["answers"])}


@blp.route("/quiz-sessions/<string:session_id>/submit")
class QuizSubmit(MethodView):
    @blp.auth()
    @blp.response(200, SessionSchema)
    def post(self, session_id: str) -> services.SessionView:
        """Submit and grade; submitting again returns the same result."""
        return services.submit(current_user, session_id)
