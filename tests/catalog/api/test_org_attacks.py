"""What an attack on organisations (issue 18) did to the running service, each a test that
failed before: a workshop admin reaching admins and assignments outside their powers, scopes
lost, roster imports disabling the listed or half-applied, departments raced into cycles,
personal data left behind after a deletion, password guesses without limit."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from catalog.accounts.models import Department, Organisation, Role, User
from catalog.database import db
from tests.support.concurrency import at_once

API = "/api/v1/departments"


@pytest.fixture
def org(make_org: Callable[..., Organisation]) -> Organisation:
    return make_org(code="attack-co", name="某供电公司")


@pytest.fixture
def admin(make_user: Callable[..., User], org: Organisation) -> User:
    return make_user(Role.ADMIN, organisation=org)


@pytest.fixture
def headers(login: Callable[[User], dict[str, str]], admin: User) -> dict[str, str]:
    return login(admin)


def department(client: FlaskClient, headers: dict, name: str, parent: int | None = None) -> int:
    made = client.post(API, json={"name": name, "parent_id": parent}, headers=headers)
    assert made.status_code == 201, made.get_json()
    return int(made.get_json()["id"])


def place(user: User, department_id: int, scope: int | None = None) -> User:
    user.department_id = department_id
    if scope is not None:
        user.admin_scope_id = scope
    db.session.commit()
    return user


@pytest.fixture
def tree(client: FlaskClient, headers: dict) -> dict[str, int]:
    ids = {"branch": department(client, headers, "北区分公司")}
    ids["shop"] = department(client, headers, "检修车间", ids["branch"])
    ids["team"] = department(client, headers, "一班", ids["shop"])
    ids["south"] = department(client, headers, "南区分公司")
    return ids


@pytest.fixture
def workshop(
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
    tree: dict[str, int],
) -> dict[str, str]:
    """The headers of an admin scoped to 检修车间."""
    return login(place(make_user(Role.ADMIN, organisation=org), tree["shop"], tree["shop"]))


def test_a_scoped_admin_cannot_reset_disable_or_delete_an_admin_in_their_subtree(
    client: FlaskClient,
    make_user: Callable[..., User],
    org: Organisation,
    tree: dict[str, int],
    workshop: dict[str, str],
) -> None:
    """Finding 1: the organisation's admin sat in a team of the workshop; the workshop's admin
    reset their password and took the whole organisation."""
    boss = place(make_user(Role.ADMIN, organisation=org), tree["team"])
    for action in ("password-reset", "disable", "anonymise"):
        answer = client.post(f"/api/v1/users/{boss.id}/{action}", headers=workshop)
        assert answer.status_code == 404, (action, answer.get_json())
    sheet = client.post(
        "/api/v1/users/one-time-passwords", json={"user_ids": [boss.id]}, headers=workshop
    )
    assert sheet.status_code in (200, 403, 404, 422)
    assert str(boss.id) not in str(sheet.get_json()) or sheet.status_code != 200
    assert boss.id not in {
        u["id"] for u in client.get("/api/v1/users", headers=workshop).get_json()["items"]
    }


def test_a_scoped_admin_cannot_lift_a_lower_admins_scope(
    client: FlaskClient,
    make_user: Callable[..., User],
    org: Organisation,
    tree: dict[str, int],
    workshop: dict[str, str],
) -> None:
    """Finding 2: roles written without admin_scope_id made a team admin organisation-wide."""
    team_admin = place(make_user(Role.ADMIN, organisation=org), tree["team"], tree["team"])
    path = f"/api/v1/users/{team_admin.id}/roles"
    kept = client.put(path, json={"roles": ["admin", "editor"]}, headers=workshop)
    assert kept.status_code == 200, kept.get_json()
    db.session.refresh(team_admin)
    assert team_admin.admin_scope_id == tree["team"]  # unchanged when not named
    lifted = client.put(
        path, json={"roles": ["admin", "editor"], "admin_scope_id": None}, headers=workshop
    )
    assert lifted.status_code == 403
    db.session.refresh(team_admin)
    assert team_admin.admin_scope_id == tree["team"]


def test_a_department_that_is_someones_scope_is_not_deleted(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    org: Organisation,
    tree: dict[str, int],
) -> None:
    """Finding 3: deleting the scope made its admin organisation-wide (ON DELETE SET NULL)."""
    empty = department(client, headers, "空车间", tree["south"])
    scoped = place(make_user(Role.ADMIN, organisation=org), tree["south"], empty)
    answer = client.delete(f"{API}/{empty}", headers=headers)
    assert answer.status_code == 409, answer.get_json()
    db.session.refresh(scoped)
    assert scoped.admin_scope_id == empty
    merged = client.post(f"{API}/{empty}/merge", json={"target_id": tree["south"]}, headers=headers)
    assert merged.status_code == 200, merged.get_json()
    db.session.refresh(scoped)
    assert scoped.admin_scope_id == tree["south"]  # the scope follows the merge


def test_assignments_outside_a_scoped_admins_subtree_are_not_theirs(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    make_course: Callable[..., int],
    org: Organisation,
    tree: dict[str, int],
    workshop: dict[str, str],
) -> None:
    """Finding 4: the workshop admin listed and deleted the south branch's assignments."""
    course = make_course(org)
    outsider = place(make_user(organisation=org), tree["south"])
    rule = client.post(
        f"/api/v1/courses/{course}/assignments",
        json={"department_id": tree["south"]},
        headers=headers,
    )
    named = client.post(
        f"/api/v1/courses/{course}/assignments", json={"user_ids": [outsider.id]}, headers=headers
    )
    assert rule.status_code == named.status_code == 201, (rule.get_json(), named.get_json())
    ids = [rule.get_json()[0]["id"], named.get_json()[0]["id"]]
    listed = client.get(f"/api/v1/courses/{course}/assignments", headers=workshop).get_json()
    assert not {a["id"] for a in listed} & set(ids)
    for assignment in ids:
        assert (
            client.delete(f"/api/v1/assignments/{assignment}", headers=workshop).status_code == 404
        )
    kept = client.get(f"/api/v1/courses/{course}/assignments", headers=headers).get_json()
    assert set(ids) <= {a["id"] for a in kept}


