"""A worker's phone, end to end in headless Chromium: sign in, the assigned course, a lecture
played until the server counts it, a practice, an exam whose network is cut for several
answers and restored, results, the mistakes book; then practice with no network at all.
Each step leaves a 360×740 screenshot under var/screenshots/."""

from __future__ import annotations

import json
import time
from collections import Counter
from typing import Any

from flask import Flask
from playwright.sync_api import expect
from sqlalchemy import select, update

from catalog.accounts.models import AuthSession, User
from catalog.clock import utcnow
from catalog.credits.models import Certificate
from catalog.database import db
from catalog.quiz.models import QuizMode, QuizSession, SessionItem, SessionStatus
from catalog.web.views import STATIC
from tests.support.browser import SCREENSHOTS


def snap(page: Any, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))


def sign_in(page: Any, base_url: str, username: str = "power-learner") -> None:
    page.goto(f"{base_url}/")
    page.fill("#username", username)
    page.fill("#password", "jiangyun-demo")
    page.click("button[type=submit]")


def answer_current(page: Any, *, wrong: bool = False) -> None:
    """Answer the question on screen: a choice, true or false, blanks or a short text."""
    question = page.locator("#question")
    options = question.locator("button.option")
    if options.count():
        if question.locator("[data-value]").count():  # true or false
            question.locator(f"[data-value={'true' if wrong else 'false'}]").click()
        else:
            options.first.click()
        return
    for blank in question.locator("input").all():
        blank.fill("50")
    if question.locator("textarea").count():
        question.locator("textarea").fill("先验电，再装设接地线，先接接地端后接导体端")
    question.get_by_role("button", name="保存答案").click()


def next_question(page: Any) -> None:
    page.locator("#question").get_by_role("button", name="下一题").click()


def test_a_worker_learns_practises_and_sits_an_exam_through_a_dead_spot(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    page = phone.new_page()
    problems: list[str] = []
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "console",
        lambda m: (
            problems.append(m.text)
            if m.type == "error" and "ERR_INTERNET_DISCONNECTED" not in m.text  # the dead spot
            else None
        ),
    )
    stored: Counter[str] = Counter()  # answers the server said it saved, by client id

    def tally(response: Any) -> None:
        if "/answers/" not in response.url or response.status >= 300:
            return
        body = response.json()
        if response.request.method == "PUT":
            stored[json.loads(response.request.post_data)["client_answer_id"]] += 1
        else:
            for result in body["results"]:
                if result["status"] == "saved":
                    stored[result["client_answer_id"]] += 1

    page.on("response", tally)

    # 1. Sign in; home shows the course the organisation assigned, with its due date.
    sign_in(page, base_url)
    page.get_by_role("heading", name="必修课").wait_for()
    assigned = page.locator("a.card", has_text="配电网运维与倒闸操作")
    assigned.wait_for()
    assert "截止" in assigned.inner_text()
    snap(page, "01-home")

    # 2. The course, then its first lecture played to the end: completed as the server counts it.
    assigned.click()
    page.get_by_role("heading", name="配电网运维与倒闸操作").wait_for()
    snap(page, "02-course")
    page.locator("main a.item").first.click()
    page.locator("#media").wait_for()
    page.evaluate("document.getElementById('media').play()")
    page.locator("#completion", has_text="已完成").wait_for(timeout=30_000)
    snap(page, "03-lecture-completed")

    # 3. A practice: feedback after each answer; a wrong one goes to the mistakes book.
    page.goto(f"{base_url}/#/quizzes")
    page.get_by_role("button", name="开始练习").click()
    page.locator("#question").wait_for()
    for position in range(1, 6):
        answer_current(page, wrong=True)
        page.locator("#question .feedback").wait_for()
        if position < 5:
            next_question(page)
    snap(page, "04-practice-feedback")
    page.get_by_role("button", name="交卷").click()
    page.locator("#result").wait_for()
    snap(page, "05-practice-result")

    # 4. An exam; the network drops after the first answer and comes back three answers later.
    page.goto(f"{base_url}/#/quizzes")
    page.get_by_role("button", name="开始考试").click()
    page.locator("#timer").wait_for()
    assert "剩余 1" in page.locator("#timer").inner_text()  # 15 minutes, by the server's clock
    answer_current(page)
    # the tapped option shows as chosen at once (it showed only after leaving the question)
    expect(page.locator("#question button.option").first).to_have_attribute("aria-pressed", "true")
    page.locator("#save-status", has_text="已保存").wait_for()
    phone.set_offline(True)
    for _ in range(3):
        next_question(page)
        answer_current(page)
        page.locator("#save-status", has_text="联网后自动上传").wait_for()
    page.locator("#net", has_text="3 条待上传").wait_for()
    snap(page, "06-exam-offline")
    phone.set_offline(False)
    expect(page.locator("#net")).to_have_text("", timeout=30_000)  # the outbox emptied itself
    next_question(page)
    answer_current(page)
    page.locator("#save-status", has_text="已保存").wait_for()
    page.get_by_role("button", name="交卷").click()
    page.locator("#result").wait_for()
    snap(page, "07-exam-result")

    exam = db.session.scalars(select(QuizSession).where(QuizSession.mode == QuizMode.EXAM)).one()
    db.session.refresh(exam)
    assert exam.status is SessionStatus.SUBMITTED
    items = db.session.scalars(select(SessionItem).where(SessionItem.session_id == exam.id)).all()
    assert all(item.response for item in items), [i.position for i in items if not i.response]
    # every answer arrived exactly once: each kept client id was saved once, no more
    kept = {item.client_answer_id for item in items}
    assert set(stored) >= kept and all(stored[c] == 1 for c in kept), stored

    # 5. The mistakes book holds the practice's wrong answers.
    page.goto(f"{base_url}/#/mistakes")
    page.locator("#mistakes li").first.wait_for()
    snap(page, "08-mistakes")
    assert not problems, problems


