"""The rules of skill-level evaluation: conflicts of interest, two assessors reconciled,
re-sits of a failed component only, contest results that waive or grant, performance
reviews, plan versions, offline retries, and nothing of another organisation's evaluations."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import av
import pytest
from flask.testing import FlaskClient
from PIL import Image, PngImagePlugin
from sqlalchemy import update

from catalog.accounts.models import Organisation, Role, User
from catalog.banks.models import QuestionHold
from catalog.clock import utcnow
from catalog.database import db
from catalog.evaluation.models import (
    Application,
    Apprenticeship,
    ApprenticeshipStatus,
    Assessment,
)
from catalog.lectures.models import Microlecture
from catalog.quiz.models import QuizTemplate
from catalog.reference.models import Occupation
from tests.support.evaluating import (
    EVALUATION,
    FULL,
    OCCUPATION,
    World,
    build_world,
    complete_course,
)
from tests.support.phone_media import TAKER, WHERE, phone_clip, phone_photo
from tests.support.quizzing import answer_all, template

GRACE_HOURS = 72  # EVALUATION_SYNC_GRACE_HOURS's default


@pytest.fixture
def world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
    make_industry: Callable[..., Any],
) -> World:
    return build_world(client, make_org, make_user, login, make_course, make_industry)


def approved(world: World, **plan: Any) -> int:
    """An approved application of the world's learner under a new published plan."""
    found = world.published_plan(**plan)
    complete_course(world.client, world.learner, world.course)
    application = world.apply(found["id"])
    assert application.status_code == 201, application.get_json()
    world.approve(application.get_json()["id"])
    return int(application.get_json()["id"])


def one_assessor_task(world: World, **plan: Any) -> tuple[int, dict[str, Any]]:
    """An approved application whose practical is assigned to the first assessor; their task."""
    application = approved(world, **plan)
    assert world.assign(application, world.assessors[0]).status_code == 201
    return application, world.task_of(world.assessor_headers[0])


def uploaded(world: World, assessor: dict[str, str], task_id: str, photo: bytes) -> Any:
    """A photo PUT where the assessor's ticket says; the ticket."""
    from tests.support.presigned import call_url

    ticket = world.client.post(
        f"/api/v1/assessments/{task_id}/evidence-upload",
        json={"content_type": "image/png", "size": len(photo)},
        headers=assessor,
    ).get_json()
    assert call_url(world.client.application, "PUT", ticket["url"], photo).status == 200
    return ticket


def mentor_of(world: World, mentor: User, *, days_ago: int, ends_in: int) -> None:
    """An apprenticeship of the world's learner under this mentor, begun ``days_ago`` and
    ending ``ends_in`` days from today (negative: ended)."""
    today = utcnow().date()
    db.session.add(
        Apprenticeship(
            organisation_id=world.org.id,
            apprentice_id=world.learner_user.id,
            mentor_id=mentor.id,
            occupation_id=db.session.scalar(
                db.select(Occupation.id).where(Occupation.code == OCCUPATION)
            ),
            goals="独立值班",
            content="倒闸操作",
            assessment_standard="企业标准",
            starts_on=today - timedelta(days=days_ago),
            ends_on=today + timedelta(days=ends_in),
        )
    )


def another_assessor(world: World) -> User:
    """An assessor of the occupation from a team neither the candidate's nor the others'."""
    assert world.make_user is not None
    third = world.make_user(Role.LEARNER, organisation=world.org)
    third.department_id = world.teams[2].id
    db.session.commit()
    world.client.put(
        f"{EVALUATION}/assessors/{third.id}",
        json={"occupations": [OCCUPATION]},
        headers=world.admin,
    )
    return third


def with_a_review(world: World, *, key: str = "record", pass_mark: int, attempts: int) -> int:
    """An approved application under a plan whose second part is a performance review."""
    components = world.plan_body()["components"]
    components[1] = {
        "key": key,
        "kind": "performance",
        "title": "业绩评审",
        "weight": 60,
        "pass_mark": pass_mark,
        "attempts_allowed": attempts,
    }
    return approved(world, components=components)


def error(response: Any) -> str:
    return str(response.get_json()["error"]["code"])


def result_of(world: World, application_id: int, key: str) -> dict[str, Any]:
    results = world.application(application_id)["results"]
    return dict([r for r in results if r["component_key"] == key][-1])


def test_nobody_assesses_themselves_their_apprentice_or_their_own_team(
    client: FlaskClient, world: World
) -> None:
    application = approved(world)
    assert world.make_user is not None
    # the candidate, bound as an assessor of the occupation
    client.put(
        f"{EVALUATION}/assessors/{world.learner_user.id}",
        json={"occupations": [OCCUPATION]},
        headers=world.admin,
    )
    himself = world.assign(application, world.learner_user)
    assert himself.status_code == 422 and error(himself) == "assessor_refused"
    # a colleague of the candidate's own team
    teammate = world.make_user(Role.LEARNER, organisation=world.org)
    teammate.department_id = world.learner_user.department_id
    db.session.commit()
    client.put(
        f"{EVALUATION}/assessors/{teammate.id}",
        json={"occupations": [OCCUPATION]},
        headers=world.admin,
    )
    same_team = world.assign(application, teammate)
    assert same_team.status_code == 422
    assert "班组" in same_team.get_json()["error"]["details"]["assessor_ids"][str(teammate.id)][0]
    # the candidate's enterprise mentor
    mentor = world.assessors[1]
    mentor_of(world, mentor, days_ago=400, ends_in=-35)
    db.session.commit()
    as_mentor = world.assign(application, mentor)
    assert as_mentor.status_code == 422
    assert "徒弟" in as_mentor.get_json()["error"]["details"]["assessor_ids"][str(mentor.id)][0]
    # someone not bound to the occupation
    stranger = world.make_user(Role.LEARNER, organisation=world.org)
    assert world.assign(application, stranger).status_code == 422
    # nothing was assigned by the refusals; a free assessor is
    assert world.application(application)["results"] == []
    assert world.assign(application, world.assessors[0]).status_code == 201
    # a conflict that arises after the assignment (a move into the candidate's team) takes
    # the candidate off the assessor's list and is refused at submission (a tablet that took
    # the checklist before the move)
    task = world.task_of(world.assessor_headers[0])
    world.assessors[0].department_id = world.learner_user.department_id
    db.session.commit()
    assert client.get("/api/v1/me/assessments", headers=world.assessor_headers[0]).get_json() == []
    late = world.score(world.assessor_headers[0], task["id"], FULL)
    assert late.status_code == 409 and error(late) == "assessor_refused"


def test_two_assessors_close_together_are_averaged_far_apart_call_a_third(
    client: FlaskClient, world: World
) -> None:
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": 10}
    application = approved(world, components=components)
    world.sit_theory(application, right=True)
    one, two = world.assessors
    assert world.assign(application, one).status_code == 422  # two are required
    assert world.assign(application, one, two).status_code == 201
    first, second = (world.task_of(h) for h in world.assessor_headers)
    world.score(
        world.assessor_headers[0], first["id"], {"ticket": 30, "sequence": 50, "report": 20}
    )
    assert result_of(world, application, "practical")["status"] == "pending"  # waits for both
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 10, "sequence": 40, "report": 20}
    )
    disputed = result_of(world, application, "practical")
    assert disputed["status"] == "disputed" and disputed["score"] is None  # 100 vs 70
    # a third assessor, from another team, settles it with the median
    third = another_assessor(world)
    assert world.assign(application, one).status_code == 422  # already assessing it
    assert world.assign(application, third).status_code == 201
    third_h = world.login(third)
    task = world.task_of(third_h)
    world.score(third_h, task["id"], {"ticket": 25, "sequence": 45, "report": 15})  # 85
    settled = result_of(world, application, "practical")
    assert settled["status"] == "passed" and settled["score"] == 85
    assert world.application(application)["status"] == "certified"


def test_two_assessors_within_the_gap_and_a_critical_item_either_failed(world: World) -> None:
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": 10}
    application = approved(world, components=components)
    world.sit_theory(application, right=True)
    world.assign(application, *world.assessors)
    first, second = (world.task_of(h) for h in world.assessor_headers)
    world.score(
        world.assessor_headers[0], first["id"], {"ticket": 30, "sequence": 50, "report": 20}
    )
    world.score(
        world.assessor_headers[1],
        second["id"],
        {"ticket": 25, "sequence": 50, "report": 20},
        sequence_passed=False,
    )
    result = result_of(world, application, "practical")
    assert result["status"] == "failed" and result["score"] == 97.5  # the mean, and vetoed


def test_a_failed_component_is_re_sat_alone_until_its_attempts_run_out(
    client: FlaskClient, world: World
) -> None:
    components = world.plan_body()["components"]
    components[0]["attempts_allowed"] = 2
    application = approved(world, components=components)
    world.assign(application, world.assessors[0])
    task = world.task_of(world.assessor_headers[0])
    world.score(world.assessor_headers[0], task["id"], FULL)
    assert result_of(world, application, "practical")["status"] == "passed"
    # the practical is done: it is not assessed again
    again = world.assign(application, world.assessors[1])
    assert again.status_code == 409 and error(again) == "already_passed"
    world.sit_theory(application, right=False)
    assert result_of(world, application, "theory")["status"] == "failed"
    assert world.application(application)["status"] == "approved"
    resit = world.sit_theory(application, right=True)  # the second attempt
    assert resit["attempt"] == 2 and resit["result"]["passed"] is True
    after = world.application(application)
    assert after["status"] == "certified"
    assert [(r["component_key"], r["attempt"], r["status"]) for r in after["results"]] == [
        ("practical", 1, "passed"),
        ("theory", 1, "failed"),
        ("theory", 2, "passed"),
    ]