def test_credit_audit_and_certificates_outside_the_subtree_are_not_shown(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    org: Organisation,
    tree: dict[str, int],
    workshop: dict[str, str],
) -> None:
    """Finding 5: a user the workshop admin could not see had their credit history shown."""
    outsider = place(make_user(organisation=org), tree["south"])
    adjusted = client.post(
        "/api/v1/credit-adjustments",
        json={"user_id": outsider.id, "credits": 2, "reason": "南区奖励"},
        headers=headers,
    )
    assert adjusted.status_code in (201, 202)
    audit = client.get(f"/api/v1/credit-audit?user_id={outsider.id}", headers=workshop)
    assert audit.status_code == 404 or audit.get_json()["items"] == []
    everything = client.get("/api/v1/credit-audit", headers=workshop).get_json()
    assert "南区奖励" not in str(everything)


def test_two_roots_of_one_name_cannot_be_made_at_once(client: FlaskClient, headers: dict) -> None:
    """Finding 6: ten creates at once made two roots named alike (NULL parents differ)."""

    def make() -> int:
        return int(
            client.post(
                API, json={"name": "并发分公司", "parent_id": None}, headers=headers
            ).status_code
        )

    statuses = at_once(*([make] * 6))
    assert sorted(statuses).count(201) == 1, statuses
    assert all(s in (201, 409) for s in statuses), statuses


def upload(client: FlaskClient, headers: dict, text: str, **form: Any) -> dict[str, Any]:
    fields = {
        "file": (io.BytesIO(text.encode()), "r.csv"),
        **{k: str(v).lower() for k, v in form.items()},
    }
    answer = client.post(
        "/api/v1/roster-imports", data=fields, headers=headers, content_type="multipart/form-data"
    )
    assert answer.status_code == 202, answer.get_json()
    return client.get(
        f"/api/v1/roster-imports/{answer.get_json()['id']}", headers=headers
    ).get_json()


HEADER = "工号,姓名,手机号,部门路径,工种,技能等级,角色\n"


