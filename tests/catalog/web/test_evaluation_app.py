"""Skill-level evaluation on phones, in headless Chromium, with `make run`'s demo data: the
worker applies under the 变配电运行值班员 level-4 plan, sits the theory exam through the
application; the assessor takes the candidate onto a tablet, scores the practical in a
workshop with no signal, photo included, and it reaches the server once the signal returns:
the certificate is issued."""

from __future__ import annotations

from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select

from catalog.accounts.models import User
from catalog.courses.models import Course
from catalog.credits.models import Certificate, CertificateSource
from catalog.database import db
from catalog.evaluation.models import Application, ApplicationStatus, Assessment
from catalog.learning import statements
from catalog.web.views import STATIC
from tests.catalog.web.test_learner_app import sign_in, snap

# the demo theory exam's right answers (catalog/demo/content.py, DEMO_EXAM_QUESTIONS)
RIGHT = ("验电", "操作人", "充气检查是否漏气", "先停低压侧后停高压侧", "误登带电线路杆塔")


def api_sign_in(app: Flask, username: str) -> dict[str, str]:
    token = app.test_client().post(
        "/api/v1/auth/token", json={"username": username, "password": "jiangyun-demo"}
    )
    return {"Authorization": f"Bearer {token.get_json()['access_token']}"}


def watch(page: Any, problems: list[str]) -> None:
    """Script errors, and console errors other than the requests a dead spot refuses."""
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "ERR_INTERNET_DISCONNECTED" not in m.text
            else None
        ),
    )


def fill_practical(desk: Any) -> None:
    """The demo checklist scored 95 of 100, its critical item passed."""
    desk.fill("#p-ticket", "18")
    desk.fill("#p-sequence", "40")
    desk.select_option("#c-sequence", "yes")
    desk.fill("#p-tools", "25")
    desk.fill("#p-report", "12")