def answer_from_pack(page: Any) -> None:
    main = page.locator("main")
    main.locator("#stem").wait_for()  # the question is on screen before it is answered
    options = main.locator("button.option")
    if options.count():
        options.first.click()
    for blank in main.locator("input").all():
        blank.fill("50")
    if main.locator("textarea").count():
        main.locator("textarea").fill("先验电后接地")
    confirm = main.get_by_role("button", name="确定")
    if confirm.count():
        confirm.click()
    main.locator(".feedback").wait_for()


def practise_a_round(page: Any) -> None:
    """The five questions of the demo pack, answered from the pack, then 完成练习."""
    for _ in range(5):
        answer_from_pack(page)
        page.locator("main").get_by_role("button", name="下一题").or_(
            page.locator("main").get_by_role("button", name="完成练习")
        ).click()


def test_practice_with_no_network_at_all_is_recorded_once_back_online(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    page = phone.new_page()
    sign_in(page, base_url)
    page.get_by_role("heading", name="必修课").wait_for()
    page.goto(f"{base_url}/#/offline")
    page.locator("[data-download]").first.click()
    page.locator("[data-practise]").first.wait_for()
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # the shell is cached

    # No network at all: the app still opens (the shell from the service worker's cache),
    # and the pack downloaded before is there.
    phone.set_offline(True)
    page.reload()
    page.locator("[data-practise]").first.wait_for()
    snap(page, "09-offline-pack")
    page.locator("[data-practise]").first.click()
    practise_a_round(page)
    page.get_by_text("联网后自动上传").wait_for()
    page.locator("#net", has_text="1 条待上传").wait_for()
    snap(page, "10-offline-done")
    assert not offline_sessions()

    phone.set_offline(False)
    expect(page.locator("#net")).to_have_text("", timeout=30_000)
    [recorded] = offline_sessions()
    assert recorded.status is SessionStatus.SUBMITTED
    items = db.session.scalars(
        select(SessionItem).where(SessionItem.session_id == recorded.id)
    ).all()
    assert len(items) == 5 and all(item.response for item in items)
    assert recorded.score is not None  # graded on the server, from the versions the pack held


def offline_sessions() -> list[QuizSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(QuizSession).where(
                QuizSession.mode == QuizMode.PRACTICE, QuizSession.template_id.is_(None)
            )
        )
    )


