"""Lighthouse (npm, mobile profile) on the learner app's home and player pages, against the
system Chromium: performance and accessibility must each be 90 or more.

The app is served as ``make run`` serves it (gunicorn and the task consumer, the demo data, in
``var/lighthouse``); Lighthouse and puppeteer-core are installed from the npm registry into
``benchmarks/lighthouse/node_modules`` on first use (no browser is downloaded: puppeteer-core
drives Debian's ``chromium``).

    .venv/bin/python benchmarks/bench_lighthouse.py
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.load import _free_port, _wait_for  # noqa: E402

HERE = ROOT / "benchmarks" / "lighthouse"
BIN = ROOT / ".venv" / "bin"
TARGET = 90


def main() -> None:
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("Debian's chromium is needed: apt-get install chromium")
    if not (HERE / "node_modules" / "lighthouse").exists():
        subprocess.run(
            ["npm", "install", "--no-audit", "--no-fund"],
            cwd=HERE,
            check=True,
            env={**os.environ, "PUPPETEER_SKIP_DOWNLOAD": "1"},
        )
    var = ROOT / "var" / "lighthouse"
    env = {**os.environ, "VAR_DIR": str(var), "LOG_LEVEL": "WARNING", "PYTHONPATH": str(ROOT)}
    flask = [str(BIN / "flask"), "--app", "wsgi"]
    subprocess.run([*flask, "db", "upgrade"], cwd=ROOT, env=env, check=True, capture_output=True)
    subprocess.run([*flask, "demo", "load"], cwd=ROOT, env=env, check=True, capture_output=True)
    port = _free_port()
    host = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--bind", f"127.0.0.1:{port}", "--workers", "2",
         "--worker-class", "gthread", "--threads", "4", "--log-level", "warning", "wsgi:app"],
        cwd=ROOT,
        env=env,
    )  # fmt: skip
    log = (var / "consumer.log").open("ab")
    consumer = subprocess.Popen(
        [*flask, "tasks", "worker"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        _wait_for(host, server)
        out = subprocess.run(
            ["node", "run.mjs", host, "power-learner", "jiangyun-demo"],
            cwd=HERE,
            env={**os.environ, "CHROME_PATH": chromium},
            check=True,
            capture_output=True,
            text=True,
        ).stdout
    finally:
        for process in (server, consumer):
            process.send_signal(signal.SIGTERM)
            process.wait(timeout=30)
        log.close()
    scores = json.loads(out.strip().splitlines()[-1])
    print(f"{'page':<8} {'performance':>11} {'accessibility':>13} {'best practices':>14}  metrics")
    met = True
    for page, s in scores.items():
        m = s["metrics"]
        print(
            f"{page:<8} {s['performance']:>11} {s['accessibility']:>13} {s['best-practices']:>14}  "
            f"FCP {m['fcp_ms']} ms, LCP {m['lcp_ms']} ms, TBT {m['tbt_ms']} ms, CLS {m['cls']}"
        )
        if s["failing_accessibility"]:
            print(
                f"         accessibility audits not passed: {', '.join(s['failing_accessibility'])}"
            )
        met &= s["performance"] >= TARGET and s["accessibility"] >= TARGET
    verdict = "met" if met else "MISSED"
    print(f"target: performance and accessibility ≥ {TARGET} on both pages: {verdict}")
    out_dir = ROOT / "var" / "bench"
    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "lighthouse.json").write_text(json.dumps(scores, indent=2))
    sys.exit(0 if met else 1)


if __name__ == "__main__":
    main()
