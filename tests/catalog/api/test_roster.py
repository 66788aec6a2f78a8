"""Roster imports (issue 18): an HR roster brings workers by the thousand, idempotent by
employee number, departments made on the way, leavers disabled when asked, every problem by
row and column; a template, an export, one-time passwords."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from python_calamine import CalamineWorkbook
from sqlalchemy import select

from catalog.accounts.models import Department, Organisation, Role, User
from catalog.database import db

HEADER = "工号,姓名,手机号,部门路径,工种,技能等级,角色\n"
ROWS = [
    "BJ-0001,张三,13800000001,北区分公司/检修车间/一班,变电检修工,高级工,学员",
    "BJ-0002,李四,,北区分公司/检修车间/二班,电工,四级,学员，讲师",
    "BJ-0003,王五,138-0000-0003,南区分公司,配电线路工,2,",
]


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="roster-co", name="某供电公司")


@pytest.fixture
def admin(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user(Role.ADMIN, organisation=org)


@pytest.fixture
def headers(login: Callable[[User], dict[str, str]], admin: User) -> dict[str, str]:
    return login(admin)


def upload(
    client: FlaskClient, headers: dict, text: str | bytes, name: str = "roster.csv", **form: Any
) -> dict[str, Any]:
    data = text.encode() if isinstance(text, str) else text
    fields = {"file": (io.BytesIO(data), name), **{k: str(v).lower() for k, v in form.items()}}
    response = client.post(
        "/api/v1/roster-imports", data=fields, headers=headers, content_type="multipart/form-data"
    )
    assert response.status_code == 202, response.get_json()
    return client.get(
        f"/api/v1/roster-imports/{response.get_json()['id']}", headers=headers
    ).get_json()


def workers(org: Organisation) -> dict[str, User]:
    db.session.expire_all()
    users = db.session.scalars(
        select(User).where(User.organisation_id == org.id, User.employee_no.is_not(None))
    )
    return {u.employee_no: u for u in users if u.employee_no}


def test_a_roster_creates_workers_and_departments_then_changes_nothing_again(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    first = upload(client, headers, HEADER + "\n".join(ROWS))
    assert first["status"] == "done", first["problems"]
    assert first["counts"]["created"] == 3
    made = workers(org)
    zhang = made["BJ-0001"]
    assert (zhang.display_name, zhang.phone, zhang.occupation, zhang.skill_level) == (
        "张三",
        "13800000001",
        "变电检修工",
        3,
    )
    assert made["BJ-0002"].skill_level == 2 and made["BJ-0002"].roles == {
        Role.LEARNER,
        Role.INSTRUCTOR,
    }
    assert made["BJ-0003"].phone == "13800000003"
    team = db.session.get(Department, zhang.department_id)
    assert team is not None and team.name == "一班" and team.path.count("/") == 4
    assert zhang.must_change_password
    second = upload(client, headers, HEADER + "\n".join(ROWS))
    assert (second["counts"]["created"], second["counts"]["unchanged"]) == (0, 3)
    assert len(db.session.scalars(select(Department)).all()) == 5  # not made twice
    changed = ROWS[0].replace("高级工", "技师").replace("一班", "二班")
    third = upload(client, headers, HEADER + "\n".join([changed, *ROWS[1:]]))
    assert (third["counts"]["updated"], third["counts"]["unchanged"]) == (1, 2)
    assert workers(org)["BJ-0001"].skill_level == 4


def test_every_problem_is_reported_by_row_and_column_and_nothing_is_imported(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    rows = [
        ROWS[0],
        ",无工号,,,,,",
        "BJ-0009,,,,,,",
        "BJ-0001,重复,,,,,",
        "BJ-0010,等级错,,,,八级,",
        "BJ-0011,管理员,,,,,管理员",
        "BJ-0012,号码错,call-me,,,,",
    ]
    report = upload(client, headers, HEADER + "\n".join(rows))
    assert report["status"] == "failed" and workers(org) == {}
    found = {(p["row"], p["field"]) for p in report["problems"]}
    assert found == {
        (3, "employee_no"),
        (4, "name"),
        (5, "employee_no"),
        (6, "skill_level"),
        (7, "role"),
        (8, "phone"),
    }
    level = next(p for p in report["problems"] if p["field"] == "skill_level")
    assert level["column"] == "F (技能等级)"
    skipped = upload(client, headers, HEADER + "\n".join(rows), mode="skip_invalid")
    assert skipped["counts"]["created"] == 1 and set(workers(org)) == {"BJ-0001"}


def test_a_dry_run_reports_and_changes_nothing(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    report = upload(client, headers, HEADER + "\n".join(ROWS), dry_run=True)
    assert report["status"] == "done" and report["counts"]["valid"] == 3
    assert workers(org) == {} and db.session.scalars(select(Department)).all() == []


def test_leavers_are_disabled_only_when_asked(
    client: FlaskClient, headers: dict, org: Organisation, admin: User
) -> None:
    upload(client, headers, HEADER + "\n".join(ROWS))
    without_wang = HEADER + "\n".join(ROWS[:2])
    kept = upload(client, headers, without_wang)
    assert kept["counts"]["disabled"] == 0 and workers(org)["BJ-0003"].is_active
    gone = upload(client, headers, without_wang, disable_missing=True)
    assert gone["counts"]["disabled"] == 1
    assert not workers(org)["BJ-0003"].is_active
    assert db.session.get(User, admin.id).is_active  # type: ignore[union-attr]


def test_lenient_headers_gbk_and_xlsx(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    text = (
        "员工编号,员工姓名,联系电话,所属部门,岗位工种,职业技能等级\n"
        "GB-1,赵六,,总部>安监部,安全员,高级技师\n"
    )
    report = upload(client, headers, text.encode("gbk"))
    assert report["status"] == "done", report["problems"]
    zhao = workers(org)["GB-1"]
    assert zhao.skill_level == 5 and zhao.occupation == "安全员"
    template = client.get("/api/v1/roster-imports/template.xlsx", headers=headers)
    assert template.status_code == 200
    again = upload(client, headers, template.data, name="template.xlsx")
    assert again["status"] == "done", again["problems"]
    assert {"BJ-0001", "BJ-0002"} <= set(workers(org))


def test_the_export_reimports_unchanged(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    upload(client, headers, HEADER + "\n".join(ROWS))
    exported = client.get("/api/v1/users/roster.xlsx", headers=headers)
    assert exported.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(exported.data)).get_sheet_by_index(0)
    rows = sheet.to_python()
    assert rows[0][:2] == ["工号", "姓名"] and len(rows) == 4
    again = upload(client, headers, exported.data, name="roster.xlsx")
    assert again["counts"]["unchanged"] == 3, again


def test_one_time_passwords_let_roster_workers_in_once(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    upload(client, headers, HEADER + "\n".join(ROWS))
    zhang = workers(org)["BJ-0001"]
    assert (
        client.post(
            "/api/v1/auth/token", json={"username": zhang.username, "password": "anything-at-all"}
        ).status_code
        == 401
    )
    sheet = client.post("/api/v1/users/one-time-passwords", json={}, headers=headers)
    assert sheet.status_code == 200 and sheet.headers["Cache-Control"] == "no-store"
    passwords = {item["username"]: item["password"] for item in sheet.get_json()["items"]}
    assert set(passwords) == {u.username for u in workers(org).values()}
    signed = client.post(
        "/api/v1/auth/token",
        json={"username": zhang.username, "password": passwords[zhang.username]},
    ).get_json()
    assert signed["user"]["must_change_password"] is True
    again = client.post("/api/v1/users/one-time-passwords", json={}, headers=headers)
    assert again.get_json()["items"] == []  # everyone has one now: nobody gets a second unasked
    changed = client.post(
        "/api/v1/me/password",
        json={"current_password": passwords[zhang.username], "new_password": "my-own-pass-1"},
        headers={"Authorization": f"Bearer {signed['access_token']}"},
    )
    assert changed.status_code == 200


def test_a_scoped_admin_imports_only_inside_their_department(
    client: FlaskClient,
    headers: dict,
    org: Organisation,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    upload(client, headers, HEADER + "\n".join(ROWS))
    shop = db.session.scalar(select(Department).where(Department.name == "检修车间"))
    assert shop is not None
    workshop_admin = make_user(Role.ADMIN, organisation=org)
    workshop_admin.admin_scope_id = shop.id
    workshop_admin.department_id = shop.id
    db.session.commit()
    scoped = login(workshop_admin)
    inside = "BJ-0100,新人,,北区分公司/检修车间/三班,电工,初级工,"
    outside = "BJ-0101,外人,,南区分公司,电工,初级工,"
    report = upload(client, scoped, HEADER + "\n".join([inside, outside]), mode="skip_invalid")
    assert [p["row"] for p in report["problems"]] == [3]
    assert "BJ-0100" in workers(org) and "BJ-0101" not in workers(org)
    taking_over = upload(
        client, scoped, HEADER + ROWS[2].replace("南区分公司", "北区分公司/检修车间")
    )
    assert taking_over["counts"].get("updated", 0) == 0  # 王五 is outside: not moved in
    leavers = upload(client, scoped, HEADER + inside, disable_missing=True)
    assert leavers["counts"]["disabled"] == 2  # 张三 and 李四 of the workshop; not 王五
    assert workers(org)["BJ-0003"].is_active
