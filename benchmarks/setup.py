"""A throwaway app on embedded defaults for benchmarks: migrated, with an organisation."""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from flask import Flask
from flask_migrate import upgrade

from catalog import create_app
from catalog.accounts import services as accounts
from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from config import Environment, Settings

PASSWORD = "bench-password"


@dataclass
class Bench:
    app: Flask
    organisation: Organisation
    users: dict[str, User]

    def headers(self, role: str) -> dict[str, str]:
        client = self.app.test_client()
        body = {"username": self.users[role].username, "password": PASSWORD}
        token = client.post("/api/v1/auth/token", json=body).get_json()["access_token"]
        return {"Authorization": f"Bearer {token}"}


@contextlib.contextmanager
def bench_app(**overrides: Any) -> Iterator[Bench]:
    with tempfile.TemporaryDirectory(prefix="jiangyun-bench-") as var:
        settings = Settings(
            environment=Environment.DEVELOPMENT,
            var_dir=Path(var),
            secret_key="bench-" + "x" * 40,
            login_rate_limit="1000000 per minute",
            log_level="WARNING",
            **{"tasks_immediate": True, **overrides},
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            org = accounts.create_organisation(
                code="bench", name="基准测试", kind=OrganisationKind.ENTERPRISE
            )
            users = {
                role.value: accounts.create_user(
                    username=f"bench-{role.value}",
                    display_name="基准",
                    password=PASSWORD,
                    roles=[role],
                    organisation=org,
                )
                for role in (Role.LEARNER, Role.INSTRUCTOR, Role.EDITOR)
            }
            yield Bench(app, org, users)