def test_no_attempt_left_fails_the_application(client: FlaskClient, world: World) -> None:
    components = world.plan_body()["components"]
    components[0]["attempts_allowed"] = 1
    application = approved(world, components=components)
    world.sit_theory(application, right=False)
    assert world.application(application)["status"] == "failed"
    refused = client.post(
        f"{EVALUATION}/applications/{application}/theory-sessions",
        json={"component": "theory"},
        headers=world.learner,
    )
    assert refused.status_code == 409 and error(refused) == "not_sitting"


def test_re_sits_end_with_the_plans_validity(client: FlaskClient, world: World) -> None:
    application = approved(world)
    world.sit_theory(application, right=False)
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()

    def re_sit() -> Any:
        return client.post(
            f"{EVALUATION}/applications/{application}/theory-sessions",
            json={"component": "theory"},
            headers=world.learner,
        )

    # nothing new starts once the validity has ended ...
    late = re_sit()
    assert late.status_code == 409 and error(late) == "validity_ended"
    # ... and once the sync grace for offline scorings is over too, the application lapses
    assert world.application(application)["status"] == "approved"
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(hours=GRACE_HOURS, minutes=1)
    db.session.commit()
    later = re_sit()
    assert later.status_code == 409 and error(later) == "not_sitting"
    assert world.application(application)["status"] == "lapsed"


def contest(world: World, *, learner_wins: bool, everyone_fails: bool = False) -> int:
    """A closed contest of the organisation where the learner ranks first (or last); with
    ``everyone_fails``, both entries fail (the learner still first, on time)."""
    now = utcnow()
    contest_id = template(
        world.client,
        {"editor": world.editor, **world.bank},
        title="变配电技能竞赛",
        mode="contest",
        opens_at=(now - timedelta(minutes=1)).isoformat(),
        closes_at=(now + timedelta(hours=1)).isoformat(),
    ).get_json()["id"]
    assert world.make_user is not None and world.login is not None
    rival = world.login(world.make_user(Role.LEARNER, organisation=world.org))
    entries = ((world.learner, learner_wins), (rival, not learner_wins))
    if everyone_fails:
        entries = ((world.learner, False), (rival, False))
    for headers, right in entries:
        entry = world.client.post(
            f"/api/v1/quiz-templates/{contest_id}/sessions", headers=headers
        ).get_json()
        answer_all(world.client, {"learner": headers}, entry, right=right)
        world.client.post(f"/api/v1/quiz-sessions/{entry['id']}/submit", headers=headers)
    over = utcnow() - timedelta(seconds=1)
    db.session.execute(
        db.update(QuizTemplate).where(QuizTemplate.id == contest_id).values(closes_at=over)
    )
    db.session.execute(db.update(QuestionHold).values(until=over))
    db.session.commit()
    return int(contest_id)


def test_a_contest_rank_waives_the_components_its_band_names(world: World) -> None:
    contest_id = contest(world, learner_wins=True)
    links = [{"template_id": contest_id, "rank_from": 1, "rank_to": 3, "waives": ["practical"]}]
    application = approved(world, contest_links=links)
    waived = result_of(world, application, "practical")
    assert waived["status"] == "waived" and waived["source_type"] == "contest"
    assert world.application(application)["status"] == "approved"  # the theory still counts
    world.sit_theory(application, right=True)
    done = world.application(application)
    assert done["status"] == "certified" and done["total_score"] == 76.0  # 40×100 + 60×60


def test_a_contest_rank_outside_the_band_waives_nothing(world: World) -> None:
    contest_id = contest(world, learner_wins=False)
    links = [{"template_id": contest_id, "rank_from": 1, "rank_to": 1, "grants_level": True}]
    application = approved(world, contest_links=links)
    assert world.application(application)["results"] == []


def test_a_contest_band_may_grant_the_level_at_approval(client: FlaskClient, world: World) -> None:
    contest_id = contest(world, learner_wins=True)
    links = [{"template_id": contest_id, "rank_from": 1, "rank_to": 1, "grants_level": True}]
    application = approved(world, contest_links=links)
    done = world.application(application)
    assert done["status"] == "certified" and {r["status"] for r in done["results"]} == {"waived"}
    [certificate] = client.get("/api/v1/me/certificates", headers=world.learner).get_json()
    assert certificate["source"] == "evaluation"


def test_a_performance_review_is_scored_by_an_admin_with_its_evidence(
    client: FlaskClient, world: World
) -> None:
    components = [
        {
            "key": "theory",
            "kind": "theory",
            "title": "理论",
            "weight": 50,
            "template_id": world.exam,
        },
        {
            "key": "record",
            "kind": "performance",
            "title": "业绩评审",
            "weight": 50,
            "pass_mark": 70,
        },
    ]
    application = approved(world, components=components)
    body = {"component": "record", "score": 65, "evidence": "三年无差错值班记录"}
    by_learner = client.post(
        f"{EVALUATION}/applications/{application}/performance", json=body, headers=world.learner
    )
    assert by_learner.status_code == 403
    low = client.post(
        f"{EVALUATION}/applications/{application}/performance", json=body, headers=world.admin
    )
    assert low.status_code == 201 and low.get_json()["status"] == "failed"
    high = client.post(
        f"{EVALUATION}/applications/{application}/performance",
        json={**body, "score": 88},
        headers=world.admin,
    )
    assert high.get_json()["status"] == "passed" and high.get_json()["attempt"] == 2
    wrong_kind = client.post(
        f"{EVALUATION}/applications/{application}/performance",
        json={**body, "component": "theory"},
        headers=world.admin,
    )
    assert wrong_kind.status_code == 422


def test_an_application_keeps_the_plan_version_it_started_under(
    client: FlaskClient, world: World
) -> None:
    application = approved(world)
    plan_id = world.application(application)["plan"]["id"]
    published = client.put(
        f"{EVALUATION}/plans/{plan_id}", json=world.plan_body(title="改"), headers=world.admin
    )
    assert published.status_code == 409 and error(published) == "not_draft"
    draft = client.post(f"{EVALUATION}/plans/{plan_id}/versions", headers=world.admin).get_json()
    assert draft["version"] == 2 and draft["status"] == "draft"
    components = world.plan_body()["components"]
    components[1]["pass_mark"] = 95
    changed = client.put(
        f"{EVALUATION}/plans/{draft['id']}",
        json=world.plan_body(components=components),
        headers=world.admin,
    )
    assert changed.status_code == 200, changed.get_json()
    client.post(f"{EVALUATION}/plans/{draft['id']}/publish", headers=world.admin)
    old = client.get(f"{EVALUATION}/plans/{plan_id}", headers=world.admin).get_json()
    assert old["status"] == "retired"
    # the application under version 1 is scored by version 1's pass mark (80 passes there)
    world.sit_theory(application, right=True)
    world.assign(application, world.assessors[0])
    task = world.task_of(world.assessor_headers[0])
    world.score(world.assessor_headers[0], task["id"], {"ticket": 20, "sequence": 50, "report": 10})
    assert world.application(application)["status"] == "certified"
    # a learner reads only published versions
    listed = client.get(f"{EVALUATION}/plans", headers=world.learner).get_json()
    assert [(p["version"], p["status"]) for p in listed] == [(2, "published")]


def test_an_offline_scoring_is_synced_once(client: FlaskClient, world: World) -> None:
    application, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    incomplete = world.score(assessor, task["id"], {"ticket": 30, "sequence": 50})
    assert incomplete.status_code == 422
    assert "report" in incomplete.get_json()["error"]["details"]["items"]
    too_many = world.score(assessor, task["id"], {**FULL, "ticket": 31})
    assert too_many.status_code == 422
    # another assessor cannot submit it, nor learn it exists
    other = world.score(world.assessor_headers[1], task["id"], FULL)
    assert other.status_code == 404
    foreign_key = world.score(assessor, task["id"], FULL, evidence=["evaluation/x/evidence-1"])
    assert foreign_key.status_code == 422
    first = world.score(assessor, task["id"], FULL, client_id="tablet-1-aaaa")
    assert first.status_code == 200
    changed = world.score(assessor, task["id"], {**FULL, "report": 10}, client_id="tablet-1-aaaa")
    assert changed.status_code == 409 and error(changed) == "client_id_reused"
    second = world.score(assessor, task["id"], FULL, client_id="tablet-1-bbbb")
    assert second.status_code == 409 and error(second) == "already_submitted"
    # the device's time is bounded by the server's: never before the assignment
    scored = client.get(
        f"{EVALUATION}/applications/{application}/assessments", headers=world.admin
    ).get_json()[0]
    assert scored["scored_at"] >= scored["assigned_at"]
    assert client.get("/api/v1/me/assessments", headers=assessor).get_json() == []


