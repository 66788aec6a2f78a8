"""Quiz templates (editors), quiz sessions in every mode (learners), contest leaderboards,
the mistakes book, and manual grading."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import API_PREFIX, Blueprint, cursor_page_schema, page_schema
from catalog.api.paging import SortKey, keyset_page, paginate
from catalog.quiz import (
    answering,
    contests,
    marking,
    offline,
    review,
    sessions,
    submission,
    templates,
    view_models,
)
from catalog.quiz.models import QuizSession, QuizTemplate
from catalog.quiz.schemas import (
    AnswerResultSchema,
    AnswerSchema,
    BatchResultSchema,
    BatchSchema,
    LeaderboardArgsSchema,
    LeaderboardSchema,
    ManualGradeSchema,
    MarkingSchema,
    MistakesArgsSchema,
    MistakeSchema,
    MySessionsArgsSchema,
    OfflinePracticeResultSchema,
    OfflinePracticeSchema,
    SessionSchema,
    SessionSummarySchema,
    TemplateCreateSchema,
    TemplateListArgsSchema,
    TemplateSchema,
)

blp = Blueprint("quiz", __name__, url_prefix=API_PREFIX, description="答题 / Quizzes")
MistakePageSchema = page_schema(MistakeSchema, "MistakePage")
MarkingPageSchema = page_schema(MarkingSchema, "MarkingPage")
TemplatePageSchema = page_schema(TemplateSchema, "TemplatePage")
NEWEST_SESSIONS = SortKey(QuizSession.started_at, QuizSession.id, descending=True)


@blp.route("/quiz-templates")
class QuizTemplates(MethodView):
    @blp.auth()
    @blp.arguments(TemplateListArgsSchema, location="query")
    @blp.response(200, TemplatePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Practice papers, exams and contests of your organisation, newest first."""
        query = templates.templates_query(
            current_user, mode=args.pop("mode"), course_id=args.pop("course_id")
        )
        return paginate(query, **args)

    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.arguments(TemplateCreateSchema)
    @blp.response(201, TemplateSchema)
    def post(self, data: dict[str, Any]) -> QuizTemplate:
        """Build a template; 422 names each section the banks cannot fill."""
        return templates.create_template(current_user, data)


@blp.route("/quiz-templates/<int:template_id>")
class QuizTemplatesById(MethodView):
    @blp.auth()
    @blp.response(200, TemplateSchema)
    def get(self, template_id: int) -> QuizTemplate:
        """A template's settings and sections (templates of your organisation)."""
        return templates.get_template(current_user, template_id)


@blp.route("/quiz-templates/<int:template_id>/sessions")
class QuizTemplateSessions(MethodView):
    @blp.auth()
    @blp.response(201, SessionSchema)
    def post(self, template_id: int) -> view_models.SessionView:
        """Start a session (an exam's or contest's active attempt is returned, not doubled)."""
        return view_models.view_of(sessions.start(current_user, template_id))


@blp.route("/quiz-templates/<int:template_id>/leaderboard")
class QuizLeaderboard(MethodView):
    @blp.auth()
    @blp.arguments(LeaderboardArgsSchema, location="query")
    @blp.response(200, LeaderboardSchema)
    def get(self, args: dict[str, Any], template_id: int) -> contests.Leaderboard:
        """A contest's top entrants and your own rank (by score, then time used)."""
        return contests.leaderboard(current_user, template_id, args["limit"])


@blp.route("/me/daily-practice")
class DailyPractice(MethodView):
    @blp.auth()
    @blp.response(201, SessionSchema)
    def post(self) -> view_models.SessionView:
        """Today's daily practice (每日一练): started once, the same questions all day."""
        return view_models.view_of(sessions.start_daily(current_user))


@blp.route("/me/review-sessions")
class ReviewSessions(MethodView):
    @blp.auth()
    @blp.response(201, SessionSchema)
    def post(self) -> view_models.SessionView:
        """Review the mistakes that are due (错题重练); 409 when none is due."""
        return view_models.view_of(sessions.start_review(current_user))


