"""Reference data: everyone reads it, platform admins edit it."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from catalog.accounts.models import Role


def test_skill_levels_are_seeded_by_migration(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    levels = client.get("/api/v1/skill-levels", headers=login_as(Role.LEARNER)).get_json()
    assert [(lv["level"], lv["name"]) for lv in levels] == [
        (5, "五级/初级工"),
        (4, "四级/中级工"),
        (3, "三级/高级工"),
        (2, "二级/技师"),
        (1, "一级/高级技师"),
    ]


def test_platform_admins_edit_reference_data(
    client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    root = login_as(Role.PLATFORM_ADMIN)
    admin = login_as(Role.ADMIN)
    body = {"code": "ic", "name": "集成电路", "name_en": "Integrated circuits"}
    assert client.post("/api/v1/industries", json=body, headers=admin).status_code == 403
    assert client.post("/api/v1/industries", json=body, headers=root).status_code == 201
    assert client.post("/api/v1/industries", json=body, headers=root).status_code == 409
    occupation = {"code": "6-25-02-01", "name": "半导体芯片制造工", "industry": "ic"}
    created = client.post("/api/v1/occupations", json=occupation, headers=root)
    assert created.status_code == 201
    assert created.get_json()["industry"] == "ic"
    bad = client.post("/api/v1/occupations", json={**occupation, "code": "62502"}, headers=root)
    assert bad.status_code == 422
    listed = client.get("/api/v1/occupations?industry=ic", headers=admin).get_json()
    assert [o["code"] for o in listed] == ["6-25-02-01"]
    renamed = client.patch(
        "/api/v1/skill-levels/3", json={"name": "三级/高级工（新）"}, headers=root
    )
    assert renamed.get_json()["name"] == "三级/高级工（新）"
    assert (
        client.patch("/api/v1/skill-levels/9", json={"name": "x"}, headers=root).status_code == 404
    )
