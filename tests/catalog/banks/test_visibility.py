"""The one visibility rule, tried from every entry point against every kind of question:
exactly when a question reaches a learner and when its key (answer, explanation) may leave.

Each question's explanation is ``KEY-<kind>``, so a leak anywhere is found by its text.
"""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient

from catalog.accounts.models import Organisation, Role, User
from catalog.clock import utcnow
from catalog.database import db
from catalog.quiz.models import ReviewCard
from tests.support.presigned import call_url

API = "/api/v1"
KINDS = ("own_practice", "own_exam", "shared", "unshared", "retired", "draft", "live", "closed")

# Where each kind may reach learner A (of the home organisation).
PRACTICE_FIXED = {"own_practice", "shared", "closed"}  # a practice paper may fix them
# An exam paper may fix them and show their keys after submit; never one a live contest of the
# organisation holds: even without its key, the total would tell whether an answer was right.
EXAM_FIXED = {"own_exam", "shared", "closed"}
EXAM_KEYS = EXAM_FIXED
DAILY = {"own_practice", "closed"}  # drawn from the home bank linked to the learner's course
REVIEW = {"own_practice", "shared", "closed"}  # mistakes book and review sessions
HOME_SNAPSHOT = {"own_practice", "closed"}
OFFLINE_PRACTICE = PRACTICE_FIXED  # what a practice pack holds: practice done offline with it
SEARCHED = {"own_practice", "own_exam", "shared", "draft", "live", "closed"}  # editor A's search

# Every operation whose reply can carry an answer key or explanation, and where it is tried.
KEY_BEARING = {
    "POST /api/v1/quiz-templates/{template_id}/sessions": "learner: test_papers",
    "GET /api/v1/quiz-sessions/{session_id}": "learner: test_papers",
    "PUT /api/v1/quiz-sessions/{session_id}/answers/{position}": "learner: test_papers",
    "POST /api/v1/quiz-sessions/{session_id}/submit": "learner: test_papers",
    "POST /api/v1/me/daily-practice": "learner: test_daily_practice",
    "POST /api/v1/me/review-sessions": "learner: test_reviews_and_mistakes",
    "GET /api/v1/me/mistakes": "learner: test_reviews_and_mistakes",
    "POST /api/v1/me/offline-practice": "learner: test_offline_practice",
    "POST /api/v1/evaluation/applications/{application_id}/theory-sessions": (
        "learner: tests/support/evaluating.py World.sit_theory, every evaluation test"
    ),
    "GET /api/v1/banks/{bank_id}/questions": "staff: test_staff_paths",
    "POST /api/v1/banks/{bank_id}/questions": "staff: test_staff_paths",
    "GET /api/v1/questions/{question_id}": "staff: test_staff_paths",
    "PATCH /api/v1/questions/{question_id}": "staff: test_staff_paths",
    "GET /api/v1/questions/{question_id}/versions/{number}": "staff: test_staff_paths",
    "GET /api/v1/banks/{bank_id}/pending-answers": "staff: test_staff_paths",
    "PUT /api/v1/quiz-sessions/{session_id}/items/{position}/grade": "staff: test_staff_paths",
}


def _question(kind: str, usage: str) -> dict[str, Any]:
    return {
        "type": "single_choice",
        "stem": f"【{kind}】停电检修时首先做什么？",
        "options": [
            {"label": "A", "text": "验电"},
            {"label": "B", "text": "断开电源"},
            {"label": "C", "text": "挂接地线"},
        ],
        "answer": {"correct": ["B"]},
        "explanation": f"KEY-{kind}",
        "usage": usage,
    }


