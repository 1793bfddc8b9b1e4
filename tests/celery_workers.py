"""A real `celery worker` subprocess for tests: started against the test database, on a queue
of its own, always stopped. Used by the tests marked `worker` (see tests/core/test_celery_worker.py
for when they run and when they skip)."""

import os
import re
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import pytest
from django.conf import settings
from django.db import connection

from cxdesk.celery import app as celery_app

SERVER_BROKERS = ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")
READY_TIMEOUT = 60  # seconds for the worker to import Django and connect to the broker
TASK_TIMEOUT = 60  # seconds for a sent task to show its effect
# Seconds of warm shutdown before the worker is killed. Over amqp a solo worker takes ~9 s to
# notice SIGTERM (it is waiting on the broker socket); over redis well under a second.
STOP_TIMEOUT = 15


@dataclass
class WorkerProcess:
    """A `celery worker` subprocess consuming one queue of its own, its output in a file."""

    proc: subprocess.Popen
    queue: str
    log_path: Path

    def output(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def wait_for(self, condition: Callable[[], bool], *, what: str, timeout: float) -> None:
        """Poll `condition` until it holds; fail with the worker's output when it never does."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if condition():
                return
            if self.proc.poll() is not None:
                pytest.fail(
                    f"the worker exited (code {self.proc.returncode}) while waiting for {what}\n"
                    f"--- worker output ---\n{self.output()}"
                )
            time.sleep(0.2)
        pytest.fail(f"no {what} within {timeout} s\n--- worker output ---\n{self.output()}")

    def results_of(self, task_id: str) -> list[str]:
        """Return values the worker logged for each run of the task with this id."""
        pattern = rf"\[{re.escape(task_id)}\] succeeded in [0-9.e-]+s: (\S+)"
        return re.findall(pattern, self.output())

    def stop(self) -> None:
        """Warm shutdown (SIGTERM), then SIGKILL to the whole process group after a timeout."""
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(timeout=STOP_TIMEOUT)


def _reason_to_skip(db: dict) -> str | None:
    broker = settings.CELERY_BROKER_URL
    if not broker:
        return (
            "CELERY_BROKER_URL is unset, so tasks run eagerly; set it to redis://… or amqp://… "
            "to run the tests that go through a real worker"
        )
    if not broker.startswith((*SERVER_BROKERS, "filesystem://")):
        return f"CELERY_BROKER_URL={broker.split('://')[0]}:// is not a broker a worker can share"
    if db["ENGINE"] == "django.db.backends.sqlite3" and connection.creation.is_in_memory_db(
        db["NAME"]
    ):
        return (
            "the SQLite test database is in memory, which a worker process cannot open; use "
            "DATABASE_URL=postgres://… or a file test database (DATABASES TEST NAME)"
        )
    return None


def _worker_database_url(db: dict) -> str:
    """DATABASE_URL that points a worker at the test database this process uses."""
    if db["ENGINE"] == "django.db.backends.sqlite3":
        return f"sqlite:///{Path(db['NAME']).resolve()}"
    if db["ENGINE"] == "django.db.backends.postgresql":
        user = quote(db.get("USER") or "", safe="")
        password = quote(str(db.get("PASSWORD") or ""), safe="")
        credentials = f"{user}:{password}@" if password else (f"{user}@" if user else "")
        host = quote(db.get("HOST") or "", safe="")  # a socket directory is percent-encoded
        port = f":{db['PORT']}" if db.get("PORT") else ""
        return f"postgres://{credentials}{host}{port}/{quote(db['NAME'], safe='')}"
    raise NotImplementedError(f"no DATABASE_URL for {db['ENGINE']}")


@pytest.fixture(scope="module")
def worker(django_db_setup, tmp_path_factory) -> Iterator[WorkerProcess]:
    """One worker for this module, on a queue no other worker reads, always stopped at the end."""
    db = connection.settings_dict  # after django_db_setup: NAME is the test database
    reason = _reason_to_skip(db)
    if reason:
        pytest.skip(reason)
    # The test process must publish, not run the task itself.
    assert not celery_app.conf.task_always_eager, "Celery is eager although a broker is set"

    queue = f"cxdesk-test-{uuid.uuid4().hex[:12]}"
    log_path = tmp_path_factory.mktemp("celery-worker") / "worker.log"
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxdesk.settings",
        "DATABASE_URL": _worker_database_url(db),
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
        "CXDESK_AUTO_CLOSE_AFTER_DAYS": str(settings.CXDESK_AUTO_CLOSE_AFTER_DAYS),
        "PYTHONUNBUFFERED": "1",
    }
    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "cxdesk",
        "worker",
        "--pool=solo",
        "--concurrency=1",
        "-Q",
        queue,
        "--hostname",
        f"{queue}@%h",
        "--loglevel=INFO",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
    ]
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            command,
            cwd=settings.BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # its own group, to kill it all
        )
    process = WorkerProcess(proc=proc, queue=queue, log_path=log_path)
    try:
        process.wait_for(
            lambda: " ready." in process.output(),
            what="'ready' from the worker",
            timeout=READY_TIMEOUT,
        )
        yield process
    finally:
        process.stop()
        _delete_queue(queue)


def _delete_queue(queue: str) -> None:
    """Best effort: leave no empty test queue behind on a shared broker server."""
    try:
        with celery_app.connection_for_write() as conn:
            # Declare on this channel first: kombu's virtual transports (redis, filesystem)
            # remove only the bindings the deleting channel knows of.
            bound = celery_app.amqp.queues[queue](conn.default_channel)
            bound.declare()
            bound.delete()
    except Exception as exc:  # cleanup must not hide the test result
        print(f"could not delete the test queue {queue}: {exc!r}")
