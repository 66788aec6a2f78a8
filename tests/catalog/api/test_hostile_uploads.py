"""Uploads an attacker swapped or forged (issue 15): an accepted file cannot be replaced, the
server decides every served type, signed URLs have one form. On the local store and on S3."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from urllib.parse import quote

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Role
from catalog.runtime import runtime
from tests.support.media import Samples
from tests.support.presigned import call_url
from tests.support.seaweedfs import s3_settings

API = "/api/v1"
MIB = 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(document.domain)</script></svg>'
HTML = b"<html><script>alert(document.domain)</script></html>"


@pytest.fixture(params=["local", "s3"])
def app(request: pytest.FixtureRequest, make_app: Callable[..., Flask]) -> Iterator[Flask]:
    overrides = {"upload_single_max_bytes": 6 * MIB, "upload_part_bytes": 5 * MIB}
    if request.param == "s3":
        overrides.update(s3_settings(request.getfixturevalue("seaweedfs")))
    built = make_app(**overrides)
    with built.app_context():
        yield built


def _local(app: Flask) -> bool:
    return runtime().settings.object_store == "local"


def _planned(
    client: FlaskClient, instructor: dict, size: int, title: str = "倒闸操作", **announce: str
) -> tuple[int, dict]:
    """A new microlecture of the instructor's and an upload plan of ``size`` bytes for it."""
    lecture = client.post(
        f"{API}/authoring/microlectures",
        json={"title": title, "description": "", "knowledge_points": []},
        headers=instructor,
    ).get_json()["id"]
    plan = client.post(
        f"{API}/authoring/microlectures/{lecture}/media/uploads",
        json={"file_name": "a.mp4", "size": size, "content_type": "video/mp4", **announce},
        headers=instructor,
    ).get_json()
    return int(lecture), dict(plan)


def test_a_certificate_scan_cannot_be_swapped_for_a_script(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict], make_org: Callable
) -> None:
    org = make_org(code="scan-org")
    learner, admin = (
        login_as(Role.LEARNER, organisation=org),
        login_as(Role.ADMIN, organisation=org),
    )
    ticket = client.post(
        f"{API}/me/certificates/scan-upload",
        json={"content_type": "image/png", "size": len(PNG)},
        headers=learner,
    ).get_json()
    assert call_url(app, "PUT", ticket["url"], PNG, {"Content-Type": "text/html"}).status == 200
    registered = client.post(
        f"{API}/me/certificates",
        json={
            "kind": "training",
            "number": "N1",
            "issuer": "x",
            "issued_on": "2026-01-01",
            "scan_key": ticket["key"],
        },
        headers=learner,
    )
    assert registered.status_code == 201, registered.get_json()
    # The same URL, a script, as the learner tried on make run:
    swap = call_url(app, "PUT", ticket["url"], SVG, {"Content-Type": "image/svg+xml"})
    assert swap.status in (200, 403, 413, 422)  # whatever it does, it reaches nothing served
    listed = client.get(f"{API}/certificates?status=pending", headers=admin).get_json()
    served = call_url(app, "GET", listed["items"][0]["scan_url"])
    assert served.status == 200 and served.body == PNG
    assert served.headers["Content-Type"].startswith("image/png")  # not the PUT's text/html
    if _local(app):
        assert served.headers["X-Content-Type-Options"] == "nosniff"
        assert "sandbox" in served.headers["Content-Security-Policy"]


