"""wsgi.py served by gunicorn, as ``make run`` does, answers on loopback."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.slow
def test_gunicorn_serves_the_docs_and_health(tmp_path: Path, database_url: str) -> None:
    port = _free_port()
    env = {
        **os.environ,
        "JIANGYUN_ENV": "test",
        "VAR_DIR": str(tmp_path),
        "DATABASE_URL": database_url,
        "LOG_LEVEL": "WARNING",
    }
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "1",
            "wsgi:app",
        ],
        cwd=PROJECT_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                if time.monotonic() > deadline or server.poll() is not None:
                    raise
                time.sleep(0.2)
        with urllib.request.urlopen(f"{base}/api/docs", timeout=5) as response:
            assert response.status == 200
            assert b"swagger-ui" in response.read()
        # Not ready while no task consumer runs: tasks would wait for ever.
        try:
            urllib.request.urlopen(f"{base}/readyz", timeout=5)
            raise AssertionError("ready without a task consumer")
        except urllib.error.HTTPError as refusal:
            assert refusal.code == 503 and b"task_consumer" in refusal.read()
        worker = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", "tasks", "worker", "--no-periodic"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"{base}/readyz", timeout=5) as response:
                    assert response.status == 200
                    break
            except urllib.error.HTTPError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
    finally:
        if "worker" in locals():
            worker.terminate()
            worker.wait(timeout=20)
        server.send_signal(signal.SIGTERM)
        output, _ = server.communicate(timeout=20)
    assert server.returncode == 0, output.decode(errors="replace")
