"""Benchmark: the supervisor console over a million cases — the live monitor, the 30-day
report, and the rollup refresh after 10,000 new cases.

    make bench            # or: .venv/bin/python bench/supervisor.py [--cases N] [--requests 40]

The database is bench/agent_pages.py's (the same loader, the same scratch PostgreSQL
database per size, kept between runs): 1,000,000 cases by default (--cases 100000 for a
quicker run), ten teams, a 5% open backlog with SLA due times around now. A supervisor of two
of the ten teams is added, and every report rollup (SLA, root causes, volume) is built once.
The loader writes no SLA metrics, so every case gets some here, once per database (SEED_SLA:
set-based; first response, resolution and one or two next responses for half the cases), so
the report's SLA figures are timed over a million cases' rows and rollups, not empty tables.

Then gunicorn (2 sync workers, 127.0.0.1) serves the app with each response's SQL count
(bench/agent_pages.py's wrapper), and httpx times `--requests` requests (after a warm-up) of
the monitor (all the supervisor's teams, and one), its htmx poll, the wallboard, the
workload, and the report of the last 30 days (with and without a channel filter).

The rollup refresh: 10,000 cases are added to the last seven days (COPY-free: one INSERT …
SELECT copying existing cases' rows with new openings), their days marked as the seam's
subscribers mark them, and the three builds (`rollups_build` of apps/sla, apps/rootcauses,
apps/console) timed together in one process; the added cases are deleted afterwards.

Prints p50/p95 and queries per page as JSON (also bench/results/supervisor.json). Targets
(issue 13): the monitor and the 30-day report each < 200 ms p95 at 1,000,000 cases; the
rollup refresh after 10,000 new cases < 5 s. Bounded: a fixed number of requests, each
with a timeout; traffic to 127.0.0.1 only.
"""

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
sys.path.insert(0, str(ROOT))

from bench.agent_pages import (  # noqa: E402
    DEFAULT_DB,
    PASSWORD,
    _figures,
    _get,
    prepare,
    progress,
    sign_in,
    start_server,
    stop_server,
)
from bench.api_create import wait_until_up  # noqa: E402

SUPERVISOR = "bench.supervisor"
SUPERVISOR_TEAMS = ("Billing", "Logistics")
ADDED_CASES = 10_000

SETUP = """
import django, json, time
django.setup()
from apps.accounts.models import AgentProfile, Team
from apps.accounts.services import agent_create
from django.contrib.auth import get_user_model
from apps.sla import rollups as sla_rollups
from apps.rootcauses import rollups as rc_rollups
from apps.console import rollups as volume_rollups
User = get_user_model()
teams = [Team.objects.get(name=n) for n in %(teams)r]
found = User.objects.filter(username=%(username)r).first()
if found is None:
    found = agent_create(username=%(username)r, email="sup@bench.example",
                         role=AgentProfile.Role.SUPERVISOR, teams=teams,
                         password=%(password)r, first_name="Sam")
started = time.perf_counter()
for module in (sla_rollups, rc_rollups, volume_rollups):
    module.rollups_build(max_days=None)
print(json.dumps({"team": teams[0].pk, "rollups_first_build_s":
                  round(time.perf_counter() - started, 1)}))
"""