def test_a_processed_microlecture_cannot_be_swapped(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict], samples: Samples
) -> None:
    instructor = login_as(Role.INSTRUCTOR)
    lecture, plan = _planned(client, instructor, samples.video_small.stat().st_size, "倒闸操作")
    data = samples.video_small.read_bytes()
    assert call_url(app, "PUT", plan["url"], data, {"Content-Type": "text/html"}).status == 200
    done = client.post(
        f"{API}/authoring/microlectures/{lecture}/media/uploads/{plan['upload']['id']}/complete",
        json={},
        headers=instructor,
    )
    assert done.get_json()["status"] == "done", done.get_json()
    html = HTML + b" " * (len(data) - len(HTML))  # the same size: the URL's signed length
    call_url(app, "PUT", plan["url"], html, {"Content-Type": "text/html"})
    playback = client.get(f"{API}/microlectures/{lecture}/playback", headers=instructor).get_json()
    original = next(r for r in playback["renditions"] if r["kind"] == "original")
    served = call_url(app, "GET", original["url"])
    assert served.body == data and served.headers["Content-Type"].startswith("video/mp4")


def test_a_png_with_html_inside_is_served_as_a_png(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    """A PNG whose text chunk holds HTML, PUT as text/html, passed the check and was served
    as text/html."""
    editor = login_as(Role.EDITOR)
    bank = client.post(f"{API}/banks", json={"name": "图题库"}, headers=editor).get_json()["id"]
    body = PNG + b"tEXt" + HTML
    plan = client.post(
        f"{API}/banks/{bank}/images",
        json={"content_type": "image/png", "size": len(body)},
        headers=editor,
    ).get_json()
    assert call_url(app, "PUT", plan["url"], body, {"Content-Type": "text/html"}).status == 200
    question = {
        "type": "true_false",
        "stem": "看图判断",
        "stem_images": [plan["key"]],
        "answer": {"correct": True},
    }
    created = client.post(f"{API}/banks/{bank}/questions", json=question, headers=editor)
    assert created.status_code == 201, created.get_json()
    url = runtime().object_store.presign_get(plan["key"], expires_in=60).url
    served = call_url(app, "GET", url)
    assert served.headers["Content-Type"].startswith("image/png")


def test_a_part_url_spliced_with_another_parameter_is_refused(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict]
) -> None:
    """partNumber=1%0AuploadId%3D<id> still verified and wrote the whole final object."""
    if not _local(app):
        pytest.skip("S3 signs its own canonical request: the splice is the local store's")
    instructor = login_as(Role.INSTRUCTOR)
    _, plan = _planned(client, instructor, 7 * MIB, "大文件")
    url = plan["parts"][0]["url"]
    upload_id = re.search(r"uploadId=([0-9a-f]+)", url)
    assert upload_id is not None
    spliced = url.replace(
        "partNumber=1", "partNumber=" + quote(f"1\nuploadId={upload_id.group(1)}")
    ).replace(f"uploadId={upload_id.group(1)}&", "")
    assert call_url(app, "PUT", spliced, b"x" * 10).status == 403
    repeated = url + "&partNumber=2"
    assert call_url(app, "PUT", repeated, b"x" * 10).status == 403
    unknown = url + "&x-extra=1"
    assert call_url(app, "PUT", unknown, b"x" * 10).status == 403


def test_more_bytes_than_planned_are_refused_while_they_stream(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict], samples: Samples
) -> None:
    """A 50 MiB PUT to a 1 MiB plan was stored."""
    instructor = login_as(Role.INSTRUCTOR)
    lecture, plan = _planned(client, instructor, MIB, "小文件")
    answer = call_url(app, "PUT", plan["url"], b"\x00" * (8 * MIB))
    assert answer.status in (403, 413)
    assert list(runtime().object_store.list(f"staging/lectures/{lecture}/")) == []


def _swap_during_the_check(
    monkeypatch: pytest.MonkeyPatch, module: object, app: Flask, url: str, body: bytes
) -> list[str]:
    """Let the first look at the staged bytes happen, then PUT ``body`` to the upload URL
    before the service goes on: what a client racing the check did (issue 15's attacker,
    finding 4: 3 in 15 tries served the swapped bytes). Returns the keys looked at."""
    original = module.sniff  # type: ignore[attr-defined]
    looked: list[str] = []

    def sniff_then_swap(key: str, **kwargs: object) -> str:
        seen = original(key, **kwargs)
        looked.append(key)
        if len(looked) == 1:
            call_url(app, "PUT", url, body)
        return str(seen)

    monkeypatch.setattr(module, "sniff", sniff_then_swap)
    return looked