def test_evidence_is_a_photo_or_a_clip_checked_by_its_bytes(world: World) -> None:
    from tests.support.presigned import call_url

    _, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    refused = world.client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "application/pdf", "size": 100},
        headers=assessor,
    )
    assert refused.status_code == 415
    ticket = world.client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "image/png", "size": 40},
        headers=assessor,
    ).get_json()
    script = b"<script>alert(1)</script>" + b" " * 15
    assert call_url(world.client.application, "PUT", ticket["url"], script).status == 200
    swapped = world.score(assessor, task["id"], FULL, evidence=[ticket["key"]])
    assert swapped.status_code == 415
    assert swapped.get_json()["error"]["details"]["key"] == ticket["key"]  # the device drops it
    missing = world.score(assessor, task["id"], FULL, evidence=[ticket["key"][:-2] + "00"])
    assert missing.status_code == 422


def test_nothing_of_another_organisations_evaluations_is_visible(
    client: FlaskClient,
    world: World,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
) -> None:
    application = approved(world)
    plan_id = world.application(application)["plan"]["id"]
    other = make_org(code="other-co")
    outsider_admin = login(make_user(Role.ADMIN, organisation=other))
    outsider = login(make_user(Role.LEARNER, organisation=other))
    for headers in (outsider_admin, outsider):
        assert client.get(f"{EVALUATION}/plans/{plan_id}", headers=headers).status_code == 404
        assert client.get(f"{EVALUATION}/plans", headers=headers).get_json() == []
        assert world.apply(plan_id, headers).status_code == 404
        for path in ("", "/history", "/assessments"):
            found = client.get(f"{EVALUATION}/applications/{application}{path}", headers=headers)
            assert found.status_code == 404
    listed = client.get(f"{EVALUATION}/applications", headers=outsider_admin).get_json()
    assert listed["total"] == 0
    assert (
        client.post(
            f"{EVALUATION}/applications/{application}/approve", json={}, headers=outsider_admin
        ).status_code
        == 404
    )
    # a colleague of the same organisation sees neither the application nor the checklist
    colleague = login(make_user(Role.LEARNER, organisation=world.org))
    assert (
        client.get(f"{EVALUATION}/applications/{application}", headers=colleague).status_code == 404
    )
    plan = client.get(f"{EVALUATION}/plans/{plan_id}", headers=colleague).get_json()
    assert "checklist" not in str(plan) and "ticket" not in str(plan)
    # an admin of another organisation cannot bind our people as assessors
    bound = client.put(
        f"{EVALUATION}/assessors/{world.assessors[0].id}",
        json={"occupations": [OCCUPATION]},
        headers=outsider_admin,
    )
    assert bound.status_code == 404
    report = client.get("/api/v1/reports/evaluations", headers=outsider_admin).get_json()
    assert report == {"applications": {}, "components": [], "certificates": []}


