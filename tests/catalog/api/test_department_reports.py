"""Reports by department (issue 18): a subtree's totals include its teams; filters by
department, occupation and level; a scoped admin's report covers only their subtree."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.lectures.models import Microlecture
from tests.support.heartbeats import played

REPORT = "/api/v1/reports/training"


def test_department_rows_add_up_to_their_subtrees(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
) -> None:
    org = make_org(code="dept-report", name="某公司")
    course = make_course(org)
    lecture = db.session.scalars(db.select(Microlecture)).one()
    admin_user = make_user(Role.ADMIN, organisation=org)
    admin = login(admin_user)

    def department(name: str, parent: int | None = None) -> int:
        made = client.post(
            "/api/v1/departments", json={"name": name, "parent_id": parent}, headers=admin
        )
        return int(made.get_json()["id"])

    north = department("北区")
    team_one, team_two = department("一班", north), department("二班", north)
    south = department("南区")
    people = []
    for place, occupation, level in [
        (team_one, "电工", 3),
        (team_one, "焊工", 3),
        (team_two, "电工", 2),
        (north, "电工", 2),
        (south, "电工", 3),
        (None, "电工", 3),
    ]:
        user = make_user(organisation=org)
        user.department_id, user.occupation, user.skill_level = place, occupation, level
        db.session.commit()
        people.append(user)
    now = utcnow()
    for index, user in enumerate(people):
        headers = login(user)
        client.put(f"/api/v1/me/courses/{course}", headers=headers)
        statements = played(
            lecture.id, 0, 60, began=now - timedelta(seconds=60), prefix=f"p{index}"
        )
        stored = client.post(
            "/api/v1/me/statements:batch", json={"statements": statements}, headers=headers
        )
        assert stored.status_code == 200

    def rows(**query: object) -> dict[str, int]:
        body = client.get(REPORT, query_string={"group_by": "department", **query}, headers=admin)
        assert body.status_code == 200, body.get_json()
        report = body.get_json()
        assert sum(r["learners"] for r in report["rows"]) == report["total"]["learners"]
        return {r["label"]: r["learners"] for r in report["rows"]}

    top = rows()
    assert top["北区"] == 4 and top["南区"] == 1 and sum(top.values()) == 6
    inside = rows(department=north)
    assert inside == {"一班": 2, "二班": 1, "本部门直属 / directly in the department": 1}
    assert rows(department=north, occupation="电工") == {
        "一班": 1,
        "二班": 1,
        "本部门直属 / directly in the department": 1,
    }
    assert sum(rows(level=3).values()) == 4
    by_course = client.get(
        REPORT, query_string={"group_by": "course", "department": team_one}, headers=admin
    ).get_json()
    assert by_course["total"]["learners"] == 2
    # a workshop's admin sees only their subtree; another department is as if missing
    scoped_user = make_user(Role.ADMIN, organisation=org)
    scoped_user.admin_scope_id, scoped_user.department_id = north, north
    db.session.commit()
    scoped = login(scoped_user)
    theirs = client.get(REPORT, query_string={"group_by": "department"}, headers=scoped).get_json()
    assert theirs["total"]["learners"] == 4
    assert {r["label"] for r in theirs["rows"]} == {
        "一班",
        "二班",
        "本部门直属 / directly in the department",
    }
    outside = client.get(REPORT, query_string={"department": south}, headers=scoped)
    assert outside.status_code == 404