# The loader (bench/agent_pages.py) writes cases without SLA metrics: without these the
# report's SLA figures would be timed over empty tables. Once per database, set-based:
# every case's metrics (first response for nine in ten, resolution for the solved and
# closed ones, times spread by the id), one to two next responses for half the cases, the
# buckets as apps/sla/rollups.py computes them; then the SLA rollups are rebuilt.
SEED_SLA = """
import django, json, time
django.setup()
from django.db import connection
from apps.sla import rollups as sla_rollups
started = time.perf_counter()
with connection.cursor() as cursor:
    cursor.execute("SELECT EXISTS (SELECT 1 FROM sla_casemetrics)")
    seeded = cursor.fetchone()[0]
    if not seeded:
        cursor.execute(
            "INSERT INTO sla_casemetrics (case_id, first_response_at, first_response_seconds, "
            "first_response_business_seconds, next_responses, solved_at, resolution_seconds, "
            "resolution_business_seconds, requester_wait_seconds, agent_work_seconds, "
            "on_hold_seconds, reopen_count, agent_replies, agent_responses, call_seconds, "
            "chat_seconds, handle_seconds, fcr, fcr_state, fcr_reason, one_touch, "
            "no_customer_follow_up, computed_at, opened_at, team_id, channel, priority) "
            "SELECT id, CASE WHEN id % 10 <> 0 THEN created_at + (60 + id * 7919 % 86400) "
            "* interval '1 second' END, CASE WHEN id % 10 <> 0 THEN 60 + id * 7919 % 86400 END, "
            "CASE WHEN id % 10 <> 0 THEN (60 + id * 7919 % 86400) % 28800 END, '[]'::jsonb, "
            "CASE WHEN status IN ('solved', 'closed') THEN created_at + (600 + id * 104729 "
            "% 400000) * interval '1 second' END, CASE WHEN status IN ('solved', 'closed') "
            "THEN 600 + id * 104729 % 400000 END, CASE WHEN status IN ('solved', 'closed') "
            "THEN (600 + id * 104729 % 400000) / 3 END, 0, 0, 0, reopen_count, 1, 1, 0, 0, 0, "
            "CASE WHEN status IN ('solved', 'closed') THEN id % 3 <> 0 END, "
            "CASE WHEN status IN ('solved', 'closed') THEN 'final' ELSE 'unknown' END, '', "
            "CASE WHEN status IN ('solved', 'closed') THEN id % 4 <> 0 END, "
            "CASE WHEN status IN ('solved', 'closed') THEN id % 5 <> 0 END, "
            "now(), created_at, team_id, channel, priority FROM cases_case"
        )
        cursor.execute(
            "INSERT INTO sla_slanextresponse (case_id, instance, started_at, responded_at, "
            "seconds, business_seconds, calendar_bucket, team_id, channel, priority) "
            "SELECT c.id, n, c.created_at + n * interval '3 hours', c.created_at + n * "
            "interval '3 hours' + (30 + (c.id * n * 6007) % 90000) * interval '1 second', "
            "30 + (c.id * n * 6007) % 90000, (30 + (c.id * n * 6007) % 90000) / 2, 0, "
            "c.team_id, c.channel, c.priority FROM cases_case c, generate_series(1, 2) n "
            "WHERE c.id % 2 = 0 AND (n = 1 OR c.id % 3 = 0)"
        )
        for table, pairs in (
            ("sla_casemetrics", (("first_response_bucket", "first_response_business_seconds"),
                                 ("first_response_calendar_bucket", "first_response_seconds"),
                                 ("resolution_bucket", "resolution_business_seconds"),
                                 ("resolution_calendar_bucket", "resolution_seconds"))),
            ("sla_slanextresponse", (("business_bucket", "business_seconds"),
                                     ("calendar_bucket", "seconds"))),
        ):
            sets = ", ".join(f"{b} = {sla_rollups.bucket_sql(c)}" for b, c in pairs)
            cursor.execute(f"UPDATE {table} SET {sets}")
        cursor.execute("VACUUM ANALYZE sla_casemetrics")
        cursor.execute("VACUUM ANALYZE sla_slanextresponse")
if not seeded:
    sla_rollups.rollups_build(max_days=None, rebuild=True)
print(json.dumps({"seeded": not seeded, "seconds": round(time.perf_counter() - started, 1)}))
"""

