"""Plugs quizzes into the app: templates, sessions in every mode, contests, manual grading."""

from __future__ import annotations

from flask import Flask

from catalog.api import quiz
from catalog.extensions import api
from catalog.quiz import tasks  # noqa: F401  (its tasks join the queue on import)


def register(app: Flask) -> None:
    api.register_blueprint(quiz.blp)
