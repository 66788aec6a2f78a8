"""In-process latency of signing in and of an authenticated read, on the embedded database.

Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_accounts.py``.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from flask_migrate import upgrade

from benchmarks.measure import emit, measure
from catalog import create_app
from catalog.accounts import services as accounts
from catalog.accounts.models import OrganisationKind, Role
from config import Environment, Settings


def main() -> None:
    with tempfile.TemporaryDirectory() as var:
        settings = Settings(
            environment=Environment.DEVELOPMENT,
            var_dir=Path(var),
            secret_key="bench-" + "x" * 40,
            login_rate_limit="1000000 per minute",
            log_level="WARNING",
        )
        app = create_app(settings)
        with app.app_context():
            upgrade()
            org = accounts.create_organisation(
                code="bench", name="基准测试", kind=OrganisationKind.ENTERPRISE
            )
            accounts.create_user(
                username="bench-learner",
                display_name="基准",
                password="bench-password",
                roles=[Role.LEARNER],
                organisation=org,
            )
        client = app.test_client()
        credentials = {"username": "bench-learner", "password": "bench-password"}
        token = client.post("/api/v1/auth/token", json=credentials).get_json()["access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        results = [
            measure(
                "GET /api/v1/me (signed in)",
                lambda: client.get("/api/v1/me", headers=headers),
                runs=2000,
            ),
            measure("GET /healthz", lambda: client.get("/healthz"), runs=2000),
            measure(
                "POST /api/v1/auth/token (argon2id)",
                lambda: client.post("/api/v1/auth/token", json=credentials),
                runs=50,
                target="deliberately slow: RFC 9106 low-memory argon2id",
            ),
        ]
    print("accounts, in process, SQLite")
    for result in results:
        print("  " + result.row())
    emit("accounts", results)


if __name__ == "__main__":
    main()