def test_admins_decide_applications_but_never_their_own(
    client: FlaskClient, world: World, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    plan = world.published_plan()
    admin_user = make_user(Role.ADMIN, Role.LEARNER, organisation=world.org)
    admin = login(admin_user)
    complete_course(client, admin, world.course)
    mine = world.apply(plan["id"], admin).get_json()
    own = client.post(f"{EVALUATION}/applications/{mine['id']}/approve", json={}, headers=admin)
    assert own.status_code == 403 and error(own) == "four_eyes"
    complete_course(client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()
    rejected = client.post(
        f"{EVALUATION}/applications/{application['id']}/reject",
        json={"note": "本年度名额已满"},
        headers=world.admin,
    )
    assert rejected.get_json()["status"] == "rejected"
    again = client.post(
        f"{EVALUATION}/applications/{application['id']}/approve", json={}, headers=world.admin
    )
    assert again.status_code == 409 and error(again) == "already_decided"
    # a rejected learner applies again later
    assert world.apply(plan["id"]).get_json()["id"] != application["id"]


def test_the_lower_level_certificate_must_have_been_held_long_enough(
    client: FlaskClient, world: World
) -> None:
    plan = world.published_plan(required_certificate_years=2)
    complete_course(client, world.learner, world.course)
    refused = world.apply(plan["id"])
    assert [u["code"] for u in refused.get_json()["error"]["details"]["unmet"]] == [
        "lower_level_certificate"
    ]
    from catalog.credits.models import Certificate, CertificateSource

    occupation = db.session.scalar(db.select(Occupation.id).where(Occupation.code == OCCUPATION))
    held = Certificate(
        user_id=world.learner_user.id,
        source=CertificateSource.REGISTERED,
        occupation_id=occupation,
        skill_level=5,
        issued_on=utcnow().date() - timedelta(days=400),
        verification_code="A1B2C3D4E5F6",
    )
    db.session.add(held)
    db.session.commit()
    assert world.apply(plan["id"]).status_code == 422  # a year is not two
    held.issued_on = utcnow().date() - timedelta(days=800)
    db.session.commit()
    assert world.apply(plan["id"]).status_code == 201


def test_a_completed_apprenticeship_is_a_prerequisite_and_a_component(
    client: FlaskClient, world: World
) -> None:
    components = world.plan_body()["components"]
    components[1] = {
        "key": "apprentice",
        "kind": "apprenticeship",
        "title": "学徒培养",
        "weight": 60,
    }
    plan = world.published_plan(requires_apprenticeship=True, components=components)
    complete_course(client, world.learner, world.course)
    refused = world.apply(plan["id"])
    assert [u["code"] for u in refused.get_json()["error"]["details"]["unmet"]] == [
        "apprenticeship_not_completed"
    ]
    agreement = Apprenticeship(
        organisation_id=world.org.id,
        apprentice_id=world.learner_user.id,
        mentor_id=world.assessors[0].id,
        occupation_id=db.session.scalar(
            db.select(Occupation.id).where(Occupation.code == OCCUPATION)
        ),
        goals="独立值班",
        content="倒闸操作",
        assessment_standard="企业标准",
        starts_on=utcnow().date() - timedelta(days=400),
        ends_on=utcnow().date() - timedelta(days=35),
        status=ApprenticeshipStatus.COMPLETED,
        completed_at=utcnow(),
    )
    db.session.add(agreement)
    db.session.commit()
    application = world.apply(plan["id"]).get_json()
    world.approve(application["id"])
    assert result_of(world, application["id"], "apprentice")["status"] == "passed"
    world.sit_theory(application["id"], right=True)
    assert world.application(application["id"])["status"] == "certified"


def test_the_report_counts_applications_pass_rates_and_certificates(
    client: FlaskClient, world: World
) -> None:
    application = approved(world)
    world.sit_theory(application, right=False)
    world.sit_theory(application, right=True)
    world.assign(application, world.assessors[0])
    task = world.task_of(world.assessor_headers[0])
    world.score(world.assessor_headers[0], task["id"], FULL)
    report = client.get("/api/v1/reports/evaluations", headers=world.admin).get_json()
    assert report["applications"] == {"certified": 1}
    theory = next(c for c in report["components"] if c["component"] == "theory")
    assert (theory["sat"], theory["passed"], theory["pass_rate"]) == (2, 1, 0.5)
    assert theory["occupation"] == OCCUPATION and theory["skill_level"] == 4
    [month] = report["certificates"]
    assert month["certificates"] == 1 and month["period"] == utcnow().strftime("%Y-%m")
    assert client.get("/api/v1/reports/evaluations", headers=world.learner).status_code == 403


def test_an_assessor_unbound_after_the_assignment_cannot_submit(
    client: FlaskClient, world: World
) -> None:
    application = approved(world)
    world.assign(application, world.assessors[0])
    listed = client.get(f"{EVALUATION}/assessors", headers=world.admin).get_json()
    assert {(a["user_id"], a["occupation"]) for a in listed} == {
        (a.id, OCCUPATION) for a in world.assessors
    }
    task = world.task_of(world.assessor_headers[0])
    unbound = client.put(
        f"{EVALUATION}/assessors/{world.assessors[0].id}",
        json={"occupations": []},
        headers=world.admin,
    )
    assert unbound.status_code == 200 and unbound.get_json() == []
    refused = world.score(world.assessor_headers[0], task["id"], FULL)
    assert refused.status_code == 409 and error(refused) == "assessor_refused"


def test_applications_past_their_validity_lapse_on_schedule(world: World) -> None:
    from catalog.evaluation.results import lapse_overdue

    application = approved(world)
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(minutes=1)
    db.session.commit()
    assert lapse_overdue() == 0  # offline scorings made in time may still arrive
    row.valid_until = utcnow() - timedelta(hours=GRACE_HOURS, minutes=1)
    db.session.commit()
    assert lapse_overdue() == 1
    db.session.expire_all()
    assert db.session.get(Application, application).status.value == "lapsed"
    assert lapse_overdue() == 0


# --- what an attacker tried (issue 21's review) ----------------------------------------------


def test_one_open_application_per_occupation_and_level_whatever_the_plan(
    client: FlaskClient, world: World
) -> None:
    first = world.published_plan()
    second = world.published_plan(code="bpd-4-b", title="另一个四级方案")
    complete_course(client, world.learner, world.course)
    assert world.apply(first["id"]).status_code == 201
    twice = world.apply(second["id"])
    assert twice.status_code == 409 and error(twice) == "already_applying"


def test_a_contest_entry_that_failed_waives_nothing_whatever_its_rank(world: World) -> None:
    contest_id = contest(world, learner_wins=True, everyone_fails=True)
    links = [{"template_id": contest_id, "rank_from": 1, "rank_to": 5, "grants_level": True}]
    application = approved(world, contest_links=links)
    assert world.application(application)["results"] == []
    assert world.application(application)["status"] == "approved"


def test_a_level_exam_never_shows_its_key_not_even_after_a_failed_sitting(
    client: FlaskClient, world: World
) -> None:
    revealing = template(
        client,
        {"editor": world.editor, **world.bank},
        title="公布答案的考试",
        mode="exam",
        feedback_policy="after_submit",
    ).get_json()["id"]
    components = world.plan_body()["components"]
    components[0]["template_id"] = revealing
    created = client.post(
        f"{EVALUATION}/plans", json=world.plan_body(components=components), headers=world.admin
    )
    assert created.status_code == 422
    assert "never" in str(created.get_json()["error"]["details"])
    application = approved(world)
    failed = world.sit_theory(application, right=False)
    shown = client.get(f"/api/v1/quiz-sessions/{failed['id']}", headers=world.learner).get_json()
    assert all(i["answer"] is None and i["explanation"] is None for i in shown["items"])


def test_an_admin_neither_picks_the_assessors_of_their_own_application_nor_appoints_themselves(
    client: FlaskClient, world: World, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    plan = world.published_plan()
    candidate_admin = make_user(Role.ADMIN, organisation=world.org)
    candidate_admin.department_id = world.teams[0].id
    db.session.commit()
    headers = login(candidate_admin)
    complete_course(client, headers, world.course)
    application = world.apply(plan["id"], headers).get_json()["id"]
    world.approve(application)  # by another admin
    own = client.post(
        f"{EVALUATION}/applications/{application}/assessments",
        json={"component": "practical", "assessor_ids": [world.assessors[0].id]},
        headers=headers,
    )
    assert own.status_code == 403 and error(own) == "four_eyes"
    myself = client.put(
        f"{EVALUATION}/assessors/{candidate_admin.id}",
        json={"occupations": [OCCUPATION]},
        headers=headers,
    )
    assert myself.status_code == 403 and error(myself) == "four_eyes"


def test_a_practical_attempt_that_cannot_finish_is_voided_and_assigned_again(
    client: FlaskClient, world: World
) -> None:
    components = world.plan_body()["components"]
    components[1]["attempts_allowed"] = 1
    application = approved(world, components=components)
    world.assign(application, world.assessors[0])
    client.put(
        f"{EVALUATION}/assessors/{world.assessors[0].id}",
        json={"occupations": []},
        headers=world.admin,
    )
    stuck = world.assign(application, world.assessors[1])
    assert stuck.status_code == 409 and error(stuck) == "in_progress"
    path = f"{EVALUATION}/applications/{application}/void-attempt"
    by_learner = client.post(
        path, json={"component": "practical", "reason": "x"}, headers=world.learner
    )
    assert by_learner.status_code == 403
    voided = client.post(
        path, json={"component": "practical", "reason": "考评员调离"}, headers=world.admin
    )
    assert voided.status_code == 200 and voided.get_json()["status"] == "void"
    assert client.get("/api/v1/me/assessments", headers=world.assessor_headers[0]).get_json() == []
    again = world.assign(application, world.assessors[1])  # the one attempt allowed is still there
    assert again.status_code == 201 and again.get_json()["attempt"] == 2
    task = world.task_of(world.assessor_headers[1])
    assert world.score(world.assessor_headers[1], task["id"], FULL).status_code == 200
    assert result_of(world, application, "practical")["status"] == "passed"
    nothing = client.post(path, json={"component": "practical", "reason": "x"}, headers=world.admin)
    assert nothing.status_code == 409


def test_a_client_id_of_another_assessment_is_refused_not_a_crash(world: World) -> None:
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": 0}
    application = approved(world, components=components)
    world.assign(application, *world.assessors)
    first, second = (world.task_of(h) for h in world.assessor_headers)
    assert (
        world.score(
            world.assessor_headers[0], first["id"], FULL, client_id="shared-0001"
        ).status_code
        == 200
    )
    reused = world.score(world.assessor_headers[1], second["id"], FULL, client_id="shared-0001")
    assert reused.status_code == 409 and error(reused) == "client_id_reused"
    # a gap of 0 means what it says: one point apart calls a third
    near = world.score(world.assessor_headers[1], second["id"], {**FULL, "report": 19})
    assert near.status_code == 200
    assert result_of(world, application, "practical")["status"] == "disputed"


def test_a_workshop_admin_does_not_write_the_organisations_plans(
    client: FlaskClient, world: World, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    plan = world.published_plan()
    scoped = make_user(Role.ADMIN, organisation=world.org)
    scoped.admin_scope_id = world.teams[0].id
    db.session.commit()
    headers = login(scoped)
    for method, path in (
        ("post", f"{EVALUATION}/plans/{plan['id']}/retire"),
        ("post", f"{EVALUATION}/plans/{plan['id']}/versions"),
    ):
        refused = getattr(client, method)(path, headers=headers)
        assert refused.status_code == 403 and error(refused) == "organisation_admins_only"
    created = client.post(f"{EVALUATION}/plans", json=world.plan_body(code="mine"), headers=headers)
    assert created.status_code == 403


def test_the_head_of_a_workshop_does_not_assess_its_teams_nor_a_fellow_candidate(
    client: FlaskClient, world: World, make_user: Callable[..., User], login: Callable[..., Any]
) -> None:
    from tests.support.evaluating import team

    workshop = team(world.org, "运行车间")
    below = world.teams[0]
    below.parent_id, below.path = workshop.id, f"{workshop.path}{below.id}/"
    head = make_user(Role.LEARNER, organisation=world.org)
    head.department_id = workshop.id
    db.session.commit()
    client.put(
        f"{EVALUATION}/assessors/{head.id}", json={"occupations": [OCCUPATION]}, headers=world.admin
    )
    plan = world.published_plan()
    complete_course(client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()["id"]
    world.approve(application)
    refused = world.assign(application, head)
    assert refused.status_code == 422 and "班组" in str(refused.get_json()["error"]["details"])
    # an assessor with an application of their own in the occupation would read its checklist
    fellow = world.assessors[0]
    fellow_h = world.assessor_headers[0]
    complete_course(client, fellow_h, world.course)
    assert world.apply(plan["id"], fellow_h).status_code == 201
    applying = world.assign(application, fellow)
    assert applying.status_code == 422 and "申报" in str(applying.get_json()["error"]["details"])


def test_a_report_period_that_ends_before_it_starts_is_refused(
    client: FlaskClient, world: World
) -> None:
    refused = client.get(
        "/api/v1/reports/evaluations?from=2026-06-01&to=2026-05-01", headers=world.admin
    )
    assert refused.status_code == 422


# --- what an attacker tried in the second round (issue 21) -----------------------------------


def two_assessor_dispute(world: World) -> tuple[int, dict[str, Any]]:
    """An approved application whose practical is disputed: 100 against 70, gap 10."""
    components = world.plan_body()["components"]
    components[1] |= {"assessors": 2, "max_gap": 10}
    application = approved(world, components=components)
    one, two = world.assessors
    assert world.assign(application, one, two).status_code == 201
    first, second = (world.task_of(h) for h in world.assessor_headers)
    world.score(world.assessor_headers[0], first["id"], FULL)
    return application, second


def settled_by_a_third(world: World) -> int:
    """A practical scored 100 and 70 (disputed), then 85 by a third assessor: decided."""
    application, second = two_assessor_dispute(world)
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 10, "sequence": 40, "report": 20}
    )
    third = another_assessor(world)
    assert world.assign(application, third).status_code == 201
    third_h = world.login(third)
    world.score(third_h, world.task_of(third_h)["id"], {"ticket": 30, "sequence": 50, "report": 5})
    return application


def test_a_scored_attempt_is_never_voided_away(client: FlaskClient, world: World) -> None:
    """An admin voided a disputed attempt (and one half-scored) to wipe a score they disliked;
    a third assessor settles a dispute instead."""
    application, second = two_assessor_dispute(world)
    path = f"{EVALUATION}/applications/{application}/void-attempt"
    half = client.post(path, json={"component": "practical", "reason": "重考"}, headers=world.admin)
    assert half.status_code == 409 and error(half) == "already_scored"
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 10, "sequence": 40, "report": 20}
    )
    assert result_of(world, application, "practical")["status"] == "disputed"
    disputed = client.post(
        path, json={"component": "practical", "reason": "重考"}, headers=world.admin
    )
    assert disputed.status_code == 409 and error(disputed) == "already_scored"
    assert result_of(world, application, "practical")["status"] == "disputed"


def test_no_evidence_is_stored_for_a_closed_assessment(client: FlaskClient, world: World) -> None:
    components = world.plan_body()["components"]
    components[1]["attempts_allowed"] = 2
    application = approved(world, components=components)
    world.assign(application, world.assessors[0])
    assessor = world.assessor_headers[0]
    task = world.task_of(assessor)
    client.post(
        f"{EVALUATION}/applications/{application}/void-attempt",
        json={"component": "practical", "reason": "考评员调离"},
        headers=world.admin,
    )
    late = client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "image/png", "size": 40},
        headers=assessor,
    )
    assert late.status_code == 409 and error(late) == "decided"


