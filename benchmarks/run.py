"""``make bench``: every benchmark script, then one table — operation, p50, p95, p99,
throughput, target, verdict — also written as JSON under ``var/bench/``, with the framework
ceiling: a bare Flask endpoint measured the same way, and the API's throughput as a share of it.

Run: ``make bench`` (all) or ``.venv/bin/python benchmarks/run.py quiz learning`` (some).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from flask import Flask, jsonify
from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.measure import measure  # noqa: E402  (needs the project on the path)
from benchmarks.setup import bench_app  # noqa: E402


def main() -> None:
    wanted = set(sys.argv[1:])
    scripts = sorted(
        p
        for p in (ROOT / "benchmarks").glob("bench_*.py")
        if not wanted or p.stem.removeprefix("bench_") in wanted
    )
    figures: list[dict[str, Any]] = []
    failed = []
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "figures.jsonl"
        for script in scripts:
            print(f"\n── {script.name}", flush=True)
            env = {**os.environ, "BENCH_OUT": str(out)}
            if subprocess.run([sys.executable, str(script)], env=env, check=False).returncode:
                failed.append(script.name)
        if out.exists():
            figures = [json.loads(line) for line in out.read_text("utf-8").splitlines()]
    ceiling = framework_ceiling()
    report = {
        "run_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "figures": figures,
        "ceiling": ceiling,
        "failed_scripts": failed,
    }
    folder = ROOT / "var" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    text = json.dumps(report, ensure_ascii=False, indent=2)
    (folder / f"bench-{stamp}.json").write_text(text, "utf-8")
    (folder / "latest.json").write_text(text, "utf-8")
    show(figures, ceiling)
    print(f"written to var/bench/bench-{stamp}.json (and var/bench/latest.json)")
    if failed:
        print("scripts that failed: " + ", ".join(failed))
        sys.exit(1)


def framework_ceiling() -> dict[str, Any]:
    """Requests per second of a bare Flask JSON endpoint and of two of ours, in process."""
    bare = Flask("ceiling")

    @bare.get("/ping")
    def ping() -> Any:
        return jsonify(ok=True)

    bare_client = bare.test_client()
    rows = [measure("bare Flask: GET /ping", lambda: bare_client.get("/ping"), runs=3000)]
    with bench_app() as bench:
        client = bench.app.test_client()
        headers = bench.headers("learner")
        rows.append(measure("API: GET /healthz", lambda: client.get("/healthz"), runs=3000))
        rows.append(
            measure(
                "API: GET /api/v1/me (signed in)",
                lambda: client.get("/api/v1/me", headers=headers),
                runs=3000,
            )
        )
    ceiling = rows[0].throughput or 1.0
    return {
        "rows": [
            {
                **row.as_dict("ceiling"),
                "share_of_ceiling": round((row.throughput or 0) / ceiling, 3),
            }
            for row in rows
        ]
    }


def show(figures: list[dict[str, Any]], ceiling: dict[str, Any]) -> None:
    table = Table(title="Jiangyun benchmarks (in process, embedded defaults)")
    for column in ("group", "operation", "p50", "p95", "p99", "throughput", "target", "verdict"):
        table.add_column(column, justify="right" if column in ("p50", "p95", "p99") else "left")
    for row in [*figures, *ceiling["rows"]]:
        unit = row["unit"]
        rate = row["throughput_per_s"]
        share = row.get("share_of_ceiling")
        throughput = f"{rate:,.0f}/s" if rate else ("" if unit != "/s" else f"{row['p50']:,.0f}/s")
        if share is not None:
            throughput += f" ({share:.0%} of bare Flask)"
        single = row["samples"] == 1
        table.add_row(
            row["group"],
            row["operation"],
            f"{row['p50']:,.2f} {unit}",
            "" if single else f"{row['p95']:,.2f} {unit}",
            "" if single else f"{row['p99']:,.2f} {unit}",
            throughput,
            row["target"] or "-",
            row["verdict"],
        )
    Console(width=200).print(table)


if __name__ == "__main__":
    started = time.perf_counter()
    main()
    print(f"benchmarks took {time.perf_counter() - started:.0f} s")
