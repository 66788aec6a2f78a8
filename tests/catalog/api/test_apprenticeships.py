"""Apprenticeships (企业新型学徒制): agreements and their refusals, who sees them, the
apprentice's notes, the enterprise mentor's sign-offs, completion and early end, and what
skill-level evaluation asks of them (completed apprenticeships, mentors)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from catalog.clock import local_day, utcnow
from catalog.database import db
from catalog.evaluation import apprenticeships
from catalog.evaluation.models import Apprenticeship
from catalog.reference.services import occupation_id
from tests.support.concurrency import at_once

OCCUPATION = "6-31-01-03"
OTHER_OCCUPATION = "6-31-01-04"
NOT_MANAGED = "用户不存在或不归您管理 / Unknown user, or not one you manage"


class People:
    """An enterprise with its admin, an apprentice, a mentor and a colleague; a school with a
    teacher; another enterprise with its admin and a worker. ``*_h``: their sign-in headers."""

    organisation: Organisation
    admin: User
    apprentice: User
    mentor: User
    school_mentor: User
    colleague: User
    outsider: User
    admin_h: dict[str, str]
    closer_h: dict[str, str]
    apprentice_h: dict[str, str]
    mentor_h: dict[str, str]
    school_mentor_h: dict[str, str]
    colleague_h: dict[str, str]
    outsider_admin_h: dict[str, str]
    outsider_h: dict[str, str]


@pytest.fixture
def people(
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_industry: Callable[..., Any],
) -> People:
    make_industry("power", "电力", occupation=OCCUPATION)
    make_industry("power", "电力", occupation=OTHER_OCCUPATION)
    org = make_org(code="substation-co")
    school = make_org(code="power-college", name="电力职业技术学院", kind=OrganisationKind.SCHOOL)
    other = make_org(code="other-co")
    p = People()
    p.organisation = org
    p.admin = make_user(Role.ADMIN, organisation=org)
    p.apprentice = make_user(Role.LEARNER, organisation=org, display_name="小李")
    p.mentor = make_user(Role.LEARNER, organisation=org, display_name="王师傅")
    p.school_mentor = make_user(Role.INSTRUCTOR, organisation=school, display_name="赵老师")
    p.colleague = make_user(Role.LEARNER, organisation=org)
    p.outsider = make_user(Role.LEARNER, organisation=other)
    p.admin_h = login(p.admin)
    p.apprentice_h = login(p.apprentice)
    p.mentor_h = login(p.mentor)
    p.school_mentor_h = login(p.school_mentor)
    p.colleague_h = login(p.colleague)
    p.outsider_admin_h = login(make_user(Role.ADMIN, organisation=other))
    p.closer_h = login(make_user(Role.ADMIN, organisation=org))  # closes what admin recorded
    p.outsider_h = login(p.outsider)
    return p


def body(people: People, **changes: Any) -> dict[str, Any]:
    return {
        "apprentice_id": people.apprentice.id,
        "mentor_id": people.mentor.id,
        "school_mentor_id": people.school_mentor.id,
        "occupation": OCCUPATION,
        "skill_level": 4,
        "goals": "独立完成 110kV 变电站倒闸操作",
        "content": "倒闸操作、设备巡视、事故处理",
        "assessment_standard": "按《变配电运行值班员》四级操作技能考核标准",
        "starts_on": "2026-01-01",
        "ends_on": "2026-12-31",
        "tasks": [
            {"title": "倒闸操作", "milestone": True, "due_on": "2026-06-30"},
            {"title": "巡视记录", "description": "每周一次"},
            {"title": "事故处理", "milestone": True},
        ],
        **changes,
    }


def create(client: FlaskClient, people: People, **changes: Any) -> dict[str, Any]:
    response = client.post(
        "/api/v1/apprenticeships", json=body(people, **changes), headers=people.admin_h
    )
    assert response.status_code == 201, response.get_json()
    made: dict[str, Any] = response.get_json()
    return made


def task_path(agreement: dict[str, Any], index: int, what: str) -> str:
    return (
        f"/api/v1/apprenticeships/{agreement['id']}/tasks/{agreement['tasks'][index]['id']}/{what}"
    )


def sign(client: FlaskClient, people: People, agreement: dict[str, Any], index: int) -> Any:
    return client.post(
        task_path(agreement, index, "sign-off"), json={"comment": "合格"}, headers=people.mentor_h
    )


def history(client: FlaskClient, headers: dict[str, str]) -> list[tuple[str, str]]:
    items = client.get("/api/v1/me/history?limit=200", headers=headers).get_json()["items"]
    return sorted(
        (s["verb"], s["object"]["id"]) for s in items if s["object"]["type"] == "apprenticeship"
    )


def problems(response: Any) -> dict[str, Any]:
    assert response.status_code == 422, response.get_json()
    found: dict[str, Any] = response.get_json()["error"]["details"]["json"]
    return found


def test_an_admin_makes_an_agreement_with_its_tasks(client: FlaskClient, people: People) -> None:
    agreement = create(client, people)
    assert agreement["status"] == "active" and agreement["completed_at"] is None
    assert (agreement["apprentice_id"], agreement["mentor_id"]) == (
        people.apprentice.id,
        people.mentor.id,
    )
    assert agreement["school_mentor_id"] == people.school_mentor.id
    assert (agreement["apprentice_name"], agreement["mentor_name"]) == ("小李", "王师傅")
    assert agreement["school_mentor_name"] == "赵老师"
    assert agreement["organisation_id"] == people.organisation.id
    assert (agreement["occupation"], agreement["skill_level"]) == (OCCUPATION, 4)
    tasks = agreement["tasks"]
    assert [(t["position"], t["title"], t["milestone"]) for t in tasks] == [
        (1, "倒闸操作", True),
        (2, "巡视记录", False),
        (3, "事故处理", True),
    ]
    assert tasks[0]["due_on"] == "2026-06-30" and tasks[1]["description"] == "每周一次"
    assert not any(t["signed_off"] for t in tasks)
    assert agreement["progress"] == {
        "tasks": 3,
        "signed_off": 0,
        "milestones": 2,
        "milestones_signed_off": 0,
        "open_milestones": 2,
    }
    assert history(client, people.apprentice_h) == [("started", str(agreement["id"]))]
    learner_try = client.post(
        "/api/v1/apprenticeships", json=body(people), headers=people.apprentice_h
    )
    assert learner_try.status_code == 403


def test_an_agreement_without_a_school_mentor_or_a_level(
    client: FlaskClient, people: People
) -> None:
    made = client.post(
        "/api/v1/apprenticeships",
        json={
            k: v for k, v in body(people).items() if k not in ("school_mentor_id", "skill_level")
        },
        headers=people.admin_h,
    )
    assert made.status_code == 201, made.get_json()
    assert made.get_json()["school_mentor_id"] is None
    assert made.get_json()["skill_level"] is None


def test_creation_refuses_people_the_admin_does_not_manage_without_telling_who_exists(
    client: FlaskClient, people: People
) -> None:
    outsider = problems(
        client.post(
            "/api/v1/apprenticeships",
            json=body(people, apprentice_id=people.outsider.id),
            headers=people.admin_h,
        )
    )
    nobody = problems(
        client.post(
            "/api/v1/apprenticeships",
            json=body(people, apprentice_id=10**9),
            headers=people.admin_h,
        )
    )
    assert outsider == nobody == {"apprentice_id": [NOT_MANAGED]}  # the same answer
    mentor = problems(
        client.post(
            "/api/v1/apprenticeships",
            json=body(people, mentor_id=people.outsider.id),
            headers=people.admin_h,
        )
    )
    assert mentor == {"mentor_id": [NOT_MANAGED]}
    # a school mentor may be a teacher of a school, not a worker of another enterprise
    school_mentor = problems(
        client.post(
            "/api/v1/apprenticeships",
            json=body(people, school_mentor_id=people.outsider.id),
            headers=people.admin_h,
        )
    )
    assert list(school_mentor) == ["school_mentor_id"]
    # another organisation's admin cannot make one for our people
    theirs = problems(
        client.post("/api/v1/apprenticeships", json=body(people), headers=people.outsider_admin_h)
    )
    assert theirs == {"apprentice_id": [NOT_MANAGED], "mentor_id": [NOT_MANAGED]}
    listed = client.get("/api/v1/apprenticeships", headers=people.admin_h).get_json()
    assert listed["total"] == 0


def test_creation_refuses_the_same_person_twice(client: FlaskClient, people: People) -> None:
    mentor_is_apprentice = problems(
        client.post(
            "/api/v1/apprenticeships",
            json=body(people, mentor_id=people.apprentice.id),
            headers=people.admin_h,
        )
    )
    assert list(mentor_is_apprentice) == ["mentor_id"]
    for same in (people.apprentice.id, people.mentor.id):
        refused = problems(
            client.post(
                "/api/v1/apprenticeships",
                json=body(people, school_mentor_id=same),
                headers=people.admin_h,
            )
        )
        assert list(refused) == ["school_mentor_id"]
    # a colleague the admin manages may be the school mentor (a trainer on the staff)
    create(client, people, school_mentor_id=people.colleague.id)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"ends_on": "2025-12-31"}, "ends_on"),
        ({"ends_on": "2026-01-01"}, "ends_on"),  # ends after it starts, not the same day
        ({"occupation": "9-99-99-99"}, "occupation"),
        ({"skill_level": 6}, "skill_level"),
        ({"tasks": []}, "tasks"),
        ({"tasks": [{"title": "倒闸操作", "due_on": "2027-01-01"}]}, "tasks"),
        ({"salary": 3000}, "salary"),  # unknown fields are refused
        ({"goals": ""}, "goals"),
    ],
)
def test_creation_refuses_bad_dates_and_fields(
    client: FlaskClient, people: People, changes: dict[str, Any], field: str
) -> None:
    refused = problems(
        client.post("/api/v1/apprenticeships", json=body(people, **changes), headers=people.admin_h)
    )
    assert field in refused
    assert client.get("/api/v1/apprenticeships", headers=people.admin_h).get_json()["total"] == 0


def test_the_apprentice_mentors_and_their_admin_see_an_agreement_and_nobody_else(
    client: FlaskClient, people: People
) -> None:
    agreement = create(client, people)
    path = f"/api/v1/apprenticeships/{agreement['id']}"
    for headers in (people.apprentice_h, people.mentor_h, people.school_mentor_h, people.admin_h):
        seen = client.get(path, headers=headers)
        assert seen.status_code == 200 and seen.get_json()["tasks"] == agreement["tasks"]
    missing = client.get("/api/v1/apprenticeships/999999", headers=people.admin_h)
    for headers in (people.colleague_h, people.outsider_admin_h, people.outsider_h):
        hidden = client.get(path, headers=headers)
        assert hidden.status_code == 404
        assert hidden.get_json()["error"]["message"] == missing.get_json()["error"]["message"]
    for headers in (people.apprentice_h, people.mentor_h, people.school_mentor_h):
        mine = client.get("/api/v1/me/apprenticeships", headers=headers).get_json()
        assert [a["id"] for a in mine] == [agreement["id"]]
    assert client.get("/api/v1/me/apprenticeships", headers=people.colleague_h).get_json() == []
    listed = client.get("/api/v1/apprenticeships", headers=people.admin_h).get_json()
    assert [a["id"] for a in listed["items"]] == [agreement["id"]] and listed["total"] == 1
    theirs = client.get("/api/v1/apprenticeships", headers=people.outsider_admin_h).get_json()
    assert theirs["items"] == [] and theirs["total"] == 0
    assert client.get("/api/v1/apprenticeships", headers=people.mentor_h).status_code == 403
    # nor can anyone else act on it: the same 404
    for what, payload in (("note", {"note": "x"}), ("sign-off", {})):
        method = client.put if what == "note" else client.post
        assert (
            method(task_path(agreement, 0, what), json=payload, headers=people.colleague_h)
        ).status_code == 404
    for action, reason in (("complete", None), ("end", {"reason": "x"})):
        acted = client.post(f"{path}/{action}", json=reason, headers=people.outsider_admin_h)
        assert acted.status_code == 404


def test_the_apprentice_writes_notes_until_the_task_is_signed_off(
    client: FlaskClient, people: People
) -> None:
    agreement = create(client, people)
    note = task_path(agreement, 0, "note")
    written = client.put(note, json={"note": "第一次独立操作，顺利"}, headers=people.apprentice_h)
    assert written.status_code == 200, written.get_json()
    assert written.get_json()["apprentice_note"] == "第一次独立操作，顺利"
    assert written.get_json()["noted_at"] is not None
    again = client.put(note, json={"note": "第一次独立操作，顺利"}, headers=people.apprentice_h)
    assert again.get_json()["noted_at"] == written.get_json()["noted_at"]  # a retry: no change
    rewritten = client.put(note, json={"note": "补充：核对了五防"}, headers=people.apprentice_h)
    assert rewritten.get_json()["apprentice_note"] == "补充：核对了五防"
    for headers in (people.mentor_h, people.school_mentor_h, people.admin_h):
        refused = client.put(note, json={"note": "代写"}, headers=headers)
        assert refused.status_code == 403
    assert sign(client, people, agreement, 0).status_code == 200
    late = client.put(note, json={"note": "改一下"}, headers=people.apprentice_h)
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "task_signed_off"
    kept = client.get(f"/api/v1/apprenticeships/{agreement['id']}", headers=people.mentor_h)
    assert kept.get_json()["tasks"][0]["apprentice_note"] == "补充：核对了五防"
    unknown_task = f"/api/v1/apprenticeships/{agreement['id']}/tasks/999999/note"
    assert client.put(
        unknown_task, json={"note": "x"}, headers=people.apprentice_h
    ).status_code == (404)


def test_only_the_enterprise_mentor_signs_off_and_a_second_sign_off_changes_nothing(
    client: FlaskClient, people: People
) -> None:
    agreement = create(client, people)
    path = task_path(agreement, 0, "sign-off")
    for headers in (people.apprentice_h, people.admin_h, people.school_mentor_h):
        refused = client.post(path, json={"comment": "我签"}, headers=headers)
        assert refused.status_code == 403, refused.get_json()
    first = client.post(path, json={"comment": "操作规范"}, headers=people.mentor_h)
    assert first.status_code == 200, first.get_json()
    signed = first.get_json()
    assert signed["signed_off"] and signed["signed_off_by_id"] == people.mentor.id
    assert signed["mentor_comment"] == "操作规范"
    second = client.post(path, json={"comment": "再签一次"}, headers=people.mentor_h)
    assert second.status_code == 200 and second.get_json() == signed
    seen = client.get(f"/api/v1/apprenticeships/{agreement['id']}", headers=people.apprentice_h)
    assert seen.get_json()["progress"]["signed_off"] == 1
    assert seen.get_json()["progress"]["milestones_signed_off"] == 1
    assert history(client, people.apprentice_h) == [
        ("signed_off", str(agreement["id"])),
        ("started", str(agreement["id"])),
    ]


def test_two_sign_offs_at_once_sign_once(app: Flask, client: FlaskClient, people: People) -> None:
    agreement = create(client, people)
    path = task_path(agreement, 1, "sign-off")
    responses = at_once(
        *(
            lambda comment=comment: app.test_client().post(
                path, json={"comment": comment}, headers=people.mentor_h
            )
            for comment in ("甲", "乙")
        )
    )
    assert [r.status_code for r in responses] == [200, 200]
    first, second = (r.get_json() for r in responses)
    assert first["signed_off_at"] == second["signed_off_at"]
    assert first["mentor_comment"] == second["mentor_comment"]


def test_tasks_are_added_by_the_mentor_or_an_admin(client: FlaskClient, people: People) -> None:
    agreement = create(client, people)
    path = f"/api/v1/apprenticeships/{agreement['id']}/tasks"
    by_mentor = client.post(
        path, json={"title": "继电保护校验", "milestone": True}, headers=people.mentor_h
    )
    assert by_mentor.status_code == 201, by_mentor.get_json()
    assert (by_mentor.get_json()["position"], by_mentor.get_json()["milestone"]) == (4, True)
    by_admin = client.post(path, json={"title": "安规考试"}, headers=people.admin_h)
    assert by_admin.status_code == 201 and by_admin.get_json()["position"] == 5
    for headers in (people.apprentice_h, people.school_mentor_h):
        assert client.post(path, json={"title": "自己加"}, headers=headers).status_code == 403
    assert client.post(path, json={"title": "x"}, headers=people.colleague_h).status_code == 404
    late = client.post(path, json={"title": "x", "due_on": "2027-03-01"}, headers=people.admin_h)
    assert "due_on" in problems(late)
    titles = [
        t["title"]
        for t in client.get(
            f"/api/v1/apprenticeships/{agreement['id']}", headers=people.apprentice_h
        ).get_json()["tasks"]
    ]
    assert titles == ["倒闸操作", "巡视记录", "事故处理", "继电保护校验", "安规考试"]


def test_completion_waits_for_every_milestone(client: FlaskClient, people: People) -> None:
    agreement = create(client, people)
    ran_out(agreement)
    path = f"/api/v1/apprenticeships/{agreement['id']}"
    refused = client.post(f"{path}/complete", headers=people.closer_h)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "milestones_open"
    assert [m["title"] for m in refused.get_json()["error"]["details"]["open_milestones"]] == [
        "倒闸操作",
        "事故处理",
    ]
    assert sign(client, people, agreement, 0).status_code == 200
    still = client.post(f"{path}/complete", headers=people.closer_h)
    assert still.status_code == 409
    assert [m["title"] for m in still.get_json()["error"]["details"]["open_milestones"]] == [
        "事故处理"
    ]
    assert "事故处理" in still.get_json()["error"]["message"]
    assert sign(client, people, agreement, 2).status_code == 200
    # the mentor signs, but only an admin of the apprentice closes the agreement
    assert client.post(f"{path}/complete", headers=people.mentor_h).status_code == 403
    done = client.post(f"{path}/complete", headers=people.closer_h)
    assert done.status_code == 200, done.get_json()
    completed = done.get_json()
    assert completed["status"] == "completed" and completed["completed_at"] is not None
    again = client.post(f"{path}/complete", headers=people.closer_h)
    assert (
        again.status_code == 200 and again.get_json()["completed_at"] == completed["completed_at"]
    )
    assert ("completed", str(agreement["id"])) in history(client, people.apprentice_h)
    # a closed agreement takes no more tasks, notes or sign-offs (the task not a milestone)
    closed = [
        client.post(f"{path}/tasks", json={"title": "x"}, headers=people.mentor_h),
        client.put(
            task_path(agreement, 1, "note"), json={"note": "x"}, headers=people.apprentice_h
        ),
        sign(client, people, agreement, 1),
        client.post(f"{path}/end", json={"reason": "x"}, headers=people.admin_h),
    ]
    assert [r.status_code for r in closed] == [409, 409, 409, 409]


def test_an_admin_ends_an_agreement_early_with_a_reason(
    client: FlaskClient, people: People
) -> None:
    agreement = create(client, people)
    path = f"/api/v1/apprenticeships/{agreement['id']}"
    assert "reason" in problems(client.post(f"{path}/end", json={}, headers=people.admin_h))
    assert (
        client.post(f"{path}/end", json={"reason": "x"}, headers=people.apprentice_h).status_code
        == 403
    )
    ended = client.post(f"{path}/end", json={"reason": "调岗"}, headers=people.admin_h)
    assert ended.status_code == 200 and ended.get_json()["status"] == "ended"
    assert ended.get_json()["completed_at"] is None
    again = client.post(f"{path}/end", json={"reason": "再次"}, headers=people.admin_h)
    assert again.status_code == 200 and again.get_json()["status"] == "ended"
    items = client.get("/api/v1/me/history", headers=people.apprentice_h).get_json()["items"]
    assert [s["result"]["reason"] for s in items if s["verb"] == "ended"] == ["调岗"]
    assert client.post(f"{path}/complete", headers=people.closer_h).status_code == 409
    ended_list = client.get("/api/v1/apprenticeships?status=ended", headers=people.admin_h)
    assert [a["id"] for a in ended_list.get_json()["items"]] == [agreement["id"]]
    active = client.get("/api/v1/apprenticeships?status=active", headers=people.admin_h)
    assert active.get_json()["items"] == []


def test_an_admin_does_not_close_their_own_apprenticeship(
    client: FlaskClient,
    people: People,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    apprentice_admin = make_user(Role.ADMIN, organisation=people.organisation)
    agreement = create(client, people, apprentice_id=apprentice_admin.id)
    ran_out(agreement)
    for index in (0, 2):
        assert sign(client, people, agreement, index).status_code == 200
    path = f"/api/v1/apprenticeships/{agreement['id']}/complete"
    own = client.post(path, headers=login(apprentice_admin))
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "four_eyes"
    assert client.post(path, headers=people.closer_h).status_code == 200


def ran_out(agreement: dict[str, Any]) -> None:
    """The agreed duration has run (an agreement completes only then)."""
    row = db.session.get(Apprenticeship, agreement["id"])
    assert row is not None
    row.ends_on = local_day(utcnow()) - timedelta(days=1)
    db.session.commit()


def test_completion_waits_for_the_agreed_duration_and_another_admin(
    client: FlaskClient, people: People, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    agreement = create(client, people)
    for index in (0, 2):
        assert sign(client, people, agreement, index).status_code == 200
    path = f"/api/v1/apprenticeships/{agreement['id']}/complete"
    early = client.post(path, headers=people.closer_h)
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_ended"
    ran_out(agreement)
    # an admin who mentors the apprentice does not close the agreement they signed off
    mentor_admin = make_user(Role.ADMIN, organisation=people.organisation)
    mentored = create(client, people, mentor_id=mentor_admin.id)
    ran_out(mentored)
    for index in (0, 2):
        signed = client.post(
            task_path(mentored, index, "sign-off"),
            json={},
            headers=login(mentor_admin),
        )
        assert signed.status_code == 200, signed.get_json()
    own = client.post(
        f"/api/v1/apprenticeships/{mentored['id']}/complete", headers=login(mentor_admin)
    )
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "four_eyes"
    assert client.post(path, headers=people.closer_h).status_code == 200


def complete_one(client: FlaskClient, people: People, **changes: Any) -> dict[str, Any]:
    agreement = create(client, people, **changes)
    ran_out(agreement)
    for index in (0, 2):
        assert sign(client, people, agreement, index).status_code == 200
    done = client.post(
        f"/api/v1/apprenticeships/{agreement['id']}/complete", headers=people.closer_h
    )
    assert done.status_code == 200, done.get_json()
    return agreement


def test_completed_for_counts_completed_agreements_of_the_occupation_and_level(
    client: FlaskClient, people: People
) -> None:
    occupation = occupation_id(OCCUPATION)
    other = occupation_id(OTHER_OCCUPATION)
    assert occupation is not None and other is not None
    learner = people.apprentice.id
    active = create(client, people)  # level 4, not completed yet
    assert apprenticeships.completed_for(learner, occupation, 4) is None
    ended = create(client, people, skill_level=3)
    client.post(
        f"/api/v1/apprenticeships/{ended['id']}/end", json={"reason": "x"}, headers=people.admin_h
    )
    assert apprenticeships.completed_for(learner, occupation, 3) is None  # ended, not completed

    level_four = complete_one(client, people)
    found = apprenticeships.completed_for(learner, occupation, 4)
    assert found is not None and found.id == level_four["id"] != active["id"]
    assert apprenticeships.completed_for(learner, occupation, 3) is None  # another level
    assert apprenticeships.completed_for(learner, occupation, None) is None  # it names a level
    assert apprenticeships.completed_for(learner, other, 4) is None  # another occupation
    assert apprenticeships.completed_for(people.mentor.id, occupation, 4) is None  # the mentor's

    any_level = complete_one(client, people, occupation=OTHER_OCCUPATION, skill_level=None)
    for level in (1, 3, 5, None):
        counted = apprenticeships.completed_for(learner, other, level)
        assert counted is not None and counted.id == any_level["id"]


def test_mentors_of_names_every_mentor_of_the_apprentice_in_any_state(
    client: FlaskClient, people: People, make_user: Callable[..., User]
) -> None:
    assert apprenticeships.mentors_of(people.apprentice.id) == set()
    first = create(client, people)
    client.post(
        f"/api/v1/apprenticeships/{first['id']}/end", json={"reason": "x"}, headers=people.admin_h
    )
    second_mentor = make_user(Role.LEARNER, organisation=people.organisation)
    create(client, people, mentor_id=second_mentor.id, school_mentor_id=None)
    assert apprenticeships.mentors_of(people.apprentice.id) == {
        people.mentor.id,
        people.school_mentor.id,
        second_mentor.id,
    }
    assert apprenticeships.mentors_of(people.mentor.id) == set()  # a mentor is nobody's apprentice
    assert apprenticeships.mentors_of(people.colleague.id) == set()


def test_without_milestones_every_task_counts_as_one(client: FlaskClient, people: People) -> None:
    agreement = create(client, people, tasks=[{"title": "抄表"}, {"title": "巡视"}])
    ran_out(agreement)
    path = f"/api/v1/apprenticeships/{agreement['id']}/complete"
    assert sign(client, people, agreement, 0).status_code == 200
    refused = client.post(path, headers=people.closer_h)
    assert refused.status_code == 409
    assert [m["title"] for m in refused.get_json()["error"]["details"]["open_milestones"]] == [
        "巡视"
    ]
    assert sign(client, people, agreement, 1).status_code == 200
    assert client.post(path, headers=people.closer_h).get_json()["status"] == "completed"


def test_who_recorded_an_agreement_does_not_close_it(client: FlaskClient, people: People) -> None:
    """An admin recorded a backdated agreement, its mentor signed the one milestone, and the
    same admin closed it as completed within seconds."""
    today = utcnow().date()
    agreement = create(
        client,
        people,
        starts_on=str(today - timedelta(days=340)),
        ends_on=str(today - timedelta(days=5)),
        tasks=[{"title": "倒闸操作", "milestone": True}],
    )
    assert sign(client, people, agreement, 0).status_code == 200
    path = f"/api/v1/apprenticeships/{agreement['id']}/complete"
    own = client.post(path, headers=people.admin_h)
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "four_eyes"
    assert client.post(path, headers=people.closer_h).get_json()["status"] == "completed"