def test_bytes_swapped_while_a_scan_is_checked_are_never_accepted(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., dict],
    make_org: Callable,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import catalog.uploads

    org = make_org(code="race-org")
    learner = login_as(Role.LEARNER, organisation=org)
    padded = SVG + b" " * (len(PNG) + 200 - len(SVG))
    body = PNG + b"\x00" * 200
    ticket = client.post(
        f"{API}/me/certificates/scan-upload",
        json={"content_type": "image/png", "size": len(body)},
        headers=learner,
    ).get_json()
    assert call_url(app, "PUT", ticket["url"], body).status == 200
    looked = _swap_during_the_check(monkeypatch, catalog.uploads, app, ticket["url"], padded)
    registered = client.post(
        f"{API}/me/certificates",
        json={
            "kind": "training",
            "number": "R1",
            "issuer": "x",
            "issued_on": "2026-01-01",
            "scan_key": ticket["key"],
        },
        headers=learner,
    )
    assert looked  # the window was there
    if registered.status_code == 201:  # what was accepted is what was checked
        with runtime().object_store.get(ticket["key"]) as stored:
            assert stored.read() == body
    else:
        assert registered.status_code in (415, 422)


def test_bytes_swapped_while_a_lecture_is_checked_are_never_accepted(
    app: Flask,
    client: FlaskClient,
    login_as: Callable[..., dict],
    samples: Samples,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The attacker's media swap finished done with a file whose SHA-256 differed from the
    one announced."""
    import hashlib

    import catalog.lectures.uploads

    instructor = login_as(Role.INSTRUCTOR)
    data = samples.video_small.read_bytes()
    other = samples.video_720p.read_bytes()[: len(data)]  # the same size, other bytes
    lecture, plan = _planned(client, instructor, len(data), sha256=hashlib.sha256(data).hexdigest())
    assert call_url(app, "PUT", plan["url"], data).status == 200
    looked = _swap_during_the_check(monkeypatch, catalog.lectures.uploads, app, plan["url"], other)
    done = client.post(
        f"{API}/authoring/microlectures/{lecture}/media/uploads/{plan['upload']['id']}/complete",
        json={},
        headers=instructor,
    )
    assert looked
    if done.status_code == 200 and done.get_json()["status"] in ("processing", "done"):
        from catalog.database import db
        from catalog.lectures.models import MediaUpload

        key = db.session.get(MediaUpload, plan["upload"]["id"]).key
        with runtime().object_store.get(key) as stored:
            assert hashlib.sha256(stored.read()).hexdigest() == hashlib.sha256(data).hexdigest()
    else:
        assert done.status_code in (409, 415, 422), done.get_json()


def test_parallel_completions_all_answer_the_accepted_upload(
    app: Flask, client: FlaskClient, login_as: Callable[..., dict], samples: Samples
) -> None:
    """Eight parallel completes: seven 200s and one 404 'No such object' (finding 6)."""
    from tests.support.concurrency import at_once

    instructor = login_as(Role.INSTRUCTOR)
    lecture = client.post(
        f"{API}/authoring/microlectures",
        json={"title": "并发完成", "description": "", "knowledge_points": []},
        headers=instructor,
    ).get_json()["id"]
    data = samples.video_small.read_bytes()
    lecture, plan = _planned(client, instructor, len(data), "倒闸操作")
    assert call_url(app, "PUT", plan["url"], data).status == 200
    path = f"{API}/authoring/microlectures/{lecture}/media/uploads/{plan['upload']['id']}/complete"

    def complete() -> int:
        with app.test_client() as own:
            return int(own.post(path, json={}, headers=instructor).status_code)

    assert at_once(*[complete] * 6) == [200] * 6
