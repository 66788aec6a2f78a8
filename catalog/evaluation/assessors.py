"""Assessors (考评员): admins bind people they manage to the occupations they assess, and
one rule says who may not assess whom — themselves, their apprentice, their own team (or the
workshop it belongs to), or anyone while applying in the occupation themselves."""

from __future__ import annotations

from sqlalchemy import select

from catalog.accounts.models import Department, User
from catalog.accounts.scope import managed_user, managed_users
from catalog.database import db
from catalog.errors import PermissionDenied
from catalog.evaluation import apprenticeships
from catalog.evaluation.models import (
    OPEN_APPLICATIONS,
    Application,
    AssessorOccupation,
    EvaluationPlan,
)
from catalog.evaluation.plans import require_evaluator
from catalog.reference.services import occupation_id


def bind(admin: User, user_id: int, occupations: list[str]) -> list[AssessorOccupation]:
    """Set the occupations someone the admin manages assesses (none: no longer an assessor);
    attempts already assigned to them are refused at submission once the binding is gone."""
    require_evaluator(admin)
    assessor = managed_user(admin, user_id)
    if assessor.id == admin.id:
        raise PermissionDenied(
            "不能任命自己为考评员，请由其他管理员处理 / Another admin must appoint you",
            code="four_eyes",
        )
    wanted = {occupation_id(code, "occupations") for code in occupations}
    for binding in bindings_of(assessor.id):
        if binding.occupation_id not in wanted:
            db.session.delete(binding)
    have = {b.occupation_id for b in bindings_of(assessor.id)}
    for occupation in sorted(o for o in wanted - have if o is not None):
        db.session.add(
            AssessorOccupation(
                user_id=assessor.id, occupation_id=occupation, granted_by_id=admin.id
            )
        )
    db.session.commit()
    return bindings_of(assessor.id)


def assessors_of(admin: User) -> list[AssessorOccupation]:
    """The assessors the admin manages, with their occupations."""
    require_evaluator(admin)
    return list(
        db.session.scalars(
            select(AssessorOccupation)
            .join(User, User.id == AssessorOccupation.user_id)
            .where(managed_users(admin))
            .order_by(AssessorOccupation.user_id, AssessorOccupation.occupation_id)
        )
    )


def bindings_of(user_id: int) -> list[AssessorOccupation]:
    return list(
        db.session.scalars(
            select(AssessorOccupation)
            .where(AssessorOccupation.user_id == user_id)
            .order_by(AssessorOccupation.occupation_id)
        )
    )


def conflict_of_interest(assessor: User, candidate: User) -> str | None:
    """Why this assessor may not assess this candidate, or none."""
    if assessor.id == candidate.id:
        return "self"
    if assessor.id in apprenticeships.mentors_of(candidate.id):
        return "mentor"
    if _same_line(assessor.department_id, candidate.department_id):
        return "same_team"
    return None


def deciding_conflict(admin: User, candidate: User) -> str | None:
    """Why this admin may not decide on this candidate's evaluation (approve it, review their
    performance, assign or void their assessors): they are the candidate's mentor or a member
    of the candidate's own team. A workshop's admin decides for the workshop's other teams."""
    if admin.id in apprenticeships.mentors_of(candidate.id):
        return "mentor"
    if admin.department_id is not None and admin.department_id == candidate.department_id:
        return "same_team"
    return None


def _same_line(one: int | None, other: int | None) -> bool:
    """The same team, or one's team inside the other's (a workshop's head and its teams)."""
    if one is None or other is None:
        return False
    first, second = db.session.get(Department, one), db.session.get(Department, other)
    if first is None or second is None:
        return False
    return first.path.startswith(second.path) or second.path.startswith(first.path)


CONFLICT_MESSAGES = {
    "self": "不能考评自己 / Nobody assesses themselves",
    "mentor": "不能考评自己的徒弟 / Mentors do not assess their apprentices",
    "same_team": "不能考评本班组成员 / Nobody assesses a member of their own team",
    "not_bound": "不是该工种的考评员 / Not an assessor of this occupation",
    "candidate": "本人正在申报该工种的评价 / Applying in this occupation themselves",
    "inactive": "账号已停用 / The account is disabled",
}


def refusal(assessor: User, application: Application) -> str | None:
    """Why this assessor may not assess (or hold the checklist of) this application, or none."""
    if not assessor.is_active:
        return "inactive"
    candidate = db.session.get_one(User, application.user_id)
    reason = conflict_of_interest(assessor, candidate)
    if reason is None and application.plan.occupation_id not in {
        b.occupation_id for b in bindings_of(assessor.id)
    }:
        reason = "not_bound"
    if reason is None and assessor.organisation_id != application.organisation_id:
        reason = "not_bound"
    if reason is None and applying(assessor.id, application.plan.occupation_id):
        reason = "candidate"
    return reason


def applying(user_id: int, occupation: int) -> bool:
    """The user has an open application in the occupation (they would see its checklist)."""
    return (
        db.session.scalar(
            select(Application.id)
            .join(EvaluationPlan, EvaluationPlan.id == Application.plan_id)
            .where(
                Application.user_id == user_id,
                Application.status.in_(OPEN_APPLICATIONS),
                EvaluationPlan.occupation_id == occupation,
            )
            .limit(1)
        )
        is not None
    )