@pytest.fixture
def world(
    client: FlaskClient,
    make_org: Callable[..., Organisation],
    make_user: Callable[..., User],
    login: Callable[[User], dict[str, str]],
    make_course: Callable[..., int],
) -> Any:
    home, other, alliance = (
        make_org(code="home", name="本单位"),
        make_org(code="other", name="外单位"),
        make_org(code="alliance", name="行业联盟"),
    )

    class World:
        editor = login(make_user(Role.EDITOR, organisation=home))
        admin = login(make_user(Role.ADMIN, organisation=home))
        learner_user = make_user(Role.LEARNER, organisation=home)
        learner = login(learner_user)
        other_editor = login(make_user(Role.EDITOR, organisation=other))
        other_learner = login(make_user(Role.LEARNER, organisation=other))
        alliance_editor = login(make_user(Role.EDITOR, organisation=alliance))
        ids: dict[str, int] = {}
        banks: dict[str, int] = {}
        course = make_course(home)

    def bank(who: dict[str, str], name: str, **extra: Any) -> int:
        made = client.post(f"{API}/banks", json={"name": name, **extra}, headers=who)
        assert made.status_code == 201, made.get_json()
        return int(made.get_json()["id"])

    def add(who: dict[str, str], bank_id: int, kind: str, usage: str, publish: bool) -> None:
        made = client.post(
            f"{API}/banks/{bank_id}/questions", json=_question(kind, usage), headers=who
        )
        assert made.status_code == 201, made.get_json()
        World.ids[kind] = int(made.get_json()["id"])
        if publish:
            bulk = {"ids": [World.ids[kind]], "action": "publish"}
            assert client.post(f"{API}/banks/{bank_id}/questions/bulk", json=bulk, headers=who)

    World.banks["home"] = bank(World.editor, "本单位题库", course_ids=[World.course])
    World.banks["other"] = bank(World.other_editor, "外单位题库")
    World.banks["alliance"] = bank(World.alliance_editor, "联盟题库", shared_with=["home"])
    home_bank = World.banks["home"]
    add(World.editor, home_bank, "own_practice", "practice", True)
    add(World.editor, home_bank, "own_exam", "exam", True)
    add(World.editor, home_bank, "retired", "both", True)
    add(World.editor, home_bank, "draft", "both", False)
    add(World.editor, home_bank, "live", "both", True)
    add(World.editor, home_bank, "closed", "both", True)
    add(World.alliance_editor, World.banks["alliance"], "shared", "both", True)
    add(World.other_editor, World.banks["other"], "unshared", "both", True)
    retire = {"ids": [World.ids["retired"]], "action": "retire"}
    client.post(f"{API}/banks/{home_bank}/questions/bulk", json=retire, headers=World.editor)
    now = utcnow()
    for kind, opens, closes in (
        ("live", now - timedelta(minutes=1), now + timedelta(hours=1)),
        ("closed", now - timedelta(hours=2), now - timedelta(hours=1)),
    ):
        contest = _paper(client, World.editor, [World.ids[kind]], "contest", opens, closes)
        assert contest.status_code == 201, contest.get_json()
    for who, bank_id in (
        (World.editor, home_bank),
        (World.alliance_editor, World.banks["alliance"]),
    ):
        assert client.post(f"{API}/banks/{bank_id}/publish", headers=who).status_code == 200
    assert client.put(f"{API}/me/courses/{World.course}", headers=World.learner).status_code in (
        200,
        201,
    )
    return World


def _paper(
    client: FlaskClient,
    who: dict[str, str],
    ids: list[int],
    mode: str,
    opens: Any = None,
    closes: Any = None,
    **extra: Any,
) -> Any:
    body: dict[str, Any] = {
        "title": f"{mode} paper",
        "mode": mode,
        "sections": [{"points": 1, "question_ids": ids}],
        **extra,
    }
    if opens is not None:
        body |= {"opens_at": opens.isoformat(), "closes_at": closes.isoformat()}
    return client.post(f"{API}/quiz-templates", json=body, headers=who)


def _keys_in(body: Any) -> set[str]:
    """The kinds whose key text appears anywhere in a reply."""
    text = json.dumps(body, ensure_ascii=False)
    return {kind for kind in KINDS if f"KEY-{kind}" in text}


def _kinds(world: Any, question_ids: list[int]) -> set[str]:
    names = {v: k for k, v in world.ids.items()}
    return {names[q] for q in question_ids}


def _answer(client: FlaskClient, who: dict[str, str], session: dict, client_id: str) -> Any:
    item = session["items"][0]
    label = next(o["label"] for o in item["options"] if o["text"] == "验电")  # wrong
    body = {"response": {"selected": [label]}, "client_answer_id": client_id}
    return client.put(
        f"{API}/quiz-sessions/{session['id']}/answers/{item['position']}", json=body, headers=who
    )