def test_a_scoring_made_offline_in_time_counts_when_it_syncs_after_the_validity(
    client: FlaskClient, world: World
) -> None:
    """The tablet scored in the workshop before the validity ended and synced the next
    morning: the application had lapsed and the candidate's passed practical was voided."""
    application = approved(world)
    world.sit_theory(application, right=True)
    world.assign(application, world.assessors[0])
    assessor = world.assessor_headers[0]
    task = world.task_of(assessor)
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(minutes=5)  # scored 10 minutes ago, in time
    db.session.execute(  # assigned the hour before
        update(Assessment)
        .where(Assessment.id == task["id"])
        .values(assigned_at=utcnow() - timedelta(hours=1))
    )
    db.session.commit()
    synced = world.score(assessor, task["id"], FULL)
    assert synced.status_code == 200, synced.get_json()
    assert world.application(application)["status"] == "certified"


def test_a_scoring_dated_after_the_validity_is_refused_and_nothing_new_starts(
    client: FlaskClient, world: World
) -> None:
    application, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(minutes=20)  # scored 10 minutes ago: too late
    db.session.commit()
    late = world.score(assessor, task["id"], FULL)
    assert late.status_code == 409 and error(late) == "validity_ended"
    theory = client.post(
        f"{EVALUATION}/applications/{application}/theory-sessions",
        json={"component": "theory"},
        headers=world.learner,
    )
    assert theory.status_code == 409 and error(theory) == "validity_ended"


def test_at_lapse_an_undecided_attempt_is_named_with_its_scorings(world: World) -> None:
    from catalog.evaluation.models import ApplicationEvent
    from catalog.evaluation.results import lapse_overdue

    application, _ = two_assessor_dispute(world)  # one of two assessors has scored
    row = db.session.get(Application, application)
    assert row is not None
    row.valid_until = utcnow() - timedelta(hours=GRACE_HOURS, minutes=1)
    db.session.commit()
    assert lapse_overdue() == 1
    [lapsed] = db.session.scalars(
        db.select(ApplicationEvent).where(
            ApplicationEvent.application_id == application, ApplicationEvent.kind == "lapsed"
        )
    ).all()
    assert lapsed.detail == {"voided": [{"component": "practical", "attempt": 1, "scored": 1}]}


def test_a_performance_review_sent_twice_is_recorded_once(
    client: FlaskClient, world: World
) -> None:
    """A double tap on 提交 recorded two failed reviews and used up the candidate's re-sit."""
    application = with_a_review(world, pass_mark=70, attempts=2)
    path = f"{EVALUATION}/applications/{application}/performance"
    body = {"component": "record", "score": 65, "evidence": "值班记录", "client_id": "review-0001"}
    first = client.post(path, json=body, headers=world.admin)
    again = client.post(path, json=body, headers=world.admin)
    assert first.status_code == again.status_code == 201
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post(path, json={**body, "score": 90}, headers=world.admin)
    assert other.status_code == 409 and error(other) == "client_id_reused"
    re_sit = client.post(
        path, json={**body, "score": 90, "client_id": "review-0002"}, headers=world.admin
    )
    assert re_sit.status_code == 201 and re_sit.get_json()["attempt"] == 2
    assert re_sit.get_json()["status"] == "passed"


def test_an_admin_does_not_decide_for_their_apprentice_or_teammate(
    client: FlaskClient, world: World
) -> None:
    """A team's admin approved a teammate and recorded their performance score; a mentor who
    is an admin voided and assigned their apprentice's assessors."""
    assert world.make_user is not None and world.login is not None
    plan = world.published_plan()
    complete_course(client, world.learner, world.course)
    application = world.apply(plan["id"]).get_json()["id"]
    teammate_admin = world.make_user(Role.ADMIN, organisation=world.org)
    teammate_admin.department_id = world.teams[0].id  # the candidate's own team
    mentor_admin = world.make_user(Role.ADMIN, organisation=world.org)
    mentor_of(world, mentor_admin, days_ago=30, ends_in=300)
    db.session.commit()
    base = f"{EVALUATION}/applications/{application}"
    for admin_user, reason in ((teammate_admin, "same_team"), (mentor_admin, "mentor")):
        headers = world.login(admin_user)
        acts = {
            "approve": client.post(f"{base}/approve", json={}, headers=headers),
            "reject": client.post(f"{base}/reject", json={"note": "不批"}, headers=headers),
        }
        for act, response in acts.items():
            assert response.status_code == 403, (act, response.get_json())
            assert error(response) == "conflict_of_interest"
            assert response.get_json()["error"]["details"] == {"reason": reason}
    world.approve(application)  # another admin decides
    for admin_user in (teammate_admin, mentor_admin):
        headers = world.login(admin_user)
        acts = {
            "assign": client.post(
                f"{base}/assessments",
                json={"component": "practical", "assessor_ids": [world.assessors[0].id]},
                headers=headers,
            ),
            "void": client.post(
                f"{base}/void-attempt",
                json={"component": "practical", "reason": "x"},
                headers=headers,
            ),
        }
        for act, response in acts.items():
            assert response.status_code == 403, (act, response.get_json())
            assert error(response) == "conflict_of_interest"
    assert world.application(application)["status"] == "approved"


# --- what an attacker tried in the third round (issue 21) ------------------------------------


def test_an_assessor_who_cannot_go_on_is_replaced_and_the_scores_submitted_stay(
    client: FlaskClient, world: World
) -> None:
    """One of two assessors scored; the other was unbound (or applied in the occupation to
    freeze a colleague's evaluation): void was refused, assigning was in_progress: stuck."""
    application, second = two_assessor_dispute(world)
    one, two = world.assessors
    # the second assessor applies in the occupation themselves: their list no longer holds
    # the candidate's checklist, their submission is refused
    complete_course(client, world.assessor_headers[1], world.course)
    plan_id = world.application(application)["plan"]["id"]
    assert world.apply(plan_id, world.assessor_headers[1]).status_code == 201
    assert client.get("/api/v1/me/assessments", headers=world.assessor_headers[1]).get_json() == []
    frozen = world.score(world.assessor_headers[1], second["id"], FULL)
    assert frozen.status_code == 409 and error(frozen) == "assessor_refused"
    path = f"{EVALUATION}/applications/{application}/assessments"
    third = another_assessor(world)
    # replacing one who scored is not replacing: the count is of those who have not
    both = client.post(
        path,
        json={
            "component": "practical",
            "assessor_ids": [third.id, one.id],
            "replacing": [two.id],
            "client_id": "console-0001",
        },
        headers=world.admin,
    )
    assert both.status_code == 422
    replaced = client.post(
        path,
        json={
            "component": "practical",
            "assessor_ids": [third.id],
            "replacing": [two.id],
            "client_id": "console-0002",
        },
        headers=world.admin,
    )
    assert replaced.status_code == 201, replaced.get_json()
    assert replaced.get_json()["attempt"] == 1  # the same attempt, not a new one
    third_h = world.login(third)
    task = world.task_of(third_h)
    assert (
        world.score(third_h, task["id"], {"ticket": 30, "sequence": 50, "report": 15}).status_code
        == 200
    )
    decided = result_of(world, application, "practical")
    assert decided["status"] == "passed" and decided["attempt"] == 1
    assert decided["score"] == 97.5  # the mean of 100 and 95: the first scoring was kept
    # nothing left to replace once all have scored
    again = client.post(
        path,
        json={
            "component": "practical",
            "assessor_ids": [two.id],
            "replacing": [third.id],
            "client_id": "console-0003",
        },
        headers=world.admin,
    )
    assert again.status_code == 409 and error(again) == "nothing_to_replace"


def test_a_disabled_account_is_not_an_assessor(client: FlaskClient, world: World) -> None:
    application = approved(world)
    assert (
        client.post(
            f"/api/v1/users/{world.assessors[0].id}/disable", headers=world.admin
        ).status_code
        == 200
    )
    refused = world.assign(application, world.assessors[0])
    assert refused.status_code == 422 and error(refused) == "assessor_refused"
    assert "停用" in json.dumps(refused.get_json(), ensure_ascii=False)


def test_the_candidate_sees_decided_scorings_never_who_scored_them(
    client: FlaskClient, world: World
) -> None:
    application, second = two_assessor_dispute(world)
    path = f"{EVALUATION}/applications/{application}/assessments"
    # undecided: the candidate sees nothing of it, not even who is assessing
    assert client.get(path, headers=world.learner).get_json() == []
    assert len(client.get(path, headers=world.admin).get_json()) == 2
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 30, "sequence": 50, "report": 15}
    )
    shown = client.get(path, headers=world.learner).get_json()
    assert [s["total"] for s in shown] == [100, 95]
    assert all(s["assessor_id"] is None for s in shown)
    # nor anything that ties a scoring to its assessor: its id, its times
    unsigned = ("id", "assigned_at", "scored_at", "submitted_at")
    assert all(s[name] is None for s in shown for name in unsigned)
    assert {s["assessor_id"] for s in client.get(path, headers=world.admin).get_json()} == {
        a.id for a in world.assessors
    }


# --- what an attacker tried in the fourth round (issue 21) -----------------------------------


