"""``make load``: learners on phones against gunicorn on loopback, at 100 and 400 at once.

1. A generated dataset (benchmarks/generate.py, ``--scale`` 0.05: 500 learners in one
   organisation, 2 courses, 177 microlectures, 2,516 questions) in ``var/load``, made once and
   reused (``--fresh`` makes it again).
2. The API as ``make run`` serves it — gunicorn (gthread workers) and the task consumer — on
   the embedded defaults, or on ``DATABASE_URL`` when set.
3. locust, headless, for each number of learners (benchmarks/locustfile.py: sign in, my
   courses, search, playback URLs, heartbeats, a practice session of 20 answers, submit,
   history, with 2–10 s of thinking between steps), bounded in time.

Prints requests per second, p50/p95 per endpoint and the errors of each run, writes them to
``var/bench/load-<time>.json``, and exits 1 if any request failed.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import signal
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", default="100,400", help="learners at once, per run")
    parser.add_argument("--seconds", type=int, default=300, help="length of each run")
    parser.add_argument("--spawn-rate", type=float, default=10, help="learners starting per second")
    parser.add_argument("--scale", type=float, default=0.05, help="of the generated dataset")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--var-dir", default=str(ROOT / "var" / "load"))
    parser.add_argument("--fresh", action="store_true", help="generate the dataset again")
    args = parser.parse_args()
    console = Console()
    var = Path(args.var_dir)
    if args.fresh and var.exists():
        import shutil

        shutil.rmtree(var)
    env = {
        **os.environ,
        "VAR_DIR": str(var),
        "JIANGYUN_ENV": "development",
        "LOG_LEVEL": "WARNING",
        # Every simulated phone comes from 127.0.0.1: the per-address sign-in limit would
        # count 400 learners as one. Behind a proxy each learner has their own address.
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "PYTHONPATH": str(ROOT),
    }
    if not (var / "dataset-ready").exists():
        console.print(f"generating the dataset (×{args.scale:g}) in {var} …")
        subprocess.run(
            [sys.executable, str(ROOT / "benchmarks" / "generate.py"), "--scale", str(args.scale)],
            env=env,
            check=True,
        )
        (var / "dataset-ready").write_text(str(args.scale))
    scale = float((var / "dataset-ready").read_text())
    from benchmarks.generate import Plan

    plan = Plan(scale)
    env["LOAD_ORGANISATIONS"], env["LOAD_LEARNERS"] = str(plan.organisations), str(plan.learners)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [
            str(BIN / "gunicorn"),
            "--bind", f"127.0.0.1:{port}",
            "--workers", str(args.workers),
            "--threads", str(args.threads),
            "--worker-class", "gthread",
            # Longer than a phone's pause between requests: a connection closed by the
            # server just as the phone reuses it is a failed request the phone never sent.
            "--keep-alive", "75",
            "--backlog", "2048",
            "--log-level", "warning",
            "wsgi:app",
        ],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    consumer_log = (var / "consumer.log").open("ab")
    consumer = subprocess.Popen(
        [str(BIN / "flask"), "--app", "wsgi", "tasks", "worker"],
        cwd=ROOT,
        env=env,
        stdout=consumer_log,
        stderr=subprocess.STDOUT,
    )
    runs: list[dict[str, Any]] = []
    try:
        _wait_for(host, server)
        for users in [int(u) for u in args.users.split(",")]:
            console.print(f"{users} learners for {args.seconds} s …")
            runs.append(_run(host, users, args.seconds, args.spawn_rate, var, env))
    finally:
        for process in (server, consumer):
            process.send_signal(signal.SIGTERM)
        for process in (server, consumer):
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        consumer_log.close()
    _report(console, runs, args)
    if any(run["errors"] for run in runs):
        sys.exit(1)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for(host: str, server: subprocess.Popen[bytes]) -> None:
    import urllib.request

    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise SystemExit("gunicorn did not start")
        try:
            with urllib.request.urlopen(f"{host}/readyz", timeout=2) as answer:
                if answer.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit("the API did not become ready within 60 s")


def _run(
    host: str, users: int, seconds: int, spawn_rate: float, var: Path, env: dict[str, str]
) -> dict[str, Any]:
    prefix = var / f"locust-{users}"
    command = [
        str(BIN / "locust"),
        "--locustfile", str(ROOT / "benchmarks" / "locustfile.py"),
        "--headless",
        "--host", host,
        "--users", str(users),
        "--spawn-rate", str(spawn_rate),
        "--run-time", f"{seconds}s",
        "--stop-timeout", "15",
        "--csv", str(prefix),
        "--only-summary",
        "--loglevel", "WARNING",
        "--exit-code-on-error", "0",
    ]  # fmt: skip
    with (var / f"locust-{users}.log").open("wb") as log:
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=log, stderr=subprocess.STDOUT)
    with Path(f"{prefix}_stats.csv").open(encoding="utf-8") as stats:
        rows = list(csv.DictReader(stats))
    endpoints = []
    total: dict[str, str] = {}
    for row in rows:
        entry = {
            "endpoint": f"{row['Type']} {row['Name']}".strip(),
            "requests": int(row["Request Count"]),
            "failures": int(row["Failure Count"]),
            "p50_ms": float(row["50%"] or 0),
            "p95_ms": float(row["95%"] or 0),
            "p99_ms": float(row["99%"] or 0),
            "per_second": float(row["Requests/s"] or 0),
        }
        if row["Name"] == "Aggregated":
            total = row
        else:
            endpoints.append(entry)
    failures_file = Path(f"{prefix}_failures.csv")
    failures = list(csv.DictReader(failures_file.open(encoding="utf-8")))
    return {
        "users": users,
        "seconds": seconds,
        "requests": int(total["Request Count"]),
        "per_second": float(total["Requests/s"]),
        "p50_ms": float(total["50%"]),
        "p95_ms": float(total["95%"]),
        "errors": int(total["Failure Count"]),
        "error_kinds": [
            {"endpoint": f["Name"], "error": f["Error"], "count": int(f["Occurrences"])}
            for f in failures
        ],
        "endpoints": endpoints,
    }


def _report(console: Console, runs: list[dict[str, Any]], args: argparse.Namespace) -> None:
    for run in runs:
        table = Table(
            title=f"{run['users']} learners, {run['seconds']} s: {run['requests']:,} requests, "
            f"{run['per_second']:.1f}/s, p95 {run['p95_ms']:.0f} ms, errors {run['errors']}"
        )
        for column in ("endpoint", "requests", "/s", "p50 ms", "p95 ms", "p99 ms", "errors"):
            table.add_column(column, justify="left" if column == "endpoint" else "right")
        for e in run["endpoints"]:
            table.add_row(
                e["endpoint"],
                f"{e['requests']:,}",
                f"{e['per_second']:.1f}",
                f"{e['p50_ms']:.0f}",
                f"{e['p95_ms']:.0f}",
                f"{e['p99_ms']:.0f}",
                str(e["failures"]),
            )
        console.print(table)
        for kind in run["error_kinds"]:
            console.print(f"  [red]{kind['count']} × {kind['endpoint']}: {kind['error']}[/red]")
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    record = {"time": stamp, "settings": vars(args), "runs": runs}
    (folder / f"load-{stamp}.json").write_text(json.dumps(record, indent=2, ensure_ascii=False))
    console.print(f"written to var/bench/load-{stamp}.json")


if __name__ == "__main__":
    main()