def test_papers(client: FlaskClient, world: Any) -> None:
    """Fixed practice and exam papers: who may fix what, and when each key leaves."""
    for kind in KINDS:
        qid = world.ids[kind]
        practice = _paper(client, world.editor, [qid], "practice")
        assert (practice.status_code == 201) is (kind in PRACTICE_FIXED), kind
        exam = _paper(client, world.editor, [qid], "exam", feedback_policy="after_submit")
        assert (exam.status_code == 201) is (kind in EXAM_FIXED), kind
        for refused in (practice, exam):
            if refused.status_code != 201:  # the same words whether the id exists or not
                assert refused.status_code == 422
                assert "cannot be used here" in json.dumps(refused.get_json())
        if practice.status_code == 201:
            url = f"{API}/quiz-templates/{practice.get_json()['id']}/sessions"
            started = client.post(url, headers=world.learner).get_json()
            assert _keys_in(started) == set(), kind
            saved = _answer(client, world.learner, started, f"p-{kind}")
            assert saved.status_code == 200 and _keys_in(saved.get_json()) == {kind}, kind
        if exam.status_code == 201:
            url = f"{API}/quiz-templates/{exam.get_json()['id']}/sessions"
            started = client.post(url, headers=world.learner).get_json()
            saved = _answer(client, world.learner, started, f"e-{kind}")
            assert _keys_in(saved.get_json()) == set(), kind
            batch = {
                "answers": [
                    {
                        "position": 1,
                        "response": {"selected": ["A"]},
                        "client_answer_id": f"b-{kind}",
                    }
                ]
            }
            batched = client.post(
                f"{API}/quiz-sessions/{started['id']}/answers/batch",
                json=batch,
                headers=world.learner,
            )
            assert _keys_in(batched.get_json()) == set(), kind
            resumed = client.get(f"{API}/quiz-sessions/{started['id']}", headers=world.learner)
            assert _keys_in(resumed.get_json()) == set(), kind
            submitted = client.post(
                f"{API}/quiz-sessions/{started['id']}/submit", headers=world.learner
            )
            assert _keys_in(submitted.get_json()) == ({kind} & EXAM_KEYS), kind
    # Another organisation's learner cannot open the home organisation's papers at all.
    paper = _paper(client, world.editor, [world.ids["own_practice"]], "practice").get_json()
    outsider = client.post(
        f"{API}/quiz-templates/{paper['id']}/sessions", headers=world.other_learner
    )
    assert outsider.status_code == 404


def test_daily_practice(client: FlaskClient, world: Any) -> None:
    daily = client.post(f"{API}/me/daily-practice", headers=world.learner)
    assert daily.status_code == 201, daily.get_json()
    body = daily.get_json()
    assert _kinds(world, [i["question_id"] for i in body["items"]]) == DAILY
    assert _keys_in(body) == set()
    # Another organisation's bank cannot be linked to the home organisation's course.
    linked = client.patch(
        f"{API}/banks/{world.banks['other']}",
        json={"course_ids": [world.course]},
        headers=world.other_editor,
    )
    assert linked.status_code == 422
    assert "of yours" in json.dumps(linked.get_json())


def test_offline_practice(client: FlaskClient, world: Any) -> None:
    """Practice sent back from a practice pack: a key comes back only for a question the
    learner may practise now; another organisation's bank is not acknowledged."""
    bank_of = {"shared": "alliance", "unshared": "other"}
    for kind in KINDS:
        body = {
            "client_id": f"offline-{kind}",
            "bank_id": world.banks[bank_of.get(kind, "home")],
            "started_at": (utcnow() - timedelta(minutes=5)).isoformat(),
            "answers": [
                {"question_id": world.ids[kind], "version": 1, "response": {"selected": ["A"]}}
            ],
        }
        sent = client.post(f"{API}/me/offline-practice", json=body, headers=world.learner)
        if kind in OFFLINE_PRACTICE:
            assert sent.status_code == 201, (kind, sent.get_json())
            assert _keys_in(sent.get_json()) == {kind}, kind
        else:
            assert sent.status_code in (404, 422), (kind, sent.get_json())
            assert _keys_in(sent.get_json()) == set(), kind


def test_reviews_and_mistakes(client: FlaskClient, world: Any) -> None:
    due = utcnow() - timedelta(minutes=1)
    for kind in KINDS:
        db.session.add(
            ReviewCard(
                user_id=world.learner_user.id,
                question_id=world.ids[kind],
                state=1,
                due_at=due,
                reviews=1,
                wrong_count=1,
            )
        )
    db.session.commit()
    mistakes = client.get(f"{API}/me/mistakes", headers=world.learner).get_json()
    assert _kinds(world, [m["question_id"] for m in mistakes["items"]]) == REVIEW
    assert _keys_in(mistakes) == set()
    review = client.post(f"{API}/me/review-sessions", headers=world.learner)
    assert review.status_code == 201, review.get_json()
    assert _kinds(world, [i["question_id"] for i in review.get_json()["items"]]) == REVIEW
    assert _keys_in(review.get_json()) == set()


def _snapshot(app: Flask, client: FlaskClient, who: dict[str, str], bank_id: int) -> Any:
    found = client.get(f"{API}/banks/{bank_id}/snapshot", headers=who)
    if found.status_code != 200:
        return found.status_code
    fetched = call_url(app, "GET", found.get_json()["url"])
    return json.loads(gzip.decompress(fetched.body))


def test_snapshots(app: Flask, client: FlaskClient, world: Any) -> None:
    home = _snapshot(app, client, world.learner, world.banks["home"])
    assert _kinds(world, [q["id"] for q in home["questions"]]) == HOME_SNAPSHOT
    assert _keys_in(home) == HOME_SNAPSHOT  # offline practice carries its keys, only these
    shared = _snapshot(app, client, world.learner, world.banks["alliance"])
    assert _kinds(world, [q["id"] for q in shared["questions"]]) == {"shared"}
    assert _snapshot(app, client, world.learner, world.banks["other"]) == 404
    assert _snapshot(app, client, world.other_learner, world.banks["home"]) == 404


