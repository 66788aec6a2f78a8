"""Jobs that read untrusted files (imports, exports, media) run in a child process of their own,
with a memory ceiling and a time limit: a file built to exhaust memory or hang a parser fails
its own task with a clear reason, and the consumer that started it goes on with the next."""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import resource
import time
import traceback
from multiprocessing.connection import Connection
from typing import Any

from catalog import create_app
from catalog.background.queue import Progress, TaskFailure
from catalog.runtime import runtime
from config import Settings

log = logging.getLogger("jiangyun.tasks")

BEAT_SECONDS = 10  # how often the waiting parent says it is alive (the task's heartbeat)


def run_isolated(
    job: str,
    args: tuple[Any, ...],
    progress: Progress,
    *,
    settings: Settings,
    timeout_seconds: int | None = None,
) -> dict[str, Any]:
    """Run ``job`` ("module:function", called as ``function(*args, progress)``) in a child
    process built from ``settings``; its result, or :class:`TaskFailure` saying why not.
    ``timeout_seconds`` shortens TASK_TIMEOUT_SECONDS for jobs that should be quick."""
    memory_mb, timeout = settings.task_memory_mb, settings.task_timeout_seconds
    if timeout_seconds is not None:
        timeout = min(timeout, timeout_seconds)
    context = multiprocessing.get_context("spawn")  # a fresh interpreter: no shared sockets
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(
        target=_child, args=(settings, job, args, sender, memory_mb), daemon=True
    )
    child.start()
    sender.close()
    deadline = time.monotonic() + timeout
    outcome: tuple[Any, ...] | None = None
    try:
        while outcome is None:
            if time.monotonic() > deadline:
                raise TaskFailure(
                    f"处理超过 {timeout} 秒，已停止 / Stopped after {timeout} s: the file takes "
                    "too long to process"
                )
            if receiver.poll(BEAT_SECONDS):
                try:
                    message = receiver.recv()
                except EOFError:  # the child died without a word: killed, or out of memory
                    break
                if message[0] == "progress":
                    progress(message[1], message[2])
                else:
                    outcome = message
            elif not child.is_alive() and not receiver.poll():
                break
            progress(None)  # the waiting parent keeps the task's lease
    finally:
        if child.is_alive():
            child.kill()
        child.join(timeout=10)
        receiver.close()
    if outcome is None or outcome[0] == "memory":
        raise TaskFailure(
            f"处理该文件需要超过 {memory_mb} MB 内存或使进程崩溃，已停止 / The file needs more "
            f"than {memory_mb} MB to process, or crashed the process reading it"
        )
    if outcome[0] == "failed":
        raise TaskFailure(outcome[1])
    if outcome[0] == "error":
        log.error("isolated job %s failed:\n%s", job, outcome[1])
        raise TaskFailure("任务执行出错 / The task failed unexpectedly")
    result: dict[str, Any] = outcome[1]
    return result


def _child(
    settings: Settings, job: str, args: tuple[Any, ...], pipe: Connection, memory_mb: int
) -> None:
    ceiling = memory_mb * 1024 * 1024
    try:
        # Our own code loads first, unlimited (compiling it short of memory fails in odd ways,
        # such as a SyntaxError); the ceiling then holds for the work on the file.
        module, name = job.split(":")
        function = getattr(importlib.import_module(module), name)
        app = create_app(settings)
        resource.setrlimit(resource.RLIMIT_AS, (ceiling, ceiling))
        with app.app_context():

            def progress(percent: int, message: str | None = None) -> None:
                pipe.send(("progress", percent, message))

            pipe.send(("done", function(*args, progress)))
    except TaskFailure as failure:
        pipe.send(("failed", str(failure)))
    except MemoryError:
        pipe.send(("memory",))
    except BaseException:
        pipe.send(("error", traceback.format_exc()))
    finally:
        pipe.close()


def run_job(
    job: str, args: tuple[Any, ...], progress: Progress, *, timeout_seconds: int | None = None
) -> dict[str, Any]:
    """Run ``job`` isolated (TASKS_ISOLATED, the default) or in this process."""
    settings = runtime().settings
    if settings.tasks_isolated:
        return run_isolated(job, args, progress, settings=settings, timeout_seconds=timeout_seconds)
    module, name = job.split(":")
    result: dict[str, Any] = getattr(importlib.import_module(module), name)(*args, progress)
    return result
