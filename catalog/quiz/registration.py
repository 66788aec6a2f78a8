"""Plugs quizzes into the app: templates, sessions in every mode, contests, manual grading."""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select

from catalog.accounts import personal
from catalog.api import quiz
from catalog.extensions import api
from catalog.quiz import tasks  # noqa: F401  (its tasks join the queue on import)
from catalog.quiz.models import QuizSession, ReviewCard, SeenQuestion, SessionItem


def register(app: Flask) -> None:
    api.register_blueprint(quiz.blp)
    personal.register("quiz_sessions", QuizSession, QuizSession.user_id)
    personal.register(
        "quiz_answers",
        SessionItem,
        where=lambda user_id: SessionItem.session_id.in_(
            select(QuizSession.id).where(QuizSession.user_id == user_id)
        ),
    )
    personal.register("seen_questions", SeenQuestion, SeenQuestion.user_id)
    personal.register("review_cards", ReviewCard, ReviewCard.user_id)
