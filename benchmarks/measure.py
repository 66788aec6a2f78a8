"""Timing helpers shared by the benchmark scripts: percentiles, targets and their verdicts,
and the figures each script hands to ``benchmarks/run.py`` (``make bench``) for one table."""

from __future__ import annotations

import json
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# "p50 ≤ 20 ms", "≤ 30 s", "p50 ≤ 5 ms, p99 ≤ 25 ms", "≥ 1000 /s": a bound without a
# percentile applies to the median.
_BOUND = re.compile(r"(?:(p50|p95|p99)\s*)?(≤|≥)\s*([\d,.]+)")


@dataclass
class Result:
    operation: str
    samples_ms: list[float]  # or samples in ``unit``
    target: str = ""
    unit: str = "ms"

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    @property
    def throughput(self) -> float | None:
        """Operations per second, for timings."""
        if self.unit != "ms":
            return None
        return 1000 / statistics.mean(self.samples_ms)

    @property
    def verdict(self) -> str:
        """ok, over target, or - when there is no bound to check."""
        bounds = _BOUND.findall(self.target)
        if not bounds:
            return "-"
        for percentile, sign, number in bounds:
            value = self.percentile(int((percentile or "p50")[1:]) / 100)
            limit = float(number.replace(",", ""))
            if (sign == "≤" and value > limit) or (sign == "≥" and value < limit):
                return "over target" if sign == "≤" else "under target"
        return "ok"

    def row(self) -> str:
        if self.unit != "ms":
            return (
                f"{self.operation:<40} {self.percentile(0.5):10,.2f} {self.unit:<6}"
                f"  target {self.target or '-'}  {self.verdict}"
            )
        return (
            f"{self.operation:<40} p50 {self.percentile(0.50):7.2f} ms  "
            f"p95 {self.percentile(0.95):7.2f} ms  p99 {self.percentile(0.99):7.2f} ms  "
            f"{self.throughput or 0:8.0f}/s  target {self.target or '-'}  {self.verdict}"
        )

    def as_dict(self, group: str) -> dict[str, Any]:
        return {
            "group": group,
            "operation": self.operation.strip(),
            "unit": self.unit,
            "p50": round(self.percentile(0.50), 3),
            "p95": round(self.percentile(0.95), 3),
            "p99": round(self.percentile(0.99), 3),
            "throughput_per_s": round(self.throughput, 1) if self.throughput else None,
            "samples": len(self.samples_ms),
            "target": self.target,
            "verdict": self.verdict,
        }


def figure(operation: str, value: float, unit: str, target: str = "") -> Result:
    """One measured value (seconds, megabytes, a rate) as a result of its own."""
    return Result(operation, [value], target, unit)


def measure(operation: str, call: Callable[[], object], runs: int, target: str = "") -> Result:
    for _ in range(min(20, runs)):  # warm-up
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return Result(operation, samples, target)


def emit(group: str, results: list[Result]) -> None:
    """Hand the figures to ``benchmarks/run.py`` (a JSON line each, when it asks for them)."""
    path = os.environ.get("BENCH_OUT")
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as out:
        for result in results:
            out.write(json.dumps(result.as_dict(group), ensure_ascii=False) + "\n")