def test_disable_missing_never_disables_someone_listed_on_a_skipped_row(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    """Finding 7: a phone typo skipped a row, and disable_missing then disabled its worker."""
    first = upload(client, headers, HEADER + "T-001,甲,,北区,,,\nT-002,乙,,北区,,,\n")
    assert first["status"] == "done", first["problems"]
    second = upload(
        client,
        headers,
        HEADER + "T-001,甲,1390000000x,北区,,,\nT-002,乙,,北区,,,\n",
        mode="skip_invalid",
        disable_missing=True,
    )
    assert second["counts"].get("disabled", 0) == 0, second
    db.session.expire_all()
    worker = db.session.scalar(select(User).where(User.employee_no == "T-001"))
    assert worker is not None and worker.is_active


def test_the_exported_roster_imports_again_unchanged(
    client: FlaskClient, headers: dict, org: Organisation, admin: User
) -> None:
    """Finding 8: the export lists admins as 管理员, and its own import refused them."""
    admin.employee_no = "ADM-1"
    db.session.commit()
    assert upload(client, headers, HEADER + "T-009,丙,,北区/一班,,,\n")["status"] == "done"
    exported = client.get("/api/v1/users/roster.xlsx", headers=headers)
    assert exported.status_code == 200
    fields = {"file": (io.BytesIO(exported.data), "roster.xlsx")}
    answer = client.post(
        "/api/v1/roster-imports", data=fields, headers=headers, content_type="multipart/form-data"
    )
    again = client.get(
        f"/api/v1/roster-imports/{answer.get_json()['id']}", headers=headers
    ).get_json()
    assert again["status"] == "done", again["problems"]
    assert again["counts"].get("created", 0) == 0


@pytest.mark.parametrize("name", ["运维/三班", "运维 > 三班", "运维\\三班"])
def test_department_names_holding_path_separators_are_refused(
    client: FlaskClient, headers: dict, name: str
) -> None:
    """Finding 9: a name holding a separator came back from the roster as two departments."""
    answer = client.post(API, json={"name": name, "parent_id": None}, headers=headers)
    assert answer.status_code == 422, answer.get_json()


def test_all_or_nothing_imports_nothing_when_a_row_fails_while_writing(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    """Finding 10: t-004 and T-004 make the same user name; the second failed while writing
    and the first was kept, with the status done."""
    report = upload(
        client, headers, HEADER + "t-004,甲,,北区,,,\nT-004,乙,,北区,,,\nT-005,丙,,北区,,,\n"
    )
    assert report["status"] == "failed", report
    assert report["counts"].get("created", 0) == 0
    db.session.expire_all()
    assert db.session.scalar(select(User).where(User.employee_no == "T-005")) is None


def test_department_paths_deeper_than_the_limit_are_refused_by_row_and_column(
    client: FlaskClient, headers: dict
) -> None:
    """Finding 11: 1,000 rows of 30-level paths failed with no reason and locked sign-ins."""
    deep = "/".join(f"第{n}层" for n in range(30))
    report = upload(client, headers, HEADER + f"D-1,甲,,{deep},,,\n")
    assert report["status"] == "failed"
    [problem] = report["problems"]
    assert problem["row"] == 2 and "部门" in problem["column"]


def test_departments_merged_into_each_other_at_once_never_answer_500(
    client: FlaskClient, headers: dict, tree: dict[str, int]
) -> None:
    """Finding 12: X into Y and Y into X at once: one 500 (foreign key)."""
    x = department(client, headers, "甲班", tree["shop"])
    y = department(client, headers, "乙班", tree["shop"])
    statuses = at_once(
        lambda: client.post(f"{API}/{x}/merge", json={"target_id": y}, headers=headers).status_code,
        lambda: client.post(f"{API}/{y}/merge", json={"target_id": x}, headers=headers).status_code,
    )
    assert all(status < 500 for status in statuses), statuses
    assert statuses.count(200) >= 1


def test_departments_moved_under_each_other_at_once_never_make_a_cycle(
    client: FlaskClient, headers: dict, tree: dict[str, int]
) -> None:
    """Finding 12: X under Y and Y under X at once: both 200, paths containing themselves."""
    for n in range(3):
        x = department(client, headers, f"X{n}班", tree["south"])
        y = department(client, headers, f"Y{n}班", tree["south"])
        statuses = at_once(
            lambda x=x, y=y: (
                client.patch(f"{API}/{x}", json={"parent_id": y}, headers=headers).status_code
            ),
            lambda x=x, y=y: (
                client.patch(f"{API}/{y}", json={"parent_id": x}, headers=headers).status_code
            ),
        )
        assert all(status < 500 for status in statuses), statuses
        db.session.expire_all()
        for department_id in (x, y):
            row = db.session.get(Department, department_id)
            assert row is not None
            parts = row.path.strip("/").split("/")
            assert len(parts) == len(set(parts)), row.path


def test_a_member_is_never_moved_into_a_department_being_deleted(
    client: FlaskClient,
    headers: dict,
    make_user: Callable[..., User],
    org: Organisation,
    tree: dict[str, int],
) -> None:
    """Finding 12: the delete and the move both succeeded; the member had no department."""
    worker = place(make_user(organisation=org), tree["team"]).id
    for n in range(3):
        doomed = department(client, headers, f"临时{n}班", tree["south"])
        statuses = at_once(
            lambda d=doomed: client.delete(f"{API}/{d}", headers=headers).status_code,
            lambda d=doomed: (
                client.patch(
                    f"/api/v1/users/{worker}", json={"department_id": d}, headers=headers
                ).status_code
            ),
        )
        assert all(status < 500 for status in statuses), statuses
        db.session.expire_all()
        moved = db.session.get(User, worker)
        assert moved is not None and moved.department_id is not None
        if moved.department_id == doomed:
            assert db.session.get(Department, doomed) is not None
        client.patch(
            f"/api/v1/users/{worker}", json={"department_id": tree["team"]}, headers=headers
        )


def test_a_learners_quiz_answers_are_in_their_personal_data(
    client: FlaskClient, setup: dict[str, Any]
) -> None:
    """Finding 13: the export had the session but no response anywhere."""
    from tests.support.quizzing import answer, start, template

    paper = template(client, setup).get_json()["id"]
    session = start(client, setup, paper).get_json()
    answered = answer(client, setup, session["id"], 1, ["A"], "phone-1")
    assert answered.status_code == 200, answered.get_json()
    exported = client.get("/api/v1/me/personal-data", headers=setup["learner"]).get_json()
    answers = exported["data"]["quiz_answers"]
    assert any(row.get("response") == {"selected": ["A"]} for row in answers), answers


def test_a_deleted_workers_employee_number_leaves_roster_reports_and_files(
    client: FlaskClient, headers: dict, org: Organisation
) -> None:
    """Finding 14: a roster report still named the deleted worker's 工号, its file kept it."""
    from catalog.accounts.models import RosterImport
    from catalog.runtime import runtime
    from ingest.interfaces import ObjectNotFound

    report = upload(
        client,
        headers,
        HEADER + "ZX-404,被删者,,北区,,,\nzx-404,重复,,北区,,,\n",
        mode="skip_invalid",
    )
    assert "ZX-404" in str(report["problems"]) or "zx-404" in str(report["problems"])
    worker = db.session.scalar(select(User).where(User.employee_no == "ZX-404"))
    assert worker is not None
    assert client.post(f"/api/v1/users/{worker.id}/anonymise", headers=headers).status_code == 200
    again = client.get(f"/api/v1/roster-imports/{report['id']}", headers=headers).get_json()
    assert "zx-404" not in str(again).lower()
    record = db.session.get(RosterImport, report["id"])
    assert record is not None
    with pytest.raises(ObjectNotFound):  # the uploaded file goes once its import has run
        runtime().object_store.head(record.file_key)


def test_wrong_current_passwords_are_limited(
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    org: Organisation,
) -> None:
    """Finding 15: a stolen access token could guess the password on POST /me/password."""
    mine = login(make_user(organisation=org))
    statuses = [
        client.post(
            "/api/v1/me/password",
            json={"current_password": f"wrong-{n}", "new_password": "a-new-long-password-1"},
            headers=mine,
        ).status_code
        for n in range(12)
    ]
    assert 429 in statuses, statuses
