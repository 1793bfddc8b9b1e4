"""Benchmark: the CPU one API case creation costs, in-process, on PostgreSQL.

    .venv/bin/python bench/api_create_cpu.py [--creates 200] [--profile out.prof]

The same request as bench/api_create.py (a new requester, one tag, a message, an
Idempotency-Key), sent N times through Django's test client with the bench's settings
(DEBUG=false, CONN_MAX_AGE=60): the whole middleware stack and view run, without gunicorn or
a network. Prints the SQL statements of one create and wall and CPU ms per create over five
runs (median). On a shared 2-core machine req/s drift by 2x between runs; CPU time per
create (time.process_time, this process only, the database server excluded) is the steadier
figure to compare two versions by. --profile writes a cProfile of N creates timed by CPU.
"""

import argparse
import json
import os
import statistics
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench.api_create import (  # noqa: E402
    DEFAULT_BROKER,
    DEFAULT_DB,
    django_env,
    drop_bench_queue,
    ensure_database,
)

PAYLOAD = {
    "subject": "Order arrived damaged",
    "channel": "web",
    "tags": ["bench"],
    "message": {"body_text": "The box was crushed and the mug inside is broken."},
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--creates", type=int, default=200)
    parser.add_argument("--profile", metavar="PATH")
    parser.add_argument("--sla", choices=["on", "off"], default="on")
    parser.add_argument("--broker", default=os.environ.get("BENCH_BROKER_URL", DEFAULT_BROKER))
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(database_url)
    os.environ.update(django_env(database_url, sla=args.sla == "on", broker=args.broker))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import AgentProfile
    from apps.accounts.services import agent_create
    from apps.api.models import ApiToken
    from apps.api.services import api_token_create

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username="bench-integration").first() or agent_create(
        username="bench-integration", email="bench@example.com", role=AgentProfile.Role.ADMIN
    )
    _, key = api_token_create(owner=user, name="bench", scopes=ApiToken.Scope.values)
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="127.0.0.1")

    def create() -> None:
        body = {**PAYLOAD, "requester": {"email": f"bench-{uuid.uuid4().hex[:12]}@example.com"}}
        response = client.post(
            "/api/v1/cases/",
            json.dumps(body),
            content_type="application/json",
            HTTP_IDEMPOTENCY_KEY=uuid.uuid4().hex,
        )
        assert response.status_code == 201, response.content

    for _ in range(20):  # warm: connection, caches, imports
        create()
    with CaptureQueriesContext(connection) as ctx:
        create()
    statements = len(ctx.captured_queries)  # now: the next request clears Django's log
    if args.profile:
        import cProfile

        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(args.creates):
            create()
        profiler.disable()
        profiler.dump_stats(args.profile)
        drop_bench_queue(args.broker)
        return
    wall, cpu = [], []
    for _ in range(5):
        started, started_cpu = time.perf_counter(), time.process_time()
        for _ in range(args.creates):
            create()
        wall.append((time.perf_counter() - started) / args.creates * 1000)
        cpu.append((time.process_time() - started_cpu) / args.creates * 1000)
    result = {
        "benchmark": "api_create_cpu",
        "creates_per_run": args.creates,
        "statements_per_create": statements,
        "wall_ms_per_create": round(statistics.median(wall), 2),
        "cpu_ms_per_create": round(statistics.median(cpu), 2),
        "cpu_ms_runs": [round(x, 2) for x in cpu],
        "sla_engine": args.sla,
    }
    drop_bench_queue(args.broker)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