@blp.route("/me/offline-practice")
class OfflinePractice(MethodView):
    @blp.auth()
    @blp.arguments(OfflinePracticeSchema)
    @blp.response(201, OfflinePracticeResultSchema)
    def post(self, data: dict[str, Any]) -> offline.Recorded:
        """Record a practice done offline from a practice pack: graded here, against the
        versions the pack held; questions no longer practisable are left out and named; the
        same ``client_id`` with the same answers returns the same session (other answers: 409)."""
        return offline.record(current_user, **data)


@blp.route("/me/mistakes")
class Mistakes(MethodView):
    @blp.auth()
    @blp.arguments(MistakesArgsSchema, location="query")
    @blp.response(200, MistakePageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your mistakes book (错题本): every open mistake, what FSRS says is due first; each
        with its key and explanation once a quiz's feedback policy has shown them to you."""
        query = review.mistakes_query(current_user, due_only=args.pop("due_only"))
        page = paginate(query, **args)
        return {**page, "items": review.mistakes_of(current_user, page["items"])}


@blp.route("/me/quiz-sessions")
class MyQuizSessions(MethodView):
    @blp.auth()
    @blp.arguments(MySessionsArgsSchema, location="query")
    @blp.response(200, cursor_page_schema(SessionSummarySchema, "SessionSummaryPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Your sessions, newest first: resume one in progress on any device, or look back."""
        cursor, limit = args.pop("cursor"), args.pop("limit")
        query = submission.sessions_query(current_user, **args)
        page = keyset_page(query, NEWEST_SESSIONS, cursor=cursor, limit=limit)
        return {**page, "items": [submission.summary_of(s) for s in page["items"]]}


@blp.route("/quiz-sessions/<string:session_id>")
class QuizSessionsById(MethodView):
    @blp.auth()
    @blp.response(200, SessionSchema)
    def get(self, session_id: str) -> view_models.SessionView:
        """Resume: questions, saved answers, server time and the time left."""
        return submission.view(current_user, session_id)


@blp.route("/quiz-sessions/<string:session_id>/answers/<int:position>")
class QuizAnswers(MethodView):
    @blp.auth()
    @blp.arguments(AnswerSchema)
    @blp.response(200, AnswerResultSchema)
    def put(self, data: dict[str, Any], session_id: str, position: int) -> answering.AnswerView:
        """Save an answer (idempotent; the last given stands); 422 if it misfits, 409 if late."""
        return answering.save_answer(current_user, session_id, position, **data)


@blp.route("/quiz-sessions/<string:session_id>/answers/batch")
class QuizAnswersBatch(MethodView):
    @blp.auth()
    @blp.arguments(BatchSchema)
    @blp.response(200, BatchResultSchema)
    def post(self, data: dict[str, Any], session_id: str) -> dict[str, Any]:
        """Save up to 500 answers at once; each is saved, duplicate, stale or rejected (why)."""
        return {"results": answering.save_batch(current_user, session_id, data["answers"])}


@blp.route("/quiz-sessions/<string:session_id>/submit")
class QuizSubmit(MethodView):
    @blp.auth()
    @blp.response(200, SessionSchema)
    def post(self, session_id: str) -> view_models.SessionView:
        """Submit and grade; submitting again returns the same result."""
        return submission.submit(current_user, session_id)


@blp.route("/banks/<int:bank_id>/pending-answers")
class PendingAnswers(MethodView):
    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.arguments(MistakesArgsSchema(only=("page", "page_size")), location="query")
    @blp.response(200, MarkingPageSchema)
    def get(self, args: dict[str, Any], bank_id: int) -> dict[str, Any]:
        """Answers to this bank's questions waiting for manual grading, oldest first."""
        page = paginate(marking.pending_query(current_user, bank_id), **args)
        return {**page, "items": marking.markings(list(page["items"]))}


@blp.route("/quiz-sessions/<string:session_id>/items/<int:position>/grade")
class ManualGrades(MethodView):
    @blp.auth(Role.EDITOR, Role.ADMIN)
    @blp.arguments(ManualGradeSchema)
    @blp.response(200, MarkingSchema)
    def put(self, data: dict[str, Any], session_id: str, position: int) -> marking.Marking:
        """Grade an answer by hand; the session's result follows (the learner is not named)."""
        return marking.grade_by_hand(current_user, session_id, position, **data)
