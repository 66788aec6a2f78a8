"""Rows the tests need: organisations, users and their sign-in, lectures, industries, courses."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from flask.testing import FlaskClient

from catalog.accounts import services as accounts
from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.lectures.models import LectureStatus, Microlecture
from catalog.reference.models import Industry, Occupation

TEST_PASSWORD = "correct horse battery"
# Test users and lectures have existed this long: statements may not predate either (a new
# account cannot claim last month's watching), and tests replay days of learning.
EXISTED_FOR = timedelta(days=60)


def make_org(
    code: str | None = None,
    name: str = "测试电力公司",
    *,
    kind: OrganisationKind = OrganisationKind.ENTERPRISE,
) -> Organisation:
    return accounts.create_organisation(
        code=code or f"org-{uuid.uuid4().hex[:8]}", name=name, kind=kind
    )


class UserFactory:
    """Users with TEST_PASSWORD. Those needing an organisation and given none share one, made
    on first need; a platform admin needs none."""

    def __init__(self, make_org: Callable[..., Organisation]) -> None:
        self.make_org = make_org
        self.default_org: Organisation | None = None

    def __call__(
        self,
        *roles: Role,
        organisation: Organisation | None = None,
        username: str | None = None,
        display_name: str = "测试用户",
    ) -> User:
        if organisation is None and set(roles) != {Role.PLATFORM_ADMIN}:
            if self.default_org is None:
                self.default_org = self.make_org(code="home-org")
            organisation = self.default_org
        user = accounts.create_user(
            username=username or f"u{uuid.uuid4().hex[:10]}",
            display_name=display_name,
            password=TEST_PASSWORD,
            roles=roles or (Role.LEARNER,),
            organisation=organisation,
        )
        user.created_at = utcnow() - EXISTED_FOR
        db.session.commit()
        return user


def sign_in(client: FlaskClient, user: User) -> dict[str, str]:
    """Sign a user in through the API; returns the Authorization header."""
    response = client.post(
        "/api/v1/auth/token", json={"username": user.username, "password": TEST_PASSWORD}
    )
    assert response.status_code == 200, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['access_token']}"}


def make_lecture(
    instructor: User,
    *,
    title: str = "安全用电常识",
    ready: bool = True,
    duration: float = 420.0,
) -> Microlecture:
    """A microlecture owned by ``instructor``; ``ready`` gives it processed media (no files)."""
    lecture = Microlecture(
        title=title,
        description="",
        knowledge_points=["安全用电"],
        instructor_id=instructor.id,
        organisation_id=instructor.organisation_id,
        status=LectureStatus.READY if ready else LectureStatus.DRAFT,
        duration_seconds=duration if ready else None,
        created_at=utcnow() - EXISTED_FOR,
    )
    db.session.add(lecture)
    db.session.commit()
    return lecture


def make_industry(
    code: str = "power", name: str = "电力", occupation: str | None = None
) -> Industry:
    """The industry of that code, made if missing; with ``occupation``, a new occupation in it."""
    industry = db.session.scalar(sa.select(Industry).where(Industry.code == code))
    if industry is None:
        industry = Industry(code=code, name=name, name_en=code)
        db.session.add(industry)
        db.session.flush()
    if occupation:
        db.session.add(Occupation(code=occupation, name=f"{name}工种", industry_id=industry.id))
    db.session.commit()
    return industry


class CourseFactory:
    """Published courses, written by an instructor and published by an editor through the API."""

    def __init__(
        self,
        client: FlaskClient,
        make_user: Callable[..., User],
        login: Callable[[User], dict[str, str]],
        make_industry: Callable[..., Industry],
        make_lecture: Callable[..., Microlecture],
    ) -> None:
        self.client = client
        self.make_user = make_user
        self.login = login
        self.make_industry = make_industry
        self.make_lecture = make_lecture

    def __call__(
        self, organisation: Organisation, code: str = "QZ-001", title: str = "配电安全"
    ) -> int:
        """A course of ``organisation`` with one chapter of one lecture; returns its id."""
        client = self.client
        self.make_industry("power", "电力")
        instructor = self.make_user(Role.INSTRUCTOR, organisation=organisation)
        editor = self.login(self.make_user(Role.EDITOR, organisation=organisation))
        body = {
            "code": code,
            "title": title,
            "summary": "停电作业的安全要点",
            "objectives": ["掌握停电作业步骤"],
            "industry": "power",
            "skill_level": 4,
            "class_hours": 2,
            "credits": 0.5,
        }
        created = client.post(
            "/api/v1/authoring/courses", json=body, headers=self.login(instructor)
        )
        assert created.status_code == 201, created.get_json()
        course_id = int(created.get_json()["id"])
        lecture = self.make_lecture(instructor)
        chapters = {"chapters": [{"title": "第一章", "items": [{"microlecture_id": lecture.id}]}]}
        response = client.put(
            f"/api/v1/authoring/courses/{course_id}/chapters", json=chapters, headers=editor
        )
        assert response.status_code == 200, response.get_json()
        published = client.post(f"/api/v1/authoring/courses/{course_id}/publish", headers=editor)
        assert published.status_code == 200, published.get_json()
        db.session.refresh(lecture)
        lecture.published_at = utcnow() - EXISTED_FOR
        db.session.commit()
        return course_id
