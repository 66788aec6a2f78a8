"""Skill-level evaluation (职业技能等级评价): plans, applications and eligibility, the theory
exam through an application, performance reviews, assessors and their workshop scoring, and
the admins' report."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_jwt_extended import current_user

from catalog.accounts.models import Role
from catalog.api import (
    API_PREFIX,
    Blueprint,
    ImageUploadRequestSchema,
    UploadTicketSchema,
    page_schema,
)
from catalog.api.paging import paginate
from catalog.api.upload_limits import upload_urls_counted
from catalog.evaluation import (
    access,
    applications,
    assessments,
    assessors,
    components,
    plans,
    reports,
)
from catalog.evaluation.models import Application, ApplicationEvent, Assessment
from catalog.evaluation.plans import PlanView
from catalog.evaluation.schemas import (
    ApplicationQueryArgsSchema,
    ApplicationSchema,
    ApplySchema,
    AssessmentSchema,
    AssessorBindSchema,
    AssessorSchema,
    AssessorTaskSchema,
    AssignSchema,
    ComponentRefSchema,
    DecisionSchema,
    EligibilitySchema,
    EvaluationReportSchema,
    EventSchema,
    PerformanceSchema,
    PlanQueryArgsSchema,
    PlanSchema,
    PlanWriteSchema,
    RejectionSchema,
    ReportArgsSchema,
    ResultSchema,
    SubmissionSchema,
    TheoryStartSchema,
    VoidSchema,
)
from catalog.quiz import view_models
from catalog.quiz.schemas import SessionSchema
from catalog.uploads import UploadTicket

blp = Blueprint(
    "evaluation",
    __name__,
    url_prefix=API_PREFIX,
    description="技能等级评价 / Skill-level evaluation",
)


@blp.route("/evaluation/plans")
class Plans(MethodView):
    @blp.auth()
    @blp.arguments(PlanQueryArgsSchema, location="query")
    @blp.response(200, PlanSchema(many=True))
    def get(self, args: dict[str, Any]) -> list[PlanView]:
        """Your organisation's plans: published ones for learners, every version for admins."""
        return plans.list_plans(current_user, args["status"])

    @blp.auth(Role.ADMIN)
    @blp.arguments(PlanWriteSchema)
    @blp.response(201, PlanSchema)
    def post(self, data: dict[str, Any]) -> PlanView:
        """Write a plan for an occupation and level (a draft, version 1)."""
        return plans.shown(plans.create_plan(current_user, data), full=True)


@blp.route("/evaluation/plans/<int:plan_id>")
class PlansById(MethodView):
    @blp.auth()
    @blp.response(200, PlanSchema)
    def get(self, plan_id: int) -> PlanView:
        """A plan: what is required and what is sat (checklists for admins only)."""
        return plans.shown_to(current_user, plans.get_plan(current_user, plan_id))

    @blp.auth(Role.ADMIN)
    @blp.arguments(PlanWriteSchema)
    @blp.response(200, PlanSchema)
    def put(self, data: dict[str, Any], plan_id: int) -> PlanView:
        """Rewrite a draft (a published version changes only as a new version)."""
        return plans.shown(plans.update_plan(current_user, plan_id, data), full=True)


