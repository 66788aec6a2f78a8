"""Evaluation reports for an organisation's admins: applications by status, pass rates per
component, occupation and level, and certificates issued per month — over the people the
admin manages."""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from catalog.accounts.models import User
from catalog.accounts.scope import managed_users
from catalog.clock import end_of
from catalog.credits.models import Certificate, CertificateSource
from catalog.database import db
from catalog.errors import Invalid
from catalog.evaluation.models import (
    Application,
    ComponentResult,
    EvaluationPlan,
    ResultStatus,
)
from catalog.evaluation.plans import require_evaluator
from catalog.reference.services import occupation_code
from catalog.runtime import runtime


def _bounds(date_from: date | None, date_to: date | None) -> tuple[datetime, datetime]:
    """The period in the learners' calendar, as instants (the whole record when open)."""
    zone = ZoneInfo(runtime().settings.time_zone)
    start = datetime.combine(date_from or date(2000, 1, 1), time(), tzinfo=zone)
    return start.astimezone(UTC), end_of(date_to or date(2999, 12, 30))


def report(admin: User, date_from: date | None, date_to: date | None) -> dict[str, Any]:
    require_evaluator(admin)
    if date_from is not None and date_to is not None and date_from > date_to:
        raise Invalid(details={"query": {"to": ["早于开始日期 / before from"]}})
    start, end = _bounds(date_from, date_to)
    scope = (Application.organisation_id == admin.organisation_id, managed_users(admin))
    by_status = Counter(
        {
            status.value: int(count)
            for status, count in db.session.execute(
                select(Application.status, func.count())
                .join(User, User.id == Application.user_id)
                .where(*scope, Application.applied_at.between(start, end))
                .group_by(Application.status)
            )
        }
    )
    rates: dict[tuple[Any, ...], Counter[str]] = defaultdict(Counter)
    for occupation, level, key, kind, status, count in db.session.execute(
        select(
            EvaluationPlan.occupation_id,
            EvaluationPlan.skill_level,
            ComponentResult.component_key,
            ComponentResult.kind,
            ComponentResult.status,
            func.count(),
        )
        .join(Application, Application.id == ComponentResult.application_id)
        .join(EvaluationPlan, EvaluationPlan.id == Application.plan_id)
        .join(User, User.id == Application.user_id)
        .where(
            *scope,
            ComponentResult.status.in_(
                [ResultStatus.PASSED, ResultStatus.FAILED, ResultStatus.WAIVED]
            ),
            ComponentResult.decided_at.between(start, end),
        )
        .group_by(
            EvaluationPlan.occupation_id,
            EvaluationPlan.skill_level,
            ComponentResult.component_key,
            ComponentResult.kind,
            ComponentResult.status,
        )
    ):
        rates[(occupation, level, key, kind.value)][status.value] += int(count)
    components = []
    for (occupation, level, key, kind), counts in sorted(rates.items(), key=str):
        sat = counts["passed"] + counts["failed"]
        components.append(
            {
                "occupation": occupation_code(occupation),
                "skill_level": level,
                "component": key,
                "kind": kind,
                "sat": sat,
                "passed": counts["passed"],
                "waived": counts["waived"],
                "pass_rate": round(counts["passed"] / sat, 3) if sat else None,
            }
        )
    issued: Counter[tuple[str, int | None, int | None]] = Counter()
    for issued_on, certified_in, certified_level in db.session.execute(
        select(Certificate.issued_on, Certificate.occupation_id, Certificate.skill_level)
        .join(Application, Application.certificate_id == Certificate.id)
        .join(User, User.id == Application.user_id)
        .where(
            *scope,
            Certificate.source == CertificateSource.EVALUATION,
            Certificate.issued_on.between(
                date_from or date(2000, 1, 1), date_to or date(2999, 12, 30)
            ),
        )
    ):
        if issued_on is not None:
            issued[(issued_on.strftime("%Y-%m"), certified_in, certified_level)] += 1
    return {
        "applications": dict(by_status),
        "components": components,
        "certificates": [
            {
                "period": period,
                "occupation": occupation_code(occupation),
                "skill_level": level,
                "certificates": count,
            }
            for (period, occupation, level), count in sorted(issued.items(), key=str)
        ],
    }
