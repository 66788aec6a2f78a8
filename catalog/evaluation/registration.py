"""Plugs skill-level evaluation into the app: plans, applications, assessors, apprenticeships."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import select

from catalog.accounts import personal
from catalog.accounts.models import User
from catalog.api import apprenticeships, evaluation
from catalog.clock import utcnow
from catalog.database import db
from catalog.evaluation import (
    results,
    tasks,  # noqa: F401  (its tasks join the queue on import)
)
from catalog.evaluation.models import (
    OPEN_APPLICATIONS,
    UNDECIDED,
    Application,
    ApplicationStatus,
    Apprenticeship,
    Assessment,
    ComponentResult,
)
from catalog.extensions import api
from catalog.uploads import quarantine_key


def _results_of(user_id: int) -> Any:
    return ComponentResult.application_id.in_(
        select(Application.id).where(Application.user_id == user_id)
    )


def _scorings_of(user_id: int) -> Any:
    """A decided attempt's scorings, as the candidate reads them: never who scored."""
    return Assessment.submitted_at.is_not(None) & Assessment.result_id.in_(
        select(ComponentResult.id).where(
            _results_of(user_id), ComponentResult.status.not_in(UNDECIDED)
        )
    )


def forget_evidence(user: User) -> list[str]:
    """Photos and clips of the worker at work go with their account (the scores stay), and
    an evaluation under way ends there: nobody assesses or photographs a deleted person."""
    for application in db.session.scalars(
        select(Application).where(
            Application.user_id == user.id, Application.status.in_(OPEN_APPLICATIONS)
        )
    ):
        application = results.hold(application)
        application.status, application.closed_at = ApplicationStatus.WITHDRAWN, utcnow()
        results.void_under_way(application)
        results.log(application, "withdrawn", detail={"reason": "account_deleted"})
    keys: list[str] = []
    for assessment in db.session.scalars(
        select(Assessment).where(
            Assessment.result_id.in_(select(ComponentResult.id).where(_results_of(user.id)))
        )
    ):
        for key in assessment.evidence_keys or []:
            keys += [key, quarantine_key(key)]
        assessment.evidence_keys = []
    return keys


def register(app: Flask) -> None:
    api.register_blueprint(evaluation.blp)
    api.register_blueprint(apprenticeships.blp)
    personal.register("evaluation_applications", Application, Application.user_id)
    personal.register("apprenticeships", Apprenticeship, Apprenticeship.apprentice_id)
    personal.register("evaluation_results", ComponentResult, where=_results_of)
    personal.register(
        "evaluation_scorings",
        Assessment,
        where=_scorings_of,
        hidden=frozenset(
            {"id", "assessor_id", "assigned_by_id", "client_id", "assigned_at"}
            | {"scored_at", "submitted_at"}
        ),
        order=(Assessment.result_id, Assessment.total.desc()),
    )
    personal.on_anonymise(forget_evidence)