def test_a_shared_phone_keeps_each_workers_records_their_own(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    """What one worker queued offline was sent as the next worker's, and the next worker
    found the first one's practice pack, keys included (attack on issue 20)."""
    page = phone.new_page()
    sign_in(page, base_url, "power-learner")
    page.get_by_role("heading", name="必修课").wait_for()
    page.goto(f"{base_url}/#/offline")
    page.locator("[data-download]").first.click()
    page.locator("[data-practise]").first.click()
    phone.set_offline(True)
    practise_a_round(page)
    page.locator("#net", has_text="1 条待上传").wait_for()
    # the first worker's login ends while the phone is offline (expired, reset by an admin)
    first = db.session.scalars(select(User).where(User.username == "power-learner")).one()
    db.session.execute(
        update(AuthSession).where(AuthSession.user_id == first.id).values(revoked_at=utcnow())
    )
    db.session.commit()
    phone.set_offline(False)
    page.goto(f"{base_url}/#/login")
    sign_in(page, base_url, "power-workshop-admin")
    page.get_by_role("heading", name="必修课").wait_for()
    page.goto(f"{base_url}/#/offline")
    page.locator("[data-download]").first.wait_for()
    assert page.locator("[data-practise]").count() == 0  # not the other worker's pack
    assert not offline_sessions()  # nor their practice, sent as this worker's
    # the first worker signs in again after the second signs out: their practice is sent,
    # as theirs
    page.goto(f"{base_url}/#/me")
    page.get_by_role("button", name="退出登录").click()
    page.locator("#username").wait_for()
    sign_in(page, base_url, "power-learner")
    page.get_by_role("heading", name="必修课").wait_for()
    deadline = time.monotonic() + 30
    while not offline_sessions() and time.monotonic() < deadline:
        page.wait_for_timeout(250)
    [recorded] = offline_sessions()
    assert recorded.user_id == first.id


def test_an_outside_certificate_is_registered_with_a_photo_from_the_phone(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    page = phone.new_page()
    sign_in(page, base_url)
    page.get_by_role("heading", name="必修课").wait_for()
    page.goto(f"{base_url}/#/certificates")
    page.fill("#number", "DL-2024-000123")
    page.fill("#issuer", "某市职业技能鉴定中心")
    page.select_option("#level", "4")
    page.fill("#issued", "2024-06-01")
    # the camera's photo, as the file input hands it over
    page.set_input_files("#scan", str(STATIC / "icons" / "icon-192.png"))
    page.get_by_role("button", name="提交审核").click()
    page.get_by_text("待审核").wait_for()
    snap(page, "12-certificate-registered")
    [certificate] = db.session.scalars(select(Certificate)).all()
    assert certificate.number == "DL-2024-000123" and certificate.skill_level == 4
    assert certificate.scan_key is not None  # the photo went to storage, checked there


def test_a_tab_follows_whoever_signed_in_in_another_tab(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    """Tab A signed in as one worker sent what another worker, signed in in tab B, had
    queued, with A's token (second attack on issue 20)."""
    first = phone.new_page()
    sign_in(first, base_url, "power-instructor")
    first.get_by_role("heading", name="必修课").wait_for()
    second = phone.new_page()
    second.goto(f"{base_url}/#/login")
    second.fill("#username", "power-learner")
    second.fill("#password", "jiangyun-demo")
    second.click("button[type=submit]")
    second.get_by_role("heading", name="必修课").wait_for()
    second.goto(f"{base_url}/#/offline")
    second.locator("[data-download]").first.click()
    second.locator("[data-practise]").first.click()
    phone.set_offline(True)
    practise_a_round(second)
    second.locator("#net", has_text="1 条待上传").wait_for()
    second.close()
    phone.set_offline(False)
    first.goto(f"{base_url}/#/me")  # the first tab, still open, is now the second worker's
    first.get_by_role("heading", name="张工（配电运维）").wait_for()
    deadline = time.monotonic() + 30
    while not offline_sessions() and time.monotonic() < deadline:
        first.wait_for_timeout(250)
    [recorded] = offline_sessions()
    learner = db.session.scalars(select(User).where(User.username == "power-learner")).one()
    assert recorded.user_id == learner.id


def test_nothing_chosen_is_never_an_answer_and_a_malformed_one_loses_no_others(
    demo_app: Flask, base_url: str, phone: Any
) -> None:
    """CI: 确定 pressed before any option was chosen queued {"selected": []}; the server
    refused the practice as malformed and the phone dropped all of it."""
    page = phone.new_page()
    sign_in(page, base_url)
    page.get_by_role("heading", name="必修课").wait_for()
    states = page.evaluate(
        """async () => {
          const { answerControl } = await import("/app/js/quiz.js");
          const given = [];
          const item = { type: "multiple_choice",
            options: [{ label: "A", text: "甲" }, { label: "B", text: "乙" }] };
          const pack = answerControl(item, null, (r) => given.push(r),
            { confirmChoices: true, saveLabel: "确定" });
          const confirm = pack.querySelector("button.block");
          const [a] = pack.querySelectorAll("button.option");
          const states = [confirm.disabled];
          a.click(); states.push(confirm.disabled);
          a.click(); states.push(confirm.disabled);
          confirm.click();
          const session = answerControl(item, { selected: ["A"] }, (r) => given.push(r), {});
          session.querySelector("button.option").click(); // the last choice unticked
          return { states, given };
        }"""
    )
    assert states == {"states": [True, False, True], "given": []}

    page.goto(f"{base_url}/#/offline")
    page.locator("[data-download]").first.click()
    page.locator("[data-practise]").first.wait_for()
    # an older app's practice, queued with one malformed answer among good ones
    page.evaluate(
        """async () => {
          const store = await import("/app/js/store.js");
          const sync = await import("/app/js/sync.js");
          const [pack] = await store.all("packs");
          const good = (q) => q.type === "true_false" ? { value: true }
            : q.type === "single_choice" ? { selected: [q.options[0].label] } : null;
          const fine = pack.questions.filter(good).slice(0, 2);
          const answers = fine.map(
            (q) => ({ question_id: q.id, version: q.version, response: good(q) }));
          const bad = pack.questions.find((q) => q.type === "multiple_choice" && !fine.includes(q));
          answers.splice(1, 0,
            { question_id: bad.id, version: bad.version, response: { selected: [] } });
          const id = sync.uid();
          await sync.queueOffline({ client_id: id, body: { client_id: id, bank_id: pack.bank_id,
            started_at: new Date().toISOString(), answers } });
        }"""
    )
    expect(page.locator("#toast")).to_contain_text("作答格式不正确")
    expect(page.locator("#net")).to_have_text("", timeout=30_000)
    [recorded] = offline_sessions()
    items = db.session.scalars(
        select(SessionItem).where(SessionItem.session_id == recorded.id)
    ).all()
    assert len(items) == 2 and all(item.response for item in items)
