"""Demo data for ``make run``: organisations and one user per role (idempotent)."""

from __future__ import annotations

from sqlalchemy import select

from catalog.accounts import services as accounts
from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from catalog.extensions import db
from catalog.registry import services
from config import Environment

DEMO_PASSWORD = "jiangyun-demo"

DEMO_ORGANISATIONS = (
    ("demo-power", "示范电力公司", OrganisationKind.ENTERPRISE),
    ("demo-gas", "示范燃气集团", OrganisationKind.ENTERPRISE),
    ("demo-college", "示范技师学院", OrganisationKind.SCHOOL),
)

DEMO_USERS = (
    ("platform", "平台管理员", (Role.PLATFORM_ADMIN,), None),
    ("power-admin", "电力公司培训管理员", (Role.ADMIN,), "demo-power"),
    ("power-instructor", "王师傅（劳模讲师）", (Role.INSTRUCTOR,), "demo-power"),
    ("power-editor", "李编辑", (Role.EDITOR,), "demo-power"),
    ("power-learner", "张工（配电运维）", (Role.LEARNER,), "demo-power"),
    ("gas-learner", "赵工（燃气管网）", (Role.LEARNER,), "demo-gas"),
)


def load_demo_data() -> list[str]:
    """Create what is missing of the demo data; returns what it did, for the console."""
    if services().settings.environment is Environment.PRODUCTION:
        raise RuntimeError("demo data is never loaded in production")
    done: list[str] = []
    for code, name, kind in DEMO_ORGANISATIONS:
        if db.session.scalar(select(Organisation).where(Organisation.code == code)) is None:
            accounts.create_organisation(code=code, name=name, kind=kind)
            done.append(f"organisation {code}")
    for username, display_name, roles, org_code in DEMO_USERS:
        if db.session.scalar(select(User.id).where(User.username == username)) is None:
            accounts.create_user(
                username=username,
                display_name=display_name,
                password=DEMO_PASSWORD,
                roles=roles,
                organisation=accounts.get_organisation_by_code(org_code) if org_code else None,
            )
            done.append(f"user {username}")
    if done:
        done.insert(0, "demo data loaded:")
    else:
        done.append("demo data already present")
    done.append(
        "demo users " + ", ".join(u[0] for u in DEMO_USERS) + f" — password {DEMO_PASSWORD}"
    )
    return done