REFRESH = """
import django, json, time
django.setup()
from datetime import timedelta
from django.db import connection, transaction
from django.utils import timezone
from apps.cases.models import Case
from apps.sla import rollups as sla_rollups
from apps.rootcauses import rollups as rc_rollups
from apps.console import rollups as volume_rollups
now = timezone.now()
marker = "bench-supervisor-added"
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM cases_case WHERE subject = %%s", [marker])
    # 10,000 copies of existing cases opened over the last seven days (not today: a build
    # does days up to yesterday), each a new case of the same team, channel and priority.
    cursor.execute(
        "INSERT INTO cases_case (subject, status, priority, channel, requester_id, team_id, "
        "assignee_id, root_cause_id, custom_fields, created_at, updated_at, reopen_count) "
        "SELECT %%s, status, priority, channel, requester_id, team_id, assignee_id, "
        "root_cause_id, '{}'::jsonb, "
        "%%s - (1 + (id %%%% 7)) * interval '1 day' + (id %%%% 600) * interval '1 minute', "
        "%%s, reopen_count FROM cases_case ORDER BY id LIMIT %(added)d",
        [marker, now, now],
    )
days = [now - timedelta(days=d) for d in range(1, 9)]
with transaction.atomic():  # the marks the seam's subscribers write with each new case
    for module in (sla_rollups, rc_rollups, volume_rollups):
        module.ROLLUPS.mark(days)
started = time.perf_counter()
built = {}
for name, module in (("sla", sla_rollups), ("rootcauses", rc_rollups),
                     ("volume", volume_rollups)):
    began = time.perf_counter()
    built[name] = module.rollups_build(max_days=None)["built"]
    built[name + "_s"] = round(time.perf_counter() - began, 2)
seconds = time.perf_counter() - started
with connection.cursor() as cursor:
    cursor.execute("DELETE FROM cases_case WHERE subject = %%s", [marker])
for module in (sla_rollups, rc_rollups, volume_rollups):
    module.ROLLUPS.mark(days)
    module.rollups_build(max_days=None)
print(json.dumps({"seconds": round(seconds, 2), **built}))
"""


def run_script(env: dict, script: str) -> dict:
    run = subprocess.run(
        [BIN / "python", "-c", script], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if run.returncode:
        raise SystemExit(f"bench script failed:\n{run.stderr[-4000:]}")
    return json.loads(run.stdout.strip().splitlines()[-1])


def pages(team: int) -> dict[str, tuple[str, dict]]:
    return {
        "monitor": ("/console/", {}),
        "monitor_one_team": (f"/console/?team={team}", {}),
        "monitor_poll": ("/console/", {"HX-Request": "true"}),
        "wallboard": ("/console/wallboard/", {}),
        "workload": ("/console/workload/", {}),
        "report_30_days": ("/console/reports/", {}),
        "report_30_days_email": ("/console/reports/?channel=email", {}),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--requests", type=int, default=40)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    size = prepare(os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB), args.cases)
    env = size["env"]
    progress("SLA metrics and next responses for the cases (once per database)")
    seed = run_script(env, SEED_SLA)
    progress("adding the supervisor and building every report rollup")
    setup = run_script(
        env,
        SETUP % {"teams": list(SUPERVISOR_TEAMS), "username": SUPERVISOR, "password": PASSWORD},
    )
    server, host = start_server(env, args.workers)
    figures: dict[str, dict] = {}
    try:
        wait_until_up(f"{host}/healthz")
        client = sign_in(host, SUPERVISOR)
        progress(f"{args.warmup} warm-up and {args.requests} timed requests a page")
        for name, (url, headers) in pages(setup["team"]).items():
            client.headers.clear()
            client.headers.update(headers)
            for _ in range(args.warmup):
                _get(client, url, 200)
            figures[name] = _figures(url, [_get(client, url, 200) for _ in range(args.requests)])
        client.close()
    finally:
        stop_server(server)
    progress(f"adding {ADDED_CASES:,} cases and timing the rollup refresh")
    refresh = run_script(env, REFRESH % {"added": ADDED_CASES})
    worst = max(figures["monitor"]["p95_ms"], figures["monitor_one_team"]["p95_ms"])
    result = {
        "benchmark": "supervisor",
        "database": "postgresql",
        "cases": args.cases,
        "gunicorn_workers": args.workers,
        "requests_per_page": args.requests,
        "load_s": size["load_s"],
        "rollups_first_build_s": setup["rollups_first_build_s"],
        "sla_seed": seed,
        "pages": figures,
        "rollup_refresh_after_10000_cases": refresh,
        "targets": {
            "monitor": "p95 < 200 ms at 1,000,000",
            "report_30_days": "p95 < 200 ms at 1,000,000",
            "rollup_refresh": "< 5 s after 10,000 new cases",
        },
        "verdict": {
            "monitor": worst < 200,
            "report_30_days": figures["report_30_days"]["p95_ms"] < 200,
            "rollup_refresh": refresh["seconds"] < 5,
        },
        "seconds": round(time.perf_counter() - started, 1),
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "supervisor.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