@blp.route("/evaluation/plans/<int:plan_id>/versions")
class PlanVersions(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(201, PlanSchema)
    def post(self, plan_id: int) -> PlanView:
        """Start the next version of a plan: a draft copy of this one."""
        return plans.shown(plans.new_version(current_user, plan_id), full=True)


@blp.route("/evaluation/plans/<int:plan_id>/publish")
class PlanPublication(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, PlanSchema)
    def post(self, plan_id: int) -> PlanView:
        """Publish a draft: learners apply under it; the version it replaces retires."""
        return plans.shown(plans.publish(current_user, plan_id), full=True)


@blp.route("/evaluation/plans/<int:plan_id>/retire")
class PlanRetirement(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, PlanSchema)
    def post(self, plan_id: int) -> PlanView:
        """Take no more applications under a plan (those under way go on)."""
        return plans.shown(plans.retire(current_user, plan_id), full=True)


@blp.route("/evaluation/plans/<int:plan_id>/eligibility")
class PlanEligibility(MethodView):
    @blp.auth()
    @blp.response(200, EligibilitySchema)
    def get(self, plan_id: int) -> applications.Eligibility:
        """Whether I may apply under this plan, with every prerequisite I still lack."""
        return applications.check(current_user, plan_id)


@blp.route("/evaluation/applications")
class Applications(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ApplicationQueryArgsSchema, location="query")
    @blp.response(200, page_schema(ApplicationSchema, "ApplicationPage"))
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Applications of the people you manage, newest first."""
        query = applications.managed_query(current_user, args.pop("status"), args.pop("plan_id"))
        return paginate(query, **args)

    @blp.auth()
    @blp.arguments(ApplySchema)
    @blp.response(201, ApplicationSchema)
    def post(self, data: dict[str, Any]) -> Application:
        """Apply under a plan (422 names each unmet prerequisite; a retry returns the same)."""
        return applications.apply(current_user, data["plan_id"])


@blp.route("/me/evaluation/applications")
class MyApplications(MethodView):
    @blp.auth()
    @blp.response(200, ApplicationSchema(many=True))
    def get(self) -> list[Application]:
        """My applications, newest first, with each component's results."""
        return applications.mine(current_user)


@blp.route("/evaluation/applications/<int:application_id>")
class ApplicationsById(MethodView):
    @blp.auth()
    @blp.response(200, ApplicationSchema)
    def get(self, application_id: int) -> Application:
        """An application (its applicant's, or an admin's who manages them)."""
        return access.get_application(current_user, application_id)


@blp.route("/evaluation/applications/<int:application_id>/history")
class ApplicationHistory(MethodView):
    @blp.auth()
    @blp.response(200, EventSchema(many=True))
    def get(self, application_id: int) -> list[ApplicationEvent]:
        """Every step of an application, oldest first."""
        return applications.history(current_user, application_id)


@blp.route("/evaluation/applications/<int:application_id>/approve")
class ApplicationApproval(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(DecisionSchema)
    @blp.response(200, ApplicationSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Application:
        """Approve the sitting (eligibility is checked again; contest results waive)."""
        return applications.approve(current_user, application_id, data["note"])


@blp.route("/evaluation/applications/<int:application_id>/reject")
class ApplicationRejection(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(RejectionSchema)
    @blp.response(200, ApplicationSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Application:
        """Refuse the sitting, saying why."""
        return applications.reject(current_user, application_id, data["note"])


@blp.route("/evaluation/applications/<int:application_id>/withdraw")
class ApplicationWithdrawal(MethodView):
    @blp.auth()
    @blp.response(200, ApplicationSchema)
    def post(self, application_id: int) -> Application:
        """Withdraw my application (before any result)."""
        return applications.withdraw(current_user, application_id)


@blp.route("/evaluation/applications/<int:application_id>/theory-sessions")
class TheorySessions(MethodView):
    @blp.auth()
    @blp.arguments(TheoryStartSchema)
    @blp.response(201, SessionSchema)
    def post(self, data: dict[str, Any], application_id: int) -> view_models.SessionView:
        """Sit (or resume, or re-sit) the theory exam of my approved application."""
        session = components.start_theory(current_user, application_id, data["component"])
        return view_models.view_of(session)


@blp.route("/evaluation/applications/<int:application_id>/performance")
class PerformanceReviews(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(PerformanceSchema)
    @blp.response(201, ResultSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Any:
        """Record a performance review (业绩评审): the score and its evidence."""
        return components.record_performance(
            current_user,
            application_id,
            data["component"],
            data["score"],
            data["evidence"],
            client_id=data["client_id"],
        )


@blp.route("/evaluation/applications/<int:application_id>/apprenticeship")
class ApprenticeshipComponent(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ComponentRefSchema)
    @blp.response(200, ApplicationSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Application:
        """Count an apprenticeship completed since the approval towards its component."""
        return components.record_apprenticeship(current_user, application_id, data["component"])


@blp.route("/evaluation/applications/<int:application_id>/assessments")
class ApplicationAssessments(MethodView):
    @blp.auth()
    @blp.response(200, AssessmentSchema(many=True))
    def get(self, application_id: int) -> list[dict[str, Any]]:
        """The practical assessments of an application, item by item, with their evidence."""
        return assessments.assessments_for(current_user, application_id)

    @blp.auth(Role.ADMIN)
    @blp.arguments(AssignSchema)
    @blp.response(201, ResultSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Any:
        """Assign assessors to a practical attempt (a third one to a disputed attempt), or
        replace those of the attempt under way who have not submitted."""
        return assessments.assign(
            current_user,
            application_id,
            data["component"],
            data["assessor_ids"],
            replacing=data["replacing"],
            client_id=data["client_id"],
        )


@blp.route("/evaluation/applications/<int:application_id>/void-attempt")
class AttemptVoiding(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(VoidSchema)
    @blp.response(200, ResultSchema)
    def post(self, data: dict[str, Any], application_id: int) -> Any:
        """Void a practical attempt that cannot finish (it does not count), saying why."""
        return assessments.void_attempt(
            current_user, application_id, data["component"], data["reason"]
        )


@blp.route("/evaluation/assessors")
class Assessors(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.response(200, AssessorSchema(many=True))
    def get(self) -> list[Any]:
        """The assessors (考评员) you manage, one row per occupation they assess."""
        return assessors.assessors_of(current_user)


@blp.route("/evaluation/assessors/<int:user_id>")
class AssessorsById(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(AssessorBindSchema)
    @blp.response(200, AssessorSchema(many=True))
    def put(self, data: dict[str, Any], user_id: int) -> list[Any]:
        """Set the occupations someone you manage assesses (考评员); none ends it."""
        return assessors.bind(current_user, user_id, data["occupations"])


@blp.route("/me/assessments")
class MyAssessments(MethodView):
    @blp.auth()
    @blp.response(200, AssessorTaskSchema(many=True))
    def get(self) -> list[dict[str, Any]]:
        """The candidates I still have to assess, each with the checklist (for offline)."""
        return assessments.assignments(current_user)


@blp.route("/assessments/<string:assessment_id>/evidence-upload")
class EvidenceUpload(MethodView):
    decorators = [upload_urls_counted()]

    @blp.auth()
    @blp.arguments(ImageUploadRequestSchema)
    @blp.response(201, UploadTicketSchema)
    def post(self, data: dict[str, Any], assessment_id: str) -> UploadTicket:
        """Where to PUT a photo (JPEG, PNG, WebP, 10 MiB) or a clip (MP4, 200 MiB)."""
        return assessments.plan_evidence_upload(
            current_user, assessment_id, data["content_type"], data["size"]
        )


@blp.route("/assessments/<string:assessment_id>/submit")
class AssessmentSubmission(MethodView):
    @blp.auth()
    @blp.arguments(SubmissionSchema)
    @blp.response(200, AssessmentSchema)
    def post(self, data: dict[str, Any], assessment_id: str) -> dict[str, Any]:
        """Submit my scoring of a candidate, once (the same client_id again is a retry)."""
        found: Assessment = assessments.submit(current_user, assessment_id, data)
        return assessments.described(found)


@blp.route("/reports/evaluations")
class EvaluationReport(MethodView):
    @blp.auth(Role.ADMIN)
    @blp.arguments(ReportArgsSchema, location="query")
    @blp.response(200, EvaluationReportSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Applications by status, pass rates per component, occupation and level, and
        certificates issued per month, for the people you manage."""
        return reports.report(current_user, args["date_from"], args["date_to"])