def test_staff_paths(client: FlaskClient, world: Any) -> None:
    """Keys reach staff only through banks they edit: search never carries them; another
    organisation's editor finds nothing of the home organisation's."""
    found = client.get(f"{API}/search/questions?q=停电检修", headers=world.editor).get_json()
    assert _kinds(world, [int(h["id"]) for h in found["hits"]]) == SEARCHED
    assert _keys_in(found) == set()
    home_bank, question = world.banks["home"], world.ids["own_practice"]
    for path in (
        f"{API}/banks/{home_bank}/questions",
        f"{API}/questions/{question}",
        f"{API}/questions/{question}/versions/1",
        f"{API}/banks/{home_bank}/pending-answers",
        f"{API}/banks/{home_bank}",
    ):
        assert client.get(path, headers=world.other_editor).status_code == 404, path
    assert client.get(f"{API}/questions/{question}", headers=world.editor).status_code == 200
    export = client.post(
        f"{API}/banks/{home_bank}/exports", json={"format": "gift"}, headers=world.other_editor
    )
    assert export.status_code == 404
    # The alliance's bank: used by the home organisation, never edited or read with keys.
    shared_bank = world.banks["alliance"]
    assert client.get(f"{API}/banks/{shared_bank}", headers=world.editor).status_code == 200
    assert client.get(f"{API}/banks/{shared_bank}/questions", headers=world.editor).status_code in (
        403,
        404,
    )


def test_a_contest_opened_later_hides_keys_already_in_practice(
    client: FlaskClient, world: Any
) -> None:
    practice = _paper(client, world.editor, [world.ids["own_practice"]], "practice").get_json()
    url = f"{API}/quiz-templates/{practice['id']}/sessions"
    started = client.post(url, headers=world.learner).get_json()
    now = utcnow()
    other = client.post(  # an exam that needs the same question is scheduled meanwhile
        f"{API}/banks/{world.banks['home']}/questions",
        json=_question("exam-pair", "both"),
        headers=world.editor,
    )
    assert other.status_code == 201
    exam = _paper(
        client,
        world.editor,
        [world.ids["own_practice"]],
        "exam",
        now + timedelta(hours=1),
        now + timedelta(hours=2),
    )
    assert exam.status_code == 422  # a practice-only question is not for exams
    client.post(
        f"{API}/banks/{world.banks['home']}/questions/bulk",
        json={"ids": [world.ids["own_practice"]], "action": "set_usage", "value": "both"},
        headers=world.editor,
    )
    exam = _paper(
        client,
        world.editor,
        [world.ids["own_practice"]],
        "exam",
        now + timedelta(hours=1),
        now + timedelta(hours=2),
    )
    assert exam.status_code == 201, exam.get_json()
    saved = _answer(client, world.learner, started, "after-the-exam-was-set")
    assert saved.status_code == 200 and not saved.get_json()["revealed"]
    assert _keys_in(saved.get_json()) == set()
    again = client.post(url, headers=world.learner)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "template_outdated"
    listed = client.get(f"{API}/quiz-templates?mode=practice", headers=world.editor).get_json()
    outdated = {t["id"]: t["outdated_questions"] for t in listed["items"]}
    assert outdated[practice["id"]] == [world.ids["own_practice"]]


def test_every_key_bearing_operation_is_tried_here(client: FlaskClient) -> None:
    """Adding an operation whose reply can carry a key, without trying it against the rule
    above, fails here."""
    spec = client.get("/api/openapi.json").get_json()
    schemas = spec["components"]["schemas"]

    def carries_key(schema: Any, seen: frozenset[str] = frozenset()) -> bool:
        if not isinstance(schema, dict):
            return False
        ref = schema.get("$ref")
        if ref:
            name = ref.rsplit("/", 1)[1]
            return name not in seen and carries_key(schemas[name], seen | {name})
        properties = schema.get("properties", {})
        if {"answer", "explanation"} & set(properties):
            return True
        parts = [*properties.values(), schema.get("items"), *schema.get("allOf", [])]
        return any(carries_key(part, seen) for part in parts)

    found = set()
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method not in {"get", "put", "post", "patch", "delete"}:
                continue  # path-level parameters
            for status, response in operation.get("responses", {}).items():
                content = response.get("content", {}).get("application/json", {})
                if status.startswith("2") and carries_key(content.get("schema")):
                    found.add(f"{method.upper()} {path}")
    assert found == set(KEY_BEARING)
