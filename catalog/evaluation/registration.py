"""Plugs skill-level evaluation into the app: plans, applications, assessors, apprenticeships."""

from __future__ import annotations

from flask import Flask

from catalog.accounts import personal
from catalog.api import apprenticeships, evaluation
from catalog.evaluation import tasks  # noqa: F401  (its tasks join the queue on import)
from catalog.evaluation.models import Application, Apprenticeship
from catalog.extensions import api


def register(app: Flask) -> None:
    api.register_blueprint(evaluation.blp)
    api.register_blueprint(apprenticeships.blp)
    personal.register("evaluation_applications", Application, Application.user_id)
    personal.register("apprenticeships", Apprenticeship, Apprenticeship.apprentice_id)