def test_the_candidate_reads_no_assessor_nor_an_undecided_total_in_any_history(
    client: FlaskClient, world: World
) -> None:
    """The candidate's history, statements and export named who was assigned and who scored
    (actor_id, ids in statement ids), and a dispute showed both totals while undecided."""
    application, second = two_assessor_dispute(world)
    world.score(
        world.assessor_headers[1], second["id"], {"ticket": 10, "sequence": 40, "report": 20}
    )
    assert result_of(world, application, "practical")["status"] == "disputed"
    path = f"{EVALUATION}/applications/{application}/history"
    assessor_ids = {a.id for a in world.assessors}
    whole = client.get(path, headers=world.admin).get_json()
    assert {e["actor_id"] for e in whole if e["kind"] == "assessed"} == assessor_ids
    [dispute] = [e for e in whole if e["kind"] == "disputed"]
    assert dispute["detail"]["totals"] == [100, 70]  # the admins settle it: they see them
    read = client.get(path, headers=world.learner).get_json()
    assert [e["kind"] for e in read] == [e["kind"] for e in whole]
    assert all(e["actor_id"] is None for e in read if e["kind"] == "assessed")
    assert [e["detail"] for e in read if e["kind"] == "disputed"] == [{"component": "practical"}]
    steps = client.get("/api/v1/me/history?limit=100", headers=world.learner).get_json()["items"]
    exported = client.get("/api/v1/me/export", headers=world.learner).get_json()["statements"]
    mine = [s for s in exported if s["object_type"] == "evaluation_application"]
    assert {s["verb"] for s in mine} >= {"assessors_assigned", "assessed", "disputed"}
    assert "totals" not in json.dumps([steps, mine])
    # each repeatable step is told apart by its place in the history, not by who took it
    repeatable = {"assessors_assigned", "assessed"}
    places = {n for n, e in enumerate(whole, start=1) if e["kind"] in repeatable}
    told = {s["statement_id"].rsplit(":", 1)[1] for s in mine if s["verb"] in repeatable}
    assert told == {str(n) for n in places}


def test_no_evidence_is_taken_from_one_who_may_no_longer_submit_it(
    client: FlaskClient, world: World
) -> None:
    """An unbound assessor, or one now applying in the occupation, no longer listed the
    candidate and could not submit, but was still handed upload URLs for the assessment."""
    application = approved(world)
    assert world.assign(application, world.assessors[0]).status_code == 201
    headers = world.assessor_headers[0]
    task = world.task_of(headers)
    upload = f"/api/v1/assessments/{task['id']}/evidence-upload"
    photo = {"content_type": "image/jpeg", "size": 1000}
    assert client.post(upload, json=photo, headers=headers).status_code == 201
    client.put(
        f"{EVALUATION}/assessors/{world.assessors[0].id}",
        json={"occupations": []},
        headers=world.admin,
    )
    unbound = client.post(upload, json=photo, headers=headers)
    assert unbound.status_code == 409 and error(unbound) == "assessor_refused"
    assert unbound.get_json()["error"]["details"]["reason"] == "not_bound"
    client.put(
        f"{EVALUATION}/assessors/{world.assessors[0].id}",
        json={"occupations": [OCCUPATION]},
        headers=world.admin,
    )
    assert client.post(upload, json=photo, headers=headers).status_code == 201
    complete_course(client, headers, world.course)  # now applying in the occupation
    plan_id = world.application(application)["plan"]["id"]
    assert world.apply(plan_id, headers).status_code == 201
    applying = client.post(upload, json=photo, headers=headers)
    assert applying.status_code == 409 and error(applying) == "assessor_refused"


def test_a_replacement_names_whom_it_replaces_and_is_safe_to_send_again(
    client: FlaskClient, world: World
) -> None:
    """Sent again (a lost reply), a replacement deleted the new assessor's task and lost
    their offline scoring; naming the outgoing assessors again did the same; a second
    admin's replacement silently undid the first's."""
    application, second = two_assessor_dispute(world)
    one, two = world.assessors
    third, fourth = another_assessor(world), another_assessor(world)
    path = f"{EVALUATION}/applications/{application}/assessments"

    def replace(named: User, replacing: list[int], client_id: str) -> Any:
        body = {
            "component": "practical",
            "assessor_ids": [named.id],
            "replacing": replacing,
            "client_id": client_id,
        }
        return client.post(path, json=body, headers=world.admin)

    same_again = replace(
        two, [two.id], "console-0001"
    )  # the outgoing one named again: not a replacement
    assert same_again.status_code == 422 and error(same_again) == "assessor_refused"
    assert world.task_of(world.assessor_headers[1])["id"] == second["id"]  # untouched
    scored = replace(third, [one.id], "console-0002")  # one has submitted: theirs is not replaced
    assert scored.status_code == 409 and error(scored) == "assessors_changed"
    assert scored.get_json()["error"]["details"]["unsubmitted"] == [two.id]
    assert replace(third, [two.id], "console-0003").status_code == 201
    third_h = world.login(third)
    task = world.task_of(third_h)
    again = replace(third, [two.id], "console-0003")  # the reply was lost: sent again
    assert again.status_code == 201 and again.get_json()["attempt"] == 1
    assert world.task_of(third_h)["id"] == task["id"]
    stale = replace(fourth, [two.id], "console-0004")  # read before the change
    assert stale.status_code == 409 and error(stale) == "assessors_changed"
    assert client.get("/api/v1/me/assessments", headers=world.login(fourth)).get_json() == []
    done = world.score(third_h, task["id"], {"ticket": 30, "sequence": 50, "report": 15})
    assert done.status_code == 200, done.get_json()
    assert result_of(world, application, "practical")["score"] == 97.5
    history = client.get(f"{EVALUATION}/applications/{application}/history", headers=world.admin)
    assert [e["kind"] for e in history.get_json()].count("assessors_replaced") == 1


def test_a_score_is_judged_as_it_is_kept_and_shown(client: FlaskClient, world: World) -> None:
    """59.996 was kept and shown as 60.0 against a pass mark of 60 and failed; 59.999 under the
    same client_id was taken for the same review."""
    application = with_a_review(world, pass_mark=60, attempts=2)
    path = f"{EVALUATION}/applications/{application}/performance"
    body = {"component": "record", "evidence": "值班记录", "client_id": "review-round-1"}
    finer = client.post(path, json={**body, "score": 59.996}, headers=world.admin)
    assert finer.status_code == 422
    assert "score" in json.dumps(finer.get_json()["error"]["details"])
    assert result_of_or_none(world, application, "record") is None  # nothing recorded
    kept = client.post(path, json={**body, "score": 59.99}, headers=world.admin)
    assert kept.status_code == 201 and kept.get_json()["status"] == "failed"
    assert kept.get_json()["score"] == 59.99
    other = client.post(path, json={**body, "score": 59.98}, headers=world.admin)
    assert other.status_code == 409 and error(other) == "client_id_reused"


def test_a_practical_scored_finer_than_it_is_kept_is_refused(
    client: FlaskClient, world: World
) -> None:
    _, task = one_assessor_task(world)
    finer = world.score(
        world.assessor_headers[0], task["id"], {"ticket": 9.996, "sequence": 30, "report": 20}
    )
    assert finer.status_code == 422 and "items" in json.dumps(finer.get_json())
    assert world.task_of(world.assessor_headers[0])["id"] == task["id"]  # still to score


def result_of_or_none(world: World, application_id: int, key: str) -> dict[str, Any] | None:
    found = [r for r in world.application(application_id)["results"] if r["component_key"] == key]
    return dict(found[-1]) if found else None


def test_every_attempt_is_in_the_learners_history_however_long_its_parts_key(
    client: FlaskClient, world: World
) -> None:
    """Statement ids were cut at 64 characters: with a long component key, the second failed
    attempt's statement took the first's id and was dropped from the learner's history."""
    key = "performance-review-of-the-duty-log-books"  # 40 characters, as a plan may name it
    application = with_a_review(world, key=key, pass_mark=60, attempts=3)
    path = f"{EVALUATION}/applications/{application}/performance"
    for score in (40, 50):
        body = {"component": key, "score": score, "evidence": "值班记录"}
        assert client.post(path, json=body, headers=world.admin).status_code == 201
    exported = client.get("/api/v1/me/export", headers=world.learner).get_json()["statements"]
    failed = [s for s in exported if s["verb"] == "component_failed"]
    assert sorted(s["result"]["score"] for s in failed) == [40, 50]
    assert all(len(s["statement_id"]) <= 64 for s in failed)


def test_a_learner_cannot_keep_a_failure_out_of_their_history(
    client: FlaskClient, world: World
) -> None:
    application = with_a_review(world, pass_mark=60, attempts=2)
    claimed = f"component_failed:evaluation_application:{application}:record:1"
    heartbeat = {
        "verb": "progressed",
        "object": {"type": "microlecture", "id": db.session.scalar(db.select(Microlecture.id))},
        "result": {"position_from": 0, "position_to": 0.5, "wall_seconds": 0.5},
        "timestamp": utcnow().isoformat(),
    }
    put = client.put(f"/api/v1/me/statements/{claimed}", json=heartbeat, headers=world.learner)
    assert put.status_code == 422
    body = {"component": "record", "score": 40, "evidence": "值班记录"}
    assert (
        client.post(
            f"{EVALUATION}/applications/{application}/performance", json=body, headers=world.admin
        ).status_code
        == 201
    )
    exported = client.get("/api/v1/me/export", headers=world.learner).get_json()["statements"]
    assert [s["verb"] for s in exported if s["statement_id"] == claimed] == ["component_failed"]