def test_a_worker_applies_sits_the_theory_and_an_assessor_scores_offline(
    demo_app: Flask, base_url: str, phone: Any, browser: Any
) -> None:
    learner = db.session.scalar(select(User).where(User.username == "power-learner"))
    page = phone.new_page()
    problems: list[str] = []
    watch(page, problems)
    sign_in(page, base_url)
    page.get_by_role("heading", name="必修课").wait_for()

    # before the required course: the plan says what is missing
    page.goto(f"{base_url}/#/evaluation")
    page.get_by_text("未完成必修课程").wait_for()
    snap(page, "20-evaluation-not-eligible")
    # the course's completion (played through in test_learner_app; recorded here directly)
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    statements.record(learner.id, "completed", "course", course.id)
    db.session.commit()
    page.reload()
    page.get_by_role("button", name="申报").click()
    page.get_by_text("待审核").wait_for()
    snap(page, "21-evaluation-applied")

    application = db.session.scalars(select(Application)).one()
    admin = api_sign_in(demo_app, "power-admin")
    approved = demo_app.test_client().post(
        f"/api/v1/evaluation/applications/{application.id}/approve", json={}, headers=admin
    )
    assert approved.status_code == 200, approved.get_json()

    # the theory exam, through the application
    page.reload()
    page.get_by_role("button", name="参加理论考试").click()
    page.locator("#timer").wait_for()
    for position in range(1, 6):
        options = page.locator("#question button.option")
        right = next(text for text in RIGHT if options.filter(has_text=text).count())
        options.filter(has_text=right).click()
        page.locator("#save-status", has_text="已保存").wait_for()
        if position < 5:
            page.locator("#question").get_by_role("button", name="下一题").click()
    page.get_by_role("button", name="交卷").click()
    page.locator("#result").wait_for()
    page.goto(f"{base_url}/#/evaluation")
    page.locator("[data-application]", has_text="通过 · 100 分").wait_for()
    snap(page, "22-evaluation-theory-passed")

    assessor = db.session.scalar(select(User).where(User.username == "power-assessor"))
    assigned = demo_app.test_client().post(
        f"/api/v1/evaluation/applications/{application.id}/assessments",
        json={"component": "practical", "assessor_ids": [assessor.id]},
        headers=admin,
    )
    assert assigned.status_code == 201, assigned.get_json()

    # the assessor's tablet takes the candidate into the workshop, where there is no signal
    tablet = browser.new_context(
        viewport={"width": 800, "height": 1200}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    tablet.set_default_timeout(15_000)
    try:
        desk = tablet.new_page()
        watch(desk, problems)
        sign_in(desk, base_url, "power-assessor")
        desk.get_by_role("heading", name="必修课").wait_for()
        desk.goto(f"{base_url}/#/assess")
        desk.get_by_text("张工（配电运维）").wait_for()
        tablet.set_offline(True)
        desk.get_by_text("张工（配电运维）").click()
        fill_practical(desk)
        desk.fill("#n-report", "汇报用语不够规范")
        desk.set_input_files("#evidence", str(STATIC / "icons" / "icon-192.png"))
        desk.get_by_role("button", name="提交评分").click()
        desk.locator("#net", has_text="1 条待上传").wait_for()
        desk.get_by_text("已评分，待上传").wait_for()  # not scored a second time meanwhile
        snap(desk, "23-assessor-offline")
        assert db.session.scalars(select(Assessment)).one().submitted_at is None
        tablet.set_offline(False)
        expect(desk.locator("#net")).to_have_text("", timeout=30_000)
        snap(desk, "24-assessor-synced")
    finally:
        tablet.close()

    db.session.expire_all()
    scored = db.session.scalars(select(Assessment)).one()
    assert scored.total == 95 and len(scored.evidence_keys or []) == 1
    application = db.session.get(Application, application.id)
    assert application.status is ApplicationStatus.CERTIFIED
    certificate = db.session.get(Certificate, application.certificate_id)
    assert certificate.source is CertificateSource.EVALUATION and certificate.skill_level == 4

    page.reload()  # the worker's phone, still on the page
    page.get_by_text("已取证").wait_for()
    snap(page, "25-evaluation-certified")
    assert not problems, problems


def test_an_assessors_tablet_keeps_the_scores_when_a_photo_is_refused(
    demo_app: Flask, base_url: str, browser: Any
) -> None:
    """Second attack on issue 21: a GIF (or a file that only claims to be a photo) lost the
    whole scoring with it; a candidate whose attempt was voided stayed on the tablet."""
    from catalog.evaluation.models import EvaluationPlan

    learner = db.session.scalar(select(User).where(User.username == "power-learner"))
    assessor = db.session.scalar(select(User).where(User.username == "power-assessor"))
    course = db.session.scalar(select(Course).where(Course.code == "DEMO-POWER-01"))
    statements.record(learner.id, "completed", "course", course.id)
    db.session.commit()
    plan = db.session.scalar(select(EvaluationPlan).where(EvaluationPlan.code == "bpd-level-4"))
    client, admin = demo_app.test_client(), api_sign_in(demo_app, "power-admin")
    applied = client.post(
        "/api/v1/evaluation/applications",
        json={"plan_id": plan.id},
        headers=api_sign_in(demo_app, "power-learner"),
    ).get_json()
    base = f"/api/v1/evaluation/applications/{applied['id']}"
    assert client.post(f"{base}/approve", json={}, headers=admin).status_code == 200
    assign = {"component": "practical", "assessor_ids": [assessor.id]}
    assert client.post(f"{base}/assessments", json=assign, headers=admin).status_code == 201

    tablet = browser.new_context(
        viewport={"width": 800, "height": 1200}, is_mobile=True, has_touch=True, locale="zh-CN"
    )
    tablet.set_default_timeout(15_000)
    try:
        desk = tablet.new_page()
        sign_in(desk, base_url, "power-assessor")
        desk.get_by_role("heading", name="必修课").wait_for()
        desk.goto(f"{base_url}/#/assess")
        desk.get_by_text("张工（配电运维）").wait_for()
        # the attempt is voided (the assessor is moving away): the candidate leaves the tablet
        voided = client.post(
            f"{base}/void-attempt",
            json={"component": "practical", "reason": "考评员调岗"},
            headers=admin,
        )
        assert voided.status_code == 200, voided.get_json()
        desk.reload()
        desk.get_by_text("没有待考评的考生。").wait_for()
        assert client.post(f"{base}/assessments", json=assign, headers=admin).status_code == 201
        desk.reload()
        desk.get_by_text("张工（配电运维）").click()
        fill_practical(desk)
        # a GIF is said at once, and nothing is queued
        gif = {"name": "现场.gif", "mimeType": "image/gif", "buffer": b"GIF89a" + b"\0" * 20}
        desk.set_input_files("#evidence", files=[gif])
        desk.get_by_role("button", name="提交评分").click()
        desk.get_by_role("alert").filter(has_text="现场.gif").wait_for()
        assert (
            db.session.scalars(select(Assessment).where(Assessment.submitted_at.is_not(None))).all()
            == []
        )
        # a file that only claims to be a photo: the server refuses its bytes; the scores go
        fake = {"name": "现场.png", "mimeType": "image/png", "buffer": b"not a photo at all"}
        desk.set_input_files("#evidence", files=[fake])
        desk.get_by_role("button", name="提交评分").click()
        expect(desk.locator("#toast")).to_contain_text("未上传", timeout=30_000)
        expect(desk.locator("#net")).to_have_text("", timeout=30_000)
    finally:
        tablet.close()
    db.session.expire_all()
    [scored] = db.session.scalars(
        select(Assessment).where(Assessment.submitted_at.is_not(None))
    ).all()
    assert scored.total == 95 and scored.evidence_keys == []
