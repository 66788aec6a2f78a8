"""An HR roster of 10,000 workers imported end to end (target ≤ 30 s), then again (nothing
changes: idempotent), and sign-in cost with the production password hash.

The roster is generated (seeded): 10 branches × 10 workshops × 5 teams, levels, occupations
and phones. It goes through the real path — upload to the object store, the roster task in an
isolated child (read, check, departments made, users created with their audit entries).
Run: ``make bench`` or ``.venv/bin/python benchmarks/bench_roster.py``.
"""

from __future__ import annotations

import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from benchmarks.measure import emit, figure

WORKERS = 10_000
LEVELS = ["初级工", "中级工", "高级工", "技师", "高级技师"]
OCCUPATIONS = ["变电检修工", "配电线路工", "电力电缆工", "继电保护员", "电能表修校工", "燃气管网工"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


def generate(path: Path) -> None:
    import xlsxwriter

    rng = random.Random(17)
    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    sheet = book.add_worksheet("花名册")
    sheet.write_row(0, 0, ["工号", "姓名", "手机号", "部门路径", "工种", "技能等级", "角色"])
    for n in range(1, WORKERS + 1):
        branch, shop, team = rng.randrange(10), rng.randrange(10), rng.randrange(5)
        sheet.write_row(
            n,
            0,
            [
                f"GD{n:06d}",
                rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN),
                f"139{rng.randrange(10**8):08d}",
                f"第{branch + 1}分公司/第{shop + 1}车间/{team + 1}班",
                rng.choice(OCCUPATIONS),
                rng.choice(LEVELS),
                "学员",
            ],
        )
    book.close()


def run_import(path: Path) -> dict[str, Any]:
    from benchmarks.setup import bench_app
    from catalog.accounts import roster_files
    from catalog.accounts import services as accounts
    from catalog.accounts.models import Role, RosterImport
    from catalog.accounts.tasks import import_roster
    from catalog.database import db

    results = {}
    with bench_app(tasks_immediate=False) as bench:
        admin = accounts.create_user(
            username="bench-admin",
            display_name="基准管理员",
            password="bench-password-1",
            roles=[Role.ADMIN],
            organisation=bench.organisation,
        )
        for label in ("first", "again"):
            started = time.perf_counter()
            with path.open("rb") as stream:
                record = roster_files.start_import(
                    admin,
                    stream,
                    file_name=path.name,
                    content_type="application/octet-stream",
                    mode="all_or_nothing",
                    dry_run=False,
                    disable_missing=False,
                    organisation_code=None,
                )
            import_roster.wrapper.call_local(record.task_id, record.id)
            elapsed = time.perf_counter() - started
            done = db.session.get(RosterImport, record.id)
            db.session.refresh(done)
            results[label] = {"seconds": elapsed, "status": done.status, "counts": done.counts}
        results["peak_rss_mb"] = (
            max(
                resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
                resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
            )
            / 1024
        )
        client = bench.app.test_client()
        samples = []
        for _ in range(30):
            started = time.perf_counter()
            response = client.post(
                "/api/v1/auth/token",
                json={"username": "bench-admin", "password": "bench-password-1"},
            )
            samples.append((time.perf_counter() - started) * 1000)
            assert response.status_code == 200, response.get_json()
        samples.sort()
        results["sign_in_ms"] = {"p50": samples[len(samples) // 2], "p95": samples[-2]}
    return results


def main() -> None:
    if len(sys.argv) == 3 and sys.argv[1] == "--import":
        print(json.dumps(run_import(Path(sys.argv[2])), ensure_ascii=False))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "roster-10000.xlsx"
        generate(path)
        out = subprocess.run(
            [sys.executable, __file__, "--import", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        result = json.loads(out.splitlines()[-1])
    first, again = result["first"], result["again"]
    print(f"roster import, {WORKERS:,} workers in 500 teams (.xlsx)")
    print(f"  first:  {first['status']} in {first['seconds']:.1f} s; {first['counts']}")
    print(f"  again:  {again['status']} in {again['seconds']:.1f} s; {again['counts']}")
    print(f"  peak memory {result['peak_rss_mb']:.0f} MB")
    sign_in = result["sign_in_ms"]
    print(
        f"  sign-in (argon2id 19 MiB, t=2, p=1): p50 {sign_in['p50']:.0f} ms, "
        f"p95 {sign_in['p95']:.0f} ms"
    )
    figures = [
        figure("roster import, 10,000 new workers: time", first["seconds"], "s", "≤ 30 s"),
        figure("roster import, the same roster again: time", again["seconds"], "s", "≤ 30 s"),
        figure("roster import: peak memory", result["peak_rss_mb"], "MB", "≤ 500 MB"),
        figure("sign-in, one request: p50", sign_in["p50"], "ms", "≤ 60 ms"),
    ]
    emit("roster and sign-in", figures)
    for item in figures:
        print("  " + item.row())


if __name__ == "__main__":
    main()
