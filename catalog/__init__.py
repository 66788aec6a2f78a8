"""匠云 Jiangyun: the Flask app (factory, models, REST API and domain services)."""

from __future__ import annotations

from flask import Flask

from config import Settings, load_settings

__all__ = ["create_app"]


def create_app(settings: Settings | None = None) -> Flask:
    """Build the app: its foundation, the implementations chosen from settings, then each
    domain registers its API, tasks, commands and hooks."""
    # Imported here, as in Flask's tutorial: importing a model must not build the whole app.
    from catalog import demo, foundation
    from catalog.accounts import registration as accounts
    from catalog.background import registration as background
    from catalog.banks import registration as banks
    from catalog.courses import registration as courses
    from catalog.credits import registration as credits
    from catalog.evaluation import registration as evaluation
    from catalog.indexing import registration as indexing
    from catalog.learning import registration as learning
    from catalog.lectures import registration as lectures
    from catalog.quiz import registration as quiz
    from catalog.reference import registration as reference
    from catalog.web import registration as web

    settings = settings or load_settings()
    app = foundation.flask_app(settings)
    foundation.install_runtime(app, settings)
    for domain in (
        accounts,
        background,
        reference,
        courses,
        lectures,
        banks,
        indexing,
        quiz,
        learning,
        credits,
        evaluation,
        web,
    ):
        domain.register(app)
    app.cli.add_command(demo.demo_cli)
    return app