def test_only_a_replacement_that_was_made_is_answered_as_made(
    client: FlaskClient, world: World
) -> None:
    """Replacing someone never on the attempt by a current assessor, or the same id twice,
    was a 201 that changed nothing; a true retry after the attempt was decided was a 409."""
    application, _ = two_assessor_dispute(world)
    two = world.assessors[1]
    third, stranger = another_assessor(world), another_assessor(world)
    path = f"{EVALUATION}/applications/{application}/assessments"

    def replace(named: list[int], replacing: list[int], client_id: str) -> Any:
        body = {
            "component": "practical",
            "assessor_ids": named,
            "replacing": replacing,
            "client_id": client_id,
        }
        return client.post(path, json=body, headers=world.admin)

    never_on_it = replace([two.id], [stranger.id], "console-0001")
    assert never_on_it.status_code == 409 and error(never_on_it) == "assessors_changed"
    twice = replace([third.id, stranger.id], [two.id, two.id], "console-0002")
    assert twice.status_code == 422 and "replacing" in json.dumps(twice.get_json())
    assert replace([third.id], [two.id], "console-0003").status_code == 201
    # the history says, for the admins, who took whose place; the candidate reads a count
    path_history = f"{EVALUATION}/applications/{application}/history"
    [whole] = [
        e["detail"]
        for e in client.get(path_history, headers=world.admin).get_json()
        if e["kind"] == "assessors_replaced"
    ]
    assert whole["replaced_ids"] == [two.id] and whole["by_ids"] == [third.id]
    [read] = [
        e["detail"]
        for e in client.get(path_history, headers=world.learner).get_json()
        if e["kind"] == "assessors_replaced"
    ]
    assert "replaced_ids" not in read and "by_ids" not in read and read["replaced"] == 1
    third_h = world.login(third)
    task = world.task_of(third_h)
    assert world.score(third_h, task["id"], FULL).status_code == 200
    assert result_of(world, application, "practical")["status"] == "passed"
    late = replace([third.id], [two.id], "console-0003")  # the reply was lost: sent again
    assert late.status_code == 201 and late.get_json()["status"] == "passed"
    events = client.get(path_history, headers=world.admin).get_json()
    assert [e["kind"] for e in events].count("assessors_replaced") == 1


@pytest.mark.parametrize("points, scored", [(1000, 599.95), (200, 119.99), (3, 1.8)])
def test_the_same_true_score_is_judged_alike_whatever_the_points(
    client: FlaskClient, world: World, points: int, scored: float
) -> None:
    """59.995 % passed out of 1000 points and failed out of 200 (binary floating point);
    scores are reckoned in decimal and kept rounded half up (四舍五入)."""
    components = world.plan_body()["components"]
    components[1]["checklist"] = [{"key": "duty", "title": "倒闸操作", "points": points}]
    application = approved(world, components=components)
    assert world.assign(application, world.assessors[0]).status_code == 201
    task = world.task_of(world.assessor_headers[0])
    assert world.score(world.assessor_headers[0], task["id"], {"duty": scored}).status_code == 200
    practical = result_of(world, application, "practical")
    assert (practical["score"], practical["status"]) == (60.0, "passed")


def test_the_candidates_scorings_come_in_the_order_of_their_scores(
    client: FlaskClient, world: World
) -> None:
    """Scorings came in the order assessors were assigned, with their times: a candidate
    who knew who stepped in as the replacement knew which total was theirs."""
    application = settled_by_a_third(world)
    path = f"{EVALUATION}/applications/{application}/assessments"
    assert [s["total"] for s in client.get(path, headers=world.admin).get_json()] == [100, 70, 85]
    assert [s["total"] for s in client.get(path, headers=world.learner).get_json()] == [100, 85, 70]


def test_a_clip_taken_as_evidence_does_not_say_who_took_it_or_where(
    client: FlaskClient, world: World, tmp_path: Path
) -> None:
    """The candidate downloads the evidence of a decided attempt: a phone's clip named its
    taker in its title, artist and track handlers, and where it was taken."""
    from tests.support.presigned import call_url

    clip = tmp_path / "clip.mp4"
    phone_clip(clip)
    application, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    ticket = client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "video/mp4", "size": clip.stat().st_size},
        headers=assessor,
    ).get_json()
    assert call_url(client.application, "PUT", ticket["url"], clip.read_bytes()).status == 200
    scored = world.score(assessor, task["id"], FULL, evidence=[ticket["key"]])
    assert scored.status_code == 200, scored.get_json()
    path = f"{EVALUATION}/applications/{application}/assessments"
    [shown] = client.get(path, headers=world.learner).get_json()
    [evidence] = shown["evidence"]
    kept = call_url(client.application, "GET", evidence["url"]).body
    assert TAKER.encode() not in kept and WHERE.encode() not in kept
    saved = tmp_path / "kept.mp4"
    saved.write_bytes(kept)
    with av.open(str(saved)) as played:
        assert [s.type for s in played.streams] == ["video", "audio"]
        assert not {"title", "artist", "location"} & played.metadata.keys()


def test_a_replacement_on_an_earlier_attempt_says_nothing_of_the_next(
    client: FlaskClient, world: World
) -> None:
    """X replaced by Y on attempt 1, failed; attempt 2 given to X: replacing X by Y again was
    a 201 carrying attempt 1, and nothing changed. A new replacement has a new client id."""
    components = world.plan_body()["components"]
    components[1]["attempts_allowed"] = 2
    application = approved(world, components=components)
    x, y = world.assessors
    path = f"{EVALUATION}/applications/{application}/assessments"
    body = {
        "component": "practical",
        "assessor_ids": [y.id],
        "replacing": [x.id],
        "client_id": "console-0001",
    }
    assert world.assign(application, x).status_code == 201
    assert client.post(path, json=body, headers=world.admin).status_code == 201
    y_task = world.task_of(world.assessor_headers[1])
    failing = {"ticket": 5, "sequence": 5, "report": 5}
    assert world.score(world.assessor_headers[1], y_task["id"], failing).status_code == 200
    assert world.assign(application, x).get_json()["attempt"] == 2
    late = client.post(path, json=body, headers=world.admin)  # attempt 1's, sent again
    assert late.status_code == 201 and late.get_json()["attempt"] == 1
    assert world.task_of(world.assessor_headers[0])["attempt"] == 2  # nothing changed
    again = client.post(path, json={**body, "client_id": "console-0002"}, headers=world.admin)
    assert again.status_code == 201 and again.get_json()["attempt"] == 2
    assert client.get("/api/v1/me/assessments", headers=world.assessor_headers[0]).get_json() == []
    assert world.task_of(world.assessor_headers[1])["attempt"] == 2


def test_evidence_that_cannot_be_cleared_is_refused_and_the_scores_stand(
    client: FlaskClient, world: World
) -> None:
    """A PNG whose EXIF was not TIFF crashed the submission (500); sent again, it was taken as
    cleared and the candidate downloaded it with the taker's name and GPS text in it."""

    out = io.BytesIO()
    text = PngImagePlugin.PngInfo()
    text.add_text("Author", TAKER)
    Image.new("RGB", (64, 64), "grey").save(out, "PNG", pnginfo=text, exif=b"XXXXXXXXXXXX")
    hostile = out.getvalue()
    application, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    ticket = uploaded(world, assessor, task["id"], hostile)
    scored = world.score(assessor, task["id"], FULL, evidence=[ticket["key"]])
    assert scored.status_code == 200, scored.get_json()
    assert scored.get_json()["evidence"] == [
        {"key": ticket["key"], "url": None, "status": "refused"}
    ]
    assert result_of(world, application, "practical")["status"] == "passed"
    history = f"{EVALUATION}/applications/{application}/history"
    [refused] = [
        e
        for e in client.get(history, headers=world.admin).get_json()
        if e["kind"] == "evidence_refused"
    ]
    assert refused["detail"]["key"] == ticket["key"] and refused["detail"]["reason"]
    [told] = [
        e
        for e in client.get(history, headers=world.learner).get_json()
        if e["kind"] == "evidence_refused"
    ]
    assert "key" not in told["detail"] and "reason" not in told["detail"]
    path = f"{EVALUATION}/applications/{application}/assessments"
    [shown] = client.get(path, headers=world.learner).get_json()
    assert shown["evidence"] == []
    again = world.score(assessor, task["id"], FULL, evidence=[ticket["key"]])
    assert again.status_code == 409  # submitted: nothing more is taken for it


def test_evidence_left_in_quarantine_is_refused_and_named(
    client: FlaskClient, world: World
) -> None:
    """A clearing task lost with its worker left the evidence "checking" for ever."""
    from catalog.evaluation import tasks
    from catalog.runtime import runtime
    from catalog.uploads import quarantine_key

    application, task = one_assessor_task(world)
    key = f"evaluation/assessments/{task['id']}/evidence-0123456789abcdef"
    store = runtime().object_store
    store.put(quarantine_key(key), io.BytesIO(b"\x89PNG\r\n\x1a\n"), content_type="image/png")
    orphan = f"evaluation/assessments/{task['id']}/evidence-fedcba9876543210"
    store.put(quarantine_key(orphan), io.BytesIO(b"\x89PNG\r\n\x1a\n"), content_type="image/png")
    db.session.execute(  # submitted an hour and a half ago; its clearing never ran
        update(Assessment)
        .where(Assessment.id == task["id"])
        .values(evidence_keys=[key], submitted_at=utcnow() - timedelta(minutes=90))
    )
    db.session.commit()
    assert tasks.refuse_stranded(older_than_seconds=7200) == 0  # it may still clear
    assert [i.key for i in store.list(quarantine_key(orphan))]  # young: kept for now
    assert tasks.refuse_stranded(older_than_seconds=3600) == 1  # by its submission, not upload
    assert tasks.refuse_stranded(older_than_seconds=-60) == 0
    assert [i.key for i in store.list(quarantine_key(orphan))] == []  # named by nothing: gone
    history = client.get(f"{EVALUATION}/applications/{application}/history", headers=world.admin)
    [refused] = [e for e in history.get_json() if e["kind"] == "evidence_refused"]
    assert refused["detail"]["key"] == key
    assert [i.key for i in store.list(quarantine_key(key))] == []


