"""Learners on phones, for locust: the journey of ``make load`` (see benchmarks/load.py).

Each simulated learner signs in as a different generated learner (benchmarks/generate.py),
then, with 2–10 s of thinking between steps: lists their courses, searches, opens a course and
a microlecture's playback URLs, sends heartbeats while watching, starts a practice session,
answers its 20 questions one by one, submits, and reads their history. Then again.
"""

from __future__ import annotations

import itertools
import os
import random
import uuid
from datetime import UTC, datetime
from typing import Any

from locust import FastHttpUser, between, task

from benchmarks.generate import PASSWORD, username

ORGANISATIONS = int(os.environ.get("LOAD_ORGANISATIONS", "1"))
LEARNERS = int(os.environ.get("LOAD_LEARNERS", "500"))
SEARCHES = ["配电", "安全", "peidian", "焊接", "巡检", "故障处理", "燃气", "数控", "jiedi", "应急"]
_next = itertools.count()


class Learner(FastHttpUser):
    """geventhttpclient, not requests: the load generator shares the server's two cores here,
    and every millisecond it spends is one the API does not get."""

    wait_time = between(2, 10)

    def on_start(self) -> None:
        n = next(_next) % LEARNERS
        self.name = username(n % ORGANISATIONS, "learner", n)
        self.rng = random.Random(n)
        body = {"username": self.name, "password": PASSWORD}
        with self.client.post("/api/v1/auth/token", json=body, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"sign-in of {self.name}: {answer.status_code} {answer.text[:200]}")
                self.headers: dict[str, str] = {}
                return
            token = answer.json()["access_token"]
        self.headers = {"Authorization": f"Bearer {token}"}

    def think(self) -> None:
        self.wait()

    def get(self, path: str, name: str) -> Any:
        answer = self.client.get(path, headers=self.headers, name=name)
        return answer.json() if answer.status_code == 200 else None

    @task
    def journey(self) -> None:
        mine = self.get("/api/v1/me/courses", "my courses")
        self.think()
        self.get(f"/api/v1/search?q={self.rng.choice(SEARCHES)}", "search")
        if not mine or not mine["items"]:
            return
        course = self.rng.choice(mine["items"])["course"]["id"]
        self.think()
        detail = self.get(f"/api/v1/courses/{course}", "course")
        lectures = [m["id"] for chapter in detail["chapters"] for m in chapter["microlectures"]]
        lecture = self.rng.choice(lectures)
        self.get(f"/api/v1/microlectures/{lecture}/playback", "playback URLs")
        self._watch(lecture)
        self.think()
        self._practice()
        self.think()
        self.get("/api/v1/me/history?limit=20", "history")

    def _watch(self, lecture: int) -> None:
        """Three heartbeats of 20 s of video, sent as the phone sends them."""
        position = self.rng.uniform(0, 100)
        for _ in range(3):
            self.think()
            beat = {
                "id": str(uuid.uuid4()),
                "verb": "progressed",
                "object": {"type": "microlecture", "id": lecture},
                "result": {
                    "position_from": round(position, 3),
                    "position_to": round(position + 20, 3),
                    "playback_rate": 1.0,
                    "wall_seconds": 20,
                },
                "timestamp": datetime.now(UTC).isoformat(),
            }
            self.client.post(
                "/api/v1/me/statements:batch",
                json={"statements": [beat]},
                headers=self.headers,
                name="heartbeat",
            )
            position += 20

    def _practice(self) -> None:
        papers = self.get("/api/v1/quiz-templates?mode=practice", "practice papers")
        if not papers or not papers["items"]:
            return
        paper = self.rng.choice(papers["items"])["id"]
        started = self.client.post(
            f"/api/v1/quiz-templates/{paper}/sessions", headers=self.headers, name="start practice"
        )
        if started.status_code != 201:
            return
        session = started.json()
        for item in session["items"]:
            self.think()
            self.client.put(
                f"/api/v1/quiz-sessions/{session['id']}/answers/{item['position']}",
                json={
                    "response": self._response(item),
                    "client_answer_id": f"{session['id']}-{item['position']}",
                },
                headers=self.headers,
                name="answer",
            )
        self.client.post(
            f"/api/v1/quiz-sessions/{session['id']}/submit", headers=self.headers, name="submit"
        )

    def _response(self, item: dict[str, Any]) -> dict[str, Any]:
        labels = [option["label"] for option in item.get("options") or []]
        if item["type"] == "single_choice":
            return {"selected": [self.rng.choice(labels)]}
        if item["type"] == "multiple_choice":
            return {"selected": self.rng.sample(labels, 2)}
        if item["type"] == "true_false":
            return {"value": self.rng.random() < 0.5}
        if item["type"] == "fill_blank":
            return {"blanks": ["办理工作票", "验电并装设接地线"]}
        return {"text": "先办理工作票，再验电并装设接地线。"}
