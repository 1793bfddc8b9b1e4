"""Benchmark: case creation through the REST API on PostgreSQL with gunicorn (2 workers).

    make bench            # or: .venv/bin/python bench/api_create.py [--seconds 20 --users 4]

Starts gunicorn on 127.0.0.1 against a scratch PostgreSQL database (BENCH_DATABASE_URL,
default postgres://postgres@127.0.0.1:5432/cxdesk_bench, created if missing), drives it with
locust (headless, N users with no pause, bounded by --seconds), and prints requests/s, p50,
p95, failures and the SQL queries one create costs, and the CPU ms one create cost each
process role over the load (gunicorn, the bench database's PostgreSQL backends, the server's
background writers, Redis, and this process when --client threads): on a shared machine
the shares, not the sums, are what compares between runs. Traffic goes to 127.0.0.1 only.
"""

import argparse
import csv
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urlparse

import httpx
import psutil

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cxdesk_bench"


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


DEFAULT_BROKER = "redis://127.0.0.1:6379/14"


def django_env(database_url: str, *, sla: bool = False, broker: str = "") -> dict:
    """The bench's settings. Tasks go to a broker (a queue of the bench's own, dropped
    afterwards) whether the SLA engine is on or off, so the two differ only by the engine: a
    create costs what it costs in production, the enqueue of its recompute, not the recompute
    run in-process. With no broker (`--broker ''`) every task runs in the request."""
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cxdesk.settings",
        "DATABASE_URL": database_url,
        "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
        "DEBUG": "false",
        "CONN_MAX_AGE": "60",
        "CXDESK_API_RATE_TOKEN": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "CELERY_BROKER_URL": broker,
        "CELERY_TASK_DEFAULT_QUEUE": BENCH_QUEUE,
        "CXDESK_SLA_ENABLED": "true" if sla else "false",
    }


BENCH_QUEUE = f"cxdesk-bench-{os.getpid()}"

ROLES = ("gunicorn", "postgresql", "postgresql_background", "redis", "client")
PG_BACKGROUND = ("checkpointer", "background writer", "walwriter", "autovacuum", "logical")


def cpu_seconds(server_pid: int, database: str) -> dict[int, tuple[str, float]]:
    """User + system CPU seconds so far of each process a create runs in: the gunicorn
    workers (and master), the PostgreSQL backends connected to `database` and the server's
    background writers (shared with whatever else the machine runs), Redis, and this
    process (the client)."""
    found: dict[int, tuple[str, float]] = {}
    try:
        server = psutil.Process(server_pid)
        ours = [("gunicorn", p) for p in [server, *server.children(recursive=True)]]
    except psutil.NoSuchProcess:
        ours = []
    ours.append(("client", psutil.Process()))
    for proc in psutil.process_iter(["name"]):
        name = proc.info["name"] or ""
        if name.startswith("postgres"):
            try:
                title = " ".join(proc.cmdline())
            except (psutil.NoSuchProcess, psutil.AccessDenied):
                continue
            if f" {database} " in title:
                ours.append(("postgresql", proc))
            elif any(part in title for part in PG_BACKGROUND):
                ours.append(("postgresql_background", proc))
        elif name.startswith("redis-server"):
            ours.append(("redis", proc))
    for role, proc in ours:
        try:
            times = proc.cpu_times()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        found[proc.pid] = (role, times.user + times.system)
    return found


def cpu_ms_per_request(before: dict, after: dict, requests: int) -> dict[str, float]:
    """CPU ms per successful request by role over the load (processes gone before its end
    are not counted; the bench's own are kept alive throughout)."""
    spent = dict.fromkeys(ROLES, 0.0)
    for pid, (role, seconds) in after.items():
        spent[role] += seconds - before.get(pid, (role, 0.0))[1]
    per = {role: round(1000 * s / max(requests, 1), 2) for role, s in spent.items()}
    per["total"] = round(sum(per[role] for role in ROLES), 2)
    return per


def drop_bench_queue(broker: str) -> None:
    """Forget the tasks the run queued (nobody consumes the bench's queue)."""
    if not broker.startswith("redis"):
        return
    import redis

    client = redis.Redis.from_url(broker)
    client.delete(BENCH_QUEUE)
    for key in client.scan_iter(f"_kombu.binding*{BENCH_QUEUE}"):
        client.delete(key)


SETUP = """
import django, json, sys
django.setup()
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from apps.accounts.models import AgentProfile
from apps.accounts.services import agent_create
from apps.api.models import ApiToken
from apps.api.services import api_token_create

User = get_user_model()
user = User.objects.filter(username="bench-integration").first() or agent_create(
    username="bench-integration", email="bench@example.com", role=AgentProfile.Role.ADMIN)
_, key = api_token_create(owner=user, name="bench", scopes=ApiToken.Scope.values)
client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")
payload = {"subject": "Query count probe", "requester": {"email": "probe-%s@example.com"},
           "channel": "web", "tags": ["bench"], "message": {"body_text": "probe"}}
counts = []
for i in range(3):
    body = json.loads(json.dumps(payload) % f"{key[-8:]}-{i}")  # a new requester each run
    with CaptureQueriesContext(connection) as ctx:
        r = client.post("/api/v1/cases/", body, content_type="application/json",
                        HTTP_IDEMPOTENCY_KEY=f"probe-{i}-{key[-6:]}")
    assert r.status_code == 201, r.content
    counts.append(len(ctx.captured_queries))
print(json.dumps({"key": key, "queries_per_create": counts[-1]}))
"""


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"gunicorn did not answer {url} within {timeout} s")