def test_a_retry_is_read_as_the_first_submission_was(client: FlaskClient, world: World) -> None:
    """A phone sent `passed` on an item that is not critical, or a photo key twice: the first
    submission kept them normalised, and the identical retry was a 409 client_id_reused."""
    _, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    ticket = uploaded(world, assessor, task["id"], phone_photo())
    body = {
        "client_id": "tablet-retry-0001",
        "scored_at": utcnow().isoformat(),
        "items": [
            {"key": "ticket", "points": 30, "passed": True},
            {"key": "sequence", "points": 50, "passed": True},
            {"key": "report", "points": 20, "note": None},
        ],
        "evidence_keys": [ticket["key"], ticket["key"]],
    }
    path = f"/api/v1/assessments/{task['id']}/submit"
    first = client.post(path, json=body, headers=assessor)
    assert first.status_code == 200, first.get_json()
    again = client.post(path, json=body, headers=assessor)
    assert again.status_code == 200, again.get_json()
    assert again.get_json()["id"] == first.get_json()["id"]
    other = client.post(
        path,
        json={**body, "items": [*body["items"][:2], {"key": "report", "points": 19}]},
        headers=assessor,
    )
    assert other.status_code == 409 and error(other) == "client_id_reused"


def test_a_replacement_sent_again_after_another_admin_undid_it_changes_nothing(
    client: FlaskClient, world: World
) -> None:
    """X replaced by Z; another admin put X back; the first request's lost reply made the
    console send it again, and it replaced X a second time, undoing the other admin."""
    application, _ = two_assessor_dispute(world)
    two = world.assessors[1]
    third = another_assessor(world)
    path = f"{EVALUATION}/applications/{application}/assessments"

    def replace(named: int, replacing: int, client_id: str) -> Any:
        body = {
            "component": "practical",
            "assessor_ids": [named],
            "replacing": [replacing],
            "client_id": client_id,
        }
        return client.post(path, json=body, headers=world.admin)

    assert replace(third.id, two.id, "console-a-0001").status_code == 201
    assert replace(two.id, third.id, "console-b-0001").status_code == 201  # put back
    late = replace(third.id, two.id, "console-a-0001")
    assert late.status_code == 201
    on_it = {a["assessor_id"] for a in client.get(path, headers=world.admin).get_json()}
    assert two.id in on_it and third.id not in on_it
    other = replace(third.id, world.assessors[0].id, "console-a-0001")
    assert other.status_code == 409 and error(other) == "client_id_reused"
    missing = client.post(
        path,
        json={"component": "practical", "assessor_ids": [third.id], "replacing": [two.id]},
        headers=world.admin,
    )
    assert missing.status_code == 422 and "client_id" in json.dumps(missing.get_json())


def test_a_workers_evaluation_is_in_their_data_and_their_photos_go_with_their_account(
    client: FlaskClient, world: World
) -> None:
    """The personal-data export held the applications but no results, scorings or evidence;
    after the account was deleted, photos of the worker at work were still served."""
    from tests.support.presigned import call_url

    _, task = one_assessor_task(world)
    assessor = world.assessor_headers[0]
    ticket = uploaded(world, assessor, task["id"], phone_photo())
    scored = world.score(assessor, task["id"], FULL, evidence=[ticket["key"]])
    [photo] = scored.get_json()["evidence"]
    assert call_url(client.application, "GET", photo["url"]).status == 200
    mine = client.get("/api/v1/me/personal-data", headers=world.learner).get_json()["data"]
    assert {r["component_key"] for r in mine["evaluation_results"]} == {"practical"}
    [scoring] = mine["evaluation_scorings"]
    assert scoring["total"] == 100 and scoring["evidence_keys"] == [ticket["key"]]
    assert not {"assessor_id", "assigned_by_id", "client_id", "submitted_at"} & scoring.keys()
    gone = client.post(
        f"/api/v1/users/{world.learner_user.id}/anonymise", json={}, headers=world.admin
    )
    assert gone.status_code == 200, gone.get_json()
    assert call_url(client.application, "GET", photo["url"]).status == 404
    path = f"{EVALUATION}/applications/{task['application_id']}/assessments"
    [kept] = client.get(path, headers=world.admin).get_json()
    assert kept["total"] == 100 and kept["evidence"] == []  # the scores stay


def test_an_assessor_asks_for_so_many_upload_urls_and_no_more(
    client: FlaskClient, world: World
) -> None:
    """Fifty 200 MiB clip URLs for one assessment were handed out, and 600 MB of zeros sat in
    staging, unchecked, until the sweep; certificate scan URLs were not counted at all."""
    _, task = one_assessor_task(world)
    client.application.config["UPLOAD_URL_RATE_LIMIT"] = "3 per hour"
    path = f"/api/v1/assessments/{task['id']}/evidence-upload"
    clip = {"content_type": "video/mp4", "size": 200 * 1024 * 1024}
    codes = [
        client.post(path, json=clip, headers=world.assessor_headers[0]).status_code
        for _ in range(4)
    ]
    assert codes == [201, 201, 201, 429]
    scan = client.post(  # another way into staging draws on the same count
        "/api/v1/me/certificates/scan-upload",
        json={"content_type": "image/jpeg", "size": 10 * 1024 * 1024},
        headers=world.assessor_headers[0],
    )
    assert scan.status_code == 429
    other = client.post(  # another user's count is their own
        "/api/v1/me/certificates/scan-upload",
        json={"content_type": "image/jpeg", "size": 1024},
        headers=world.learner,
    )
    assert other.status_code == 201


def test_the_data_export_orders_scorings_by_total_not_by_who_came_first(
    client: FlaskClient, world: World
) -> None:
    """The export listed a disputed attempt's totals and scorings in the order assessors were
    assigned: with the history's steps, the third assessor's score was plain to see."""
    settled_by_a_third(world)
    mine = client.get("/api/v1/me/personal-data", headers=world.learner).get_json()["data"]
    [practical] = [r for r in mine["evaluation_results"] if r["component_key"] == "practical"]
    assert practical["detail"]["totals"] == [100, 85, 70]
    assert [s["total"] for s in mine["evaluation_scorings"]] == [100, 85, 70]


def test_deleting_a_workers_account_ends_their_evaluation_under_way(
    client: FlaskClient, world: World
) -> None:
    """After the account was deleted the assessor still listed the candidate, photographed
    them, and the application went on to a certificate for a person who no longer exists."""
    application, task = one_assessor_task(world)
    gone = client.post(
        f"/api/v1/users/{world.learner_user.id}/anonymise", json={}, headers=world.admin
    )
    assert gone.status_code == 200, gone.get_json()
    assert client.get("/api/v1/me/assessments", headers=world.assessor_headers[0]).get_json() == []
    upload = client.post(
        f"/api/v1/assessments/{task['id']}/evidence-upload",
        json={"content_type": "image/png", "size": 100},
        headers=world.assessor_headers[0],
    )
    assert upload.status_code == 409
    assert world.score(world.assessor_headers[0], task["id"], FULL).status_code == 409
    ended = world.application(application)
    assert ended["status"] == "withdrawn" and ended["certificate_id"] is None
    assert result_of(world, application, "practical")["status"] == "void"


def test_a_photo_cleared_after_its_workers_account_was_deleted_is_not_kept(
    client: FlaskClient, world: World
) -> None:
    """The clearing child had read the photo before the deletion and wrote it afterwards:
    the deleted person's photo stayed in storage, named by nothing."""
    from catalog.evaluation import tasks
    from catalog.runtime import runtime
    from catalog.uploads import quarantine_key

    _, task = one_assessor_task(world)
    key = f"evaluation/assessments/{task['id']}/evidence-00112233445566ff"
    store = runtime().object_store
    store.put(quarantine_key(key), io.BytesIO(phone_photo()), content_type="image/png")
    # the submission named it, then the account's deletion emptied its evidence: named by none
    tasks.clear_evidence.enqueue(task["id"], [key])
    assert [i.key for i in store.list(key)] == []
    assert [i.key for i in store.list(quarantine_key(key))] == []


def test_a_replacements_client_id_names_one_replacement_anywhere(
    client: FlaskClient, world: World
) -> None:
    """The same client id replaced assessors on two applications, both 201."""
    first, _ = two_assessor_dispute(world)
    body = {
        "component": "practical",
        "assessor_ids": [another_assessor(world).id],
        "replacing": [world.assessors[1].id],
        "client_id": "console-shared-01",
    }
    path = f"{EVALUATION}/applications/{{}}/assessments"
    assert client.post(path.format(first), json=body, headers=world.admin).status_code == 201
    second = approved(world, code="bpd-3", skill_level=3)
    assert world.assign(second, world.assessors[0]).status_code == 201
    again = client.post(
        path.format(second),
        json={
            **body,
            "assessor_ids": [another_assessor(world).id],
            "replacing": [world.assessors[0].id],
        },
        headers=world.admin,
    )
    assert again.status_code == 409 and error(again) == "client_id_reused"
