"""Who sees and who acts on an application: the applicant, and the admins who manage them
(never on their own); nobody of another organisation. Every path to an application calls
these."""

from __future__ import annotations

from catalog.accounts.models import User
from catalog.accounts.scope import manages
from catalog.credits import audit
from catalog.database import db
from catalog.errors import NotFound
from catalog.evaluation import results
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
    require_evaluator(admin)
    application = get_application(admin, application_id)
    audit.not_for_oneself(admin, application.user_id, "审核")
    return results.hold(application)
