"""Fixtures of the catalogue tests."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from tests.support.quizzing import build_bank


@pytest.fixture
def setup(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> dict[str, Any]:
    """An organisation with an editor, a learner and a published bank of questions."""
    org = make_org(code="quiz-org")
    editor = login(make_user(Role.EDITOR, organisation=org))
    learner = login(make_user(Role.LEARNER, organisation=org))
    return {"editor": editor, "learner": learner, "org": org.id, **build_bank(client, editor)}
