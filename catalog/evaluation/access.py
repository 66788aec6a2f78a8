"""Who sees and who acts on an application: the applicant, and the admins who manage them
(never on their own); nobody of another organisation. Every path to an application calls
these."""

from __future__ import annotations

from catalog.accounts.models import User
from catalog.accounts.scope import manages
from catalog.credits import audit
from catalog.database import db
from catalog.errors import NotFound, PermissionDenied
from catalog.evaluation import results
from catalog.evaluation.assessors import deciding_conflict
from catalog.evaluation.models import (
    Application,
)
from catalog.evaluation.plans import require_evaluator


def visible_to(user: User, application: Application) -> bool:
    """The applicant, and the admins who manage them; nobody of another organisation."""
    if application.user_id == user.id:
        return True
    applicant = db.session.get(User, application.user_id)
    return (
        applicant is not None
        and user.organisation_id == application.organisation_id
        and manages(user, applicant)
    )


def get_application(user: User, application_id: int) -> Application:
    application = db.session.get(Application, application_id)
    if application is None or not visible_to(user, application):
        raise NotFound("申报不存在 / No such application", details={"id": application_id})
    results.lapse_if_due(application)
    return application


def managed_application(admin: User, application_id: int) -> Application:
    """The application an admin decides on, held for the write: never their own, their
    apprentice's or a teammate's (another admin decides those)."""
    require_evaluator(admin)
    application = get_application(admin, application_id)
    audit.not_for_oneself(admin, application.user_id, "审核")
    reason = deciding_conflict(admin, db.session.get_one(User, application.user_id))
    if reason is not None:
        raise PermissionDenied(
            f"{DECIDING_MESSAGES[reason]}，请由其他管理员处理 / Another admin must decide",
            code="conflict_of_interest",
            details={"reason": reason},
        )
    return results.hold(application)


DECIDING_MESSAGES = {
    "mentor": "不能审核自己徒弟的技能评价",
    "same_team": "不能审核本班组成员的技能评价",
}
