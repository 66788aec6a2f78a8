"""Skill-level evaluation through the API: an organisation with a required course, a theory
exam, a practical checklist, an admin, a learner and assessors in other teams."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from flask.testing import FlaskClient

from catalog.accounts.models import Department, Organisation, Role, User
from catalog.clock import utcnow
from catalog.courses.models import Chapter, ChapterItem
from catalog.database import db
from catalog.lectures.models import Microlecture
from tests.support.quizzing import answer_all, build_bank, template

OCCUPATION = "6-28-01-14"  # 变配电运行值班员
EVALUATION = "/api/v1/evaluation"
CHECKLIST = [
    {"key": "ticket", "title": "填写倒闸操作票", "points": 30},
    {"key": "sequence", "title": "按顺序停电、验电、挂地线", "points": 50, "critical": True},
    {"key": "report", "title": "汇报与记录", "points": 20},
]


@dataclass
class World:
    client: FlaskClient
    org: Organisation
    admin: dict[str, str]
    editor: dict[str, str]
    learner_user: User
    learner: dict[str, str]
    assessors: list[User]
    assessor_headers: list[dict[str, str]]
    course: int
    exam: int
    bank: dict[str, Any]
    teams: list[Department] = field(default_factory=list)
    make_user: Callable[..., User] | None = None
    login: Callable[[User], dict[str, str]] | None = None

    def plan_body(self, **changes: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "code": "bpd-4",
            "title": "变配电运行值班员四级评价方案",
            "occupation": OCCUPATION,
            "skill_level": 4,
            "required_course_ids": [self.course],
            "components": [
                {
                    "key": "theory",
                    "kind": "theory",
                    "title": "理论知识考试",
                    "weight": 40,
                    "pass_mark": 60,
                    "template_id": self.exam,
                },
                {
                    "key": "practical",
                    "kind": "practical",
                    "title": "操作技能考核",
                    "weight": 60,
                    "pass_mark": 60,
                    "checklist": CHECKLIST,
                },
            ],
            "certificate_years": 3,
        }
        body.update(changes)
        return body

    def published_plan(self, **changes: Any) -> dict[str, Any]:
        created = self.client.post(
            f"{EVALUATION}/plans", json=self.plan_body(**changes), headers=self.admin
        )
        assert created.status_code == 201, created.get_json()
        published = self.client.post(
            f"{EVALUATION}/plans/{created.get_json()['id']}/publish", headers=self.admin
        )
        assert published.status_code == 200, published.get_json()
        return dict(published.get_json())

    def apply(self, plan_id: int, headers: dict[str, str] | None = None) -> Any:
        return self.client.post(
            f"{EVALUATION}/applications", json={"plan_id": plan_id}, headers=headers or self.learner
        )

    def approve(self, application_id: int) -> dict[str, Any]:
        approved = self.client.post(
            f"{EVALUATION}/applications/{application_id}/approve", json={}, headers=self.admin
        )
        assert approved.status_code == 200, approved.get_json()
        return dict(approved.get_json())

    def application(self, application_id: int, headers: dict[str, str] | None = None) -> Any:
        return self.client.get(
            f"{EVALUATION}/applications/{application_id}", headers=headers or self.admin
        ).get_json()

    def sit_theory(self, application_id: int, *, right: bool) -> dict[str, Any]:
        started = self.client.post(
            f"{EVALUATION}/applications/{application_id}/theory-sessions",
            json={"component": "theory"},
            headers=self.learner,
        )
        assert started.status_code == 201, started.get_json()
        session = started.get_json()
        # an exam: no key or explanation reaches the candidate while it runs
        assert all(i["answer"] is None and i["explanation"] is None for i in session["items"])
        answer_all(self.client, {"learner": self.learner}, session, right=right)
        graded = self.client.post(
            f"/api/v1/quiz-sessions/{session['id']}/submit", headers=self.learner
        )
        assert graded.status_code == 200, graded.get_json()
        return dict(graded.get_json())

    def assign(self, application_id: int, *assessors: User, component: str = "practical") -> Any:
        return self.client.post(
            f"{EVALUATION}/applications/{application_id}/assessments",
            json={"component": component, "assessor_ids": [a.id for a in assessors]},
            headers=self.admin,
        )

    def task_of(self, headers: dict[str, str]) -> dict[str, Any]:
        [task] = self.client.get("/api/v1/me/assessments", headers=headers).get_json()
        return dict(task)

    def score(
        self,
        headers: dict[str, str],
        assessment_id: str,
        points: dict[str, float],
        *,
        sequence_passed: bool = True,
        client_id: str | None = None,
        evidence: list[str] | None = None,
    ) -> Any:
        items = [
            {
                "key": key,
                "points": value,
                **({"passed": sequence_passed} if key == "sequence" else {}),
            }
            for key, value in points.items()
        ]
        return self.client.post(
            f"/api/v1/assessments/{assessment_id}/submit",
            json={
                "client_id": client_id or uuid.uuid4().hex,
                "scored_at": (utcnow() - timedelta(minutes=10)).isoformat(),
                "items": items,
                "evidence_keys": evidence or [],
            },
            headers=headers,
        )


FULL = {"ticket": 30, "sequence": 50, "report": 20}


def complete_course(client: FlaskClient, headers: dict[str, str], course_id: int) -> None:
    """Enrol and watch every lecture of the course to its end (heartbeats an hour ago)."""
    client.put(f"/api/v1/me/courses/{course_id}", headers=headers)
    lectures = db.session.scalars(
        db.select(Microlecture)
        .join(ChapterItem, ChapterItem.microlecture_id == Microlecture.id)
        .join(Chapter, Chapter.id == ChapterItem.chapter_id)
        .where(Chapter.course_id == course_id)
    ).all()
    statements = []
    for lecture in lectures:
        duration = int(lecture.duration_seconds or 60)
        for start in range(0, duration, 15):
            end = min(start + 15, duration)
            statements.append(
                {
                    "id": str(uuid.uuid4()),
                    "verb": "progressed",
                    "object": {"type": "microlecture", "id": lecture.id},
                    "result": {
                        "position_from": start,
                        "position_to": end,
                        "playback_rate": 1.0,
                        "wall_seconds": end - start,
                    },
                    "timestamp": (
                        utcnow() - timedelta(hours=1) + timedelta(seconds=end)
                    ).isoformat(),
                }
            )
    response = client.post(
        "/api/v1/me/statements:batch", json={"statements": statements}, headers=headers
    )
    assert response.status_code == 200, response.get_json()


def team(org: Organisation, name: str) -> Department:
    department = Department(organisation_id=org.id, name=name, path="/")
    db.session.add(department)
    db.session.flush()
    department.path = f"/{department.id}/"
    db.session.commit()
    return department


def build_world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
    make_industry: Callable[..., Any],
) -> World:
    org = make_org(code="grid-co")
    make_industry("power", "电力", occupation=OCCUPATION)
    admin = login(make_user(Role.ADMIN, organisation=org))
    editor = login(make_user(Role.EDITOR, organisation=org))
    teams = [team(org, name) for name in ("运行一班", "运行二班", "检修班")]
    learner_user = make_user(Role.LEARNER, organisation=org, display_name="王小明")
    learner_user.department_id = teams[0].id
    assessors = []
    for index in (1, 2):
        assessor = make_user(Role.LEARNER, organisation=org, display_name=f"考评员{index}")
        assessor.department_id = teams[index].id
        assessors.append(assessor)
    db.session.commit()
    bank = build_bank(client, editor)
    course = make_course(org, code="BPD-01", title="变配电运行基础")
    exam = template(
        client,
        {"editor": editor, **bank},
        title="变配电运行值班员四级理论考试",
        mode="exam",
        time_limit_seconds=1800,
        feedback_policy="never",
        occupation=OCCUPATION,
        skill_level=4,
    ).get_json()["id"]
    world = World(
        client=client,
        org=org,
        admin=admin,
        editor=editor,
        learner_user=learner_user,
        learner=login(learner_user),
        assessors=assessors,
        assessor_headers=[login(a) for a in assessors],
        course=course,
        exam=exam,
        bank=bank,
        teams=teams,
        make_user=make_user,
        login=login,
    )
    for assessor in assessors:
        bound = client.put(
            f"{EVALUATION}/assessors/{assessor.id}",
            json={"occupations": [OCCUPATION]},
            headers=admin,
        )
        assert bound.status_code == 200, bound.get_json()
    return world
