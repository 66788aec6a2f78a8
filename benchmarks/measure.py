"""Timing helpers shared by the benchmark scripts: percentiles and a printed table."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass


@dataclass
class Result:
    operation: str
    samples_ms: list[float]
    target: str = ""

    def percentile(self, share: float) -> float:
        ordered = sorted(self.samples_ms)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))]

    def row(self) -> str:
        per_second = 1000 / statistics.mean(self.samples_ms)
        return (
            f"{self.operation:<40} p50 {self.percentile(0.50):7.2f} ms  "
            f"p95 {self.percentile(0.95):7.2f} ms  p99 {self.percentile(0.99):7.2f} ms  "
            f"{per_second:8.0f}/s  target {self.target or '-'}"
        )


def measure(operation: str, call: Callable[[], object], runs: int, target: str = "") -> Result:
    for _ in range(min(20, runs)):  # warm-up
        call()
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1000)
    return Result(operation, samples, target)