def thread_load(host: str, key: str, users: int, seconds: int) -> dict:
    """The peer harness's client (shared/peer-bench/measure.py `post_load`): `users` threads,
    each on its own kept-alive httpx session, POSTing in a closed loop for `seconds`."""
    import statistics
    import threading
    import uuid

    latencies, failures, lock = [], [], threading.Lock()
    deadline = time.monotonic() + seconds

    def worker() -> None:
        headers = {"Authorization": f"Bearer {key}"}
        with httpx.Client(base_url=host, headers=headers, timeout=60) as client:
            while time.monotonic() < deadline:
                body = {
                    "subject": "Order arrived damaged",
                    "requester": {"email": f"bench-{uuid.uuid4().hex[:12]}@example.com"},
                    "channel": "web",
                    "tags": ["bench"],
                    "message": {"body_text": "The box was crushed and the mug inside is broken."},
                }
                started = time.perf_counter()
                response = client.post(
                    "/api/v1/cases/", json=body, headers={"Idempotency-Key": uuid.uuid4().hex}
                )
                elapsed = time.perf_counter() - started
                with lock:
                    (latencies if response.status_code == 201 else failures).append(elapsed)

    threads = [threading.Thread(target=worker) for _ in range(users)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies) or [0.0]
    return {
        "Request Count": len(latencies),
        "Failure Count": len(failures),
        "Requests/s": len(latencies) / wall,
        "50%": round(statistics.median(ms), 1),
        "95%": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))], 1),
        "99%": round(ms[min(len(ms) - 1, int(0.99 * len(ms)))], 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=20)
    parser.add_argument("--users", type=int, default=4)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8799)
    parser.add_argument(
        "--sla",
        choices=["on", "off"],
        default="on",
        help="on: the SLA engine enqueues a recompute per create (to --broker); off: it does not",
    )
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER))
    parser.add_argument(
        "--client",
        choices=["locust", "threads"],
        default="locust",
        help="threads: the peer harness's client, for same-run comparisons with django-helpdesk",
    )
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(database_url)
    env = django_env(database_url, sla=args.sla == "on", broker=args.broker)
    subprocess.run(
        [BIN / "python", "manage.py", "migrate", "--no-input", "-v0"], cwd=ROOT, env=env, check=True
    )
    probe = subprocess.run(
        [BIN / "python", "-c", SETUP], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if probe.returncode:
        raise SystemExit(f"setting up the benchmark failed:\n{probe.stderr}")
    setup = json.loads(probe.stdout.strip().splitlines()[-1])

    host = f"http://127.0.0.1:{args.port}"
    server = subprocess.Popen(
        [
            BIN / "gunicorn",
            "cxdesk.wsgi",
            "--workers",
            str(args.workers),
            "--bind",
            f"127.0.0.1:{args.port}",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    try:
        wait_until_up(f"{host}/healthz")
        database = urlparse(database_url).path.lstrip("/")
        before = cpu_seconds(server.pid, database)
        if args.client == "threads":
            row = thread_load(host, setup["key"], args.users, args.seconds)
        else:
            row = locust_load(host, setup["key"], args, env)
        row["cpu_ms"] = cpu_ms_per_request(
            before, cpu_seconds(server.pid, database), int(row["Request Count"])
        )
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=20)
        drop_bench_queue(args.broker)
    report(row, setup, args)


def locust_load(host: str, key: str, args, env: dict) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        prefix = Path(tmp) / "locust"
        subprocess.run(
            [
                BIN / "locust",
                "-f",
                str(ROOT / "bench" / "locustfile_api_create.py"),
                "--headless",
                "--users",
                str(args.users),
                "--spawn-rate",
                str(args.users),
                "--run-time",
                f"{args.seconds}s",
                "--host",
                host,
                "--csv",
                str(prefix),
                "--only-summary",
                "--loglevel",
                "WARNING",
                "--stop-timeout",
                "5",
            ],
            cwd=ROOT,
            env={**env, "CXDESK_BENCH_TOKEN": key},
            check=False,
            timeout=args.seconds + 60,
            stdout=subprocess.DEVNULL,
        )
        with open(f"{prefix}_stats.csv") as fh:
            return next(r for r in csv.DictReader(fh) if r["Name"] == "POST /api/v1/cases/")


def report(row: dict, setup: dict, args) -> None:
    result = {
        "client": args.client,
        "sla_engine": args.sla,
        "benchmark": "api_create",
        "database": "postgresql",
        "gunicorn_workers": args.workers,
        "concurrency": args.users,
        "seconds": args.seconds,
        "requests": int(row["Request Count"]),
        "failures": int(row["Failure Count"]),
        "requests_per_second": round(float(row["Requests/s"]), 1),
        "p50_ms": float(row["50%"]),
        "p95_ms": float(row["95%"]),
        "p99_ms": float(row["99%"]),
        "queries_per_create": setup["queries_per_create"],
        # Locust's client runs in a process of its own, not counted under "client".
        "cpu_ms_per_create": row["cpu_ms"],
        "targets": {"requests_per_second": ">= 120", "p95_ms": "< 50"},
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "api_create.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
