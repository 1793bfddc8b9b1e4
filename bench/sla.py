"""Benchmark: the SLA breach sweep over a million open clocks, and one case's recompute.

    make bench            # or: .venv/bin/python bench/sla.py [--quick] [--runs 5]

Uses a scratch PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/cxdesk_sla_bench, created if missing and migrated) and
prints JSON figures (also written to bench/results/sla.json). Progress goes to stderr.

(a) The sweep. 500,000 open cases with two running clocks each (first response and
resolution: 1,000,000 active clocks; --quick: 100,000) are inserted set-based
(generate_series INSERT … SELECT straight into cases_case and sla_slaclock). Due instants are
spread uniformly from an hour before the bench's "now" to 14 days after it, so about 0.3% —
some 3,000 (--quick: 300) — are due. One sweep pass is timed as the beat runs it:
`services.clocks_breach(now=…)` (one UPDATE) then `services._fire_breaches(now=…, limit=500)`
(the claim by UPDATE … RETURNING and the announcement; there are no supervisors nor webhook
subscriptions, so nobody is notified), against the equivalent hand-written SQL (the same
UPDATE with the same mark of its days for the summary's rollups, the same claim, and one
joined SELECT of what the announcement reads of the claimed clocks) timed in the same run.
Clocks are reset to active between runs (then VACUUM ANALYZE); medians of --runs runs (5;
--quick: 3) after one warm-up. Targets: the pass under 5 s, and within 2x of the SQL. EXPLAIN of
the sweep's UPDATE (the SQL Django sends) must use the partial index sla_clock_running_due_idx:
its plan is printed.

(b) One recompute. `services.case_sla_recompute` of one case with 50 events (40 messages,
10 status changes) under a policy of three targets on a London office calendar, run
--recomputes times (200): p50/p95 (target p95 under 20 ms) and the SQL queries one costs,
beside the same for a case with 10 events (the count must not grow with the history), and
the 50-event case with the policies read once beforehand (`policies=`), which shows what
reading them costs each recompute.

The seeded clocks stay for the next run (re-seeded only when the size asked for changes).
`--parts recompute` seeds nothing but its own two cases (a few seconds, no million clocks).
"""

import argparse
import json
import os
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cxdesk_sla_bench"
NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # the bench's "now": a Monday, 13:00 in London
DUE_BEFORE = 3600  # seconds: the earliest due instant is an hour before NOW …
DUE_SPAN = 14 * 86400 + DUE_BEFORE  # … and the latest 14 days after it
CLAIM_LIMIT = 500  # services.sla_sweep's default batch
MARKER = "sla-bench {clocks}"  # a contact named after the seed's size (not a requester)


def progress(message: str) -> None:
    print(f"[sla bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure(database_url: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cxdesk.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
            "DEBUG": "false",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "ERROR",
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


# --- (a) the sweep --------------------------------------------------------------------------


def seed_clocks(clocks: int) -> None:
    """`clocks` active clocks on clocks/2 open cases, set-based; kept when already there."""
    from django.db import connection

    cases = clocks // 2
    marker = MARKER.format(clocks=clocks)
    with connection.cursor() as cursor:
        # Its own clocks only: the summary's (c) and the recompute's (b) cases have theirs.
        cursor.execute(
            "SELECT count(*) FROM sla_slaclock k JOIN cases_case c ON c.id = k.case_id "
            "JOIN contacts_contact r ON r.id = c.requester_id "
            "WHERE r.name LIKE 'sla-bench requester %%' "
            "AND EXISTS (SELECT 1 FROM contacts_contact WHERE name = %s)",
            [marker],
        )
        if cursor.fetchone()[0] == clocks:
            progress(f"reusing the {clocks:,} seeded clocks")
            return
        progress(f"seeding {cases:,} cases and {clocks:,} clocks (set-based)")
        started = time.perf_counter()
        cursor.execute(
            "TRUNCATE cases_case, sla_slaclock, contacts_contact RESTART IDENTITY CASCADE"
        )
        # The marker (the seed's size), then the requesters: five cases a contact, as a
        # center's table looks to the planner (one contact holding every case would make
        # it plan the recompute's "this requester's next case" as a walk of all cases).
        cursor.execute(
            "INSERT INTO contacts_contact (name, notes, created_at, updated_at) "
            "VALUES (%s, '', %s, %s)",
            [marker, NOW, NOW],
        )
        contacts = max(cases // 5, 1)
        cursor.execute(
            "INSERT INTO contacts_contact (name, notes, created_at, updated_at) "
            "SELECT 'sla-bench requester ' || i, '', %s, %s FROM generate_series(1, %s) AS i "
            "RETURNING id",
            [NOW, NOW, contacts],
        )
        first = min(row[0] for row in cursor.fetchall())
        # created over the last 14 days, one case every 14 days / cases
        cursor.execute(
            """
            INSERT INTO cases_case (subject, status, priority, channel, custom_fields,
                                    created_at, updated_at, sla_computed_at, reopen_count,
                                    requester_id)
            SELECT 'Bench case ' || i, 'open', 'normal', 'email', '{}'::jsonb,
                   at, at, at, 0, %(first)s + i %% %(contacts)s
            FROM generate_series(1, %(cases)s) AS i,
                 LATERAL (SELECT %(now)s - (i * 1209600.0 / %(cases)s) * interval '1 second')
                   AS t(at)
            """,
            {"first": first, "contacts": contacts, "cases": cases, "now": NOW},
        )
        progress(f"  cases in {time.perf_counter() - started:.1f} s")
        # Two clocks a case; each due instant a multiplicative hash of the case id spread
        # over [NOW - 1 h, NOW + 14 d); the warning at 75% of the target.
        cursor.execute(
            """
            INSERT INTO sla_slaclock (case_id, metric, instance, target_minutes, business_hours,
                                      state, started_at, due_at, warn_at, paused_seconds,
                                      business_seconds, calendar_seconds, computed_at,
                                      team_id, channel, priority)
            SELECT c.id, m.metric, 1, m.minutes, true, 'active', c.created_at, d.due,
                   d.due - m.minutes * interval '15 seconds', 0, 0, 0, %(now)s,
                   c.team_id, c.channel, c.priority
            FROM cases_case c
            CROSS JOIN (VALUES ('first_response', 240, 2654435761),
                               ('resolution', 1440, 2246822519)) AS m(metric, minutes, mult)
            CROSS JOIN LATERAL (
                SELECT %(now)s + (((c.id * m.mult) %% 4294967296) / 4294967296.0
                                  * %(span)s - %(before)s) * interval '1 second'
            ) AS d(due)
            """,
            {"now": NOW, "span": DUE_SPAN, "before": DUE_BEFORE},
        )
        progress(f"  clocks in {time.perf_counter() - started:.1f} s")
    vacuum()


def vacuum() -> None:
    """Fresh statistics on what the pass reads: the clocks, and the cases the announcement
    joins them to (with the cases just seeded unseen by the planner, it merge-joins 500
    clocks against half a million cases: 45 ms instead of well under one)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE sla_slaclock")
        cursor.execute("ANALYZE cases_case")


def reset_clocks() -> int:
    """Every clock a run breached is active and unfired again (not the summary's breached
    clocks, due long before)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE sla_slaclock SET state = 'active', breached_at = NULL, breach_fired_at = NULL "
            "WHERE state = 'breached' AND due_at >= %s",
            [NOW - timedelta(seconds=DUE_BEFORE)],
        )
        reset = cursor.rowcount
        cursor.execute("DELETE FROM sla_slarollupmark")  # the runs' marks
    vacuum()
    return reset


def sweep_django() -> dict:
    from apps.sla import services

    announce = services._announce
    announced = 0.0

    def timed_announce(*args, **kwargs):  # how much of the pass the announcement takes
        nonlocal announced
        began = time.perf_counter()
        try:
            return announce(*args, **kwargs)
        finally:
            announced += time.perf_counter() - began

    services._announce = timed_announce
    try:
        started = time.perf_counter()
        breached = services.clocks_breach(now=NOW)
        marked = time.perf_counter()
        fired = services._fire_breaches(now=NOW, limit=CLAIM_LIMIT)
        done = time.perf_counter()
    finally:
        services._announce = announce
    return {
        "breached": breached,
        "fired": fired,
        "breach_s": marked - started,
        "announce_s": announced,
        "s": done - started,
    }


def sweep_sql() -> dict:
    from django.db import connection, transaction

    started = time.perf_counter()
    with connection.cursor() as cursor:
        # The breach and the mark of the days its clocks started on (the daily rollups).
        cursor.execute(
            "WITH b AS (UPDATE sla_slaclock SET state = 'breached', breached_at = due_at "
            "WHERE state = 'active' AND due_at <= %s RETURNING started_at), "
            'm AS (INSERT INTO sla_slarollupmark (start, "end") '
            "SELECT min(started_at), max(started_at) FROM b HAVING count(*) > 0) "
            "SELECT count(*) FROM b",
            [NOW],
        )
        breached = cursor.fetchone()[0]
        marked = time.perf_counter()
        with transaction.atomic():
            cursor.execute(
                "UPDATE sla_slaclock SET breach_fired_at = %s WHERE id IN ("
                "  SELECT id FROM sla_slaclock WHERE state = 'breached' "
                "  AND breach_fired_at IS NULL ORDER BY breached_at LIMIT %s"
                ") AND breach_fired_at IS NULL RETURNING id",
                [NOW, CLAIM_LIMIT],
            )
            claimed = [row[0] for row in cursor.fetchall()]
            fired = len(claimed)
            claimed_at = time.perf_counter()
            # What the announcement reads of the clocks it fires (the pass loads the same
            # rows with their case, team, assignee and policy): one joined SELECT.
            cursor.execute(
                "SELECT k.*, c.*, t.*, u.*, p.*, e.* FROM sla_slaclock k "
                "JOIN cases_case c ON c.id = k.case_id "
                "LEFT JOIN accounts_team t ON t.id = c.team_id "
                "LEFT JOIN auth_user u ON u.id = c.assignee_id "
                "LEFT JOIN sla_slapolicy p ON p.id = k.policy_id "
                "LEFT JOIN accounts_team e ON e.id = p.escalate_team_id "
                "WHERE k.id = ANY(%s) AND k.breached_at >= %s ORDER BY k.id",
                [claimed, NOW - timedelta(seconds=86400)],
            )
            cursor.fetchall()
    done = time.perf_counter()
    return {
        "breached": breached,
        "fired": fired,
        "breach_s": marked - started,
        "read_s": done - claimed_at,
        "s": done - started,
    }


def sweep_plan() -> list[str]:
    """EXPLAIN of the UPDATE services.clocks_breach sends (captured, not rebuilt)."""
    from django.db import connection, transaction
    from django.test.utils import CaptureQueriesContext

    from apps.sla import services

    with transaction.atomic():
        with CaptureQueriesContext(connection) as queries:
            services.clocks_breach(now=NOW)
        transaction.set_rollback(True)  # only the statement was wanted
    [update] = [q["sql"] for q in queries.captured_queries if "UPDATE" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + update)
        return [row[0] for row in cursor.fetchall()]


def bench_sweep(clocks: int, runs: int) -> dict:
    from django.db import connection

    seed_clocks(clocks)
    reset_clocks()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sla_slaclock WHERE state = 'active' AND due_at <= %s", [NOW]
        )
        due = cursor.fetchone()[0]
    progress(f"{due:,} of {clocks:,} clocks are due; warm-up run")
    sweep_django()
    reset_clocks()
    django_runs, sql_runs = [], []
    for n in range(runs):
        django_runs.append(sweep_django())
        reset_clocks()
        sql_runs.append(sweep_sql())
        reset_clocks()
        progress(
            f"run {n + 1}/{runs}: django {django_runs[-1]['s'] * 1000:.0f} ms, "
            f"sql {sql_runs[-1]['s'] * 1000:.0f} ms"
        )
    assert all(r["breached"] == due and r["fired"] == min(due, CLAIM_LIMIT) for r in django_runs)
    assert all(r["breached"] == due and r["fired"] == min(due, CLAIM_LIMIT) for r in sql_runs)
    plan = sweep_plan()
    median = {
        key: statistics.median(r["s"] for r in rows)
        for key, rows in (("django", django_runs), ("sql", sql_runs))
    }
    announce = statistics.median(r["announce_s"] for r in django_runs)
    read = statistics.median(r["read_s"] for r in sql_runs)
    breach_only = {
        key: statistics.median(r["breach_s"] for r in rows)
        for key, rows in (("django", django_runs), ("sql", sql_runs))
    }
    scan = next((line.strip() for line in plan if "sla_clock_running_due_idx" in line), None)
    return {
        "open_clocks": clocks,
        "due_clocks": due,
        "claim_limit": CLAIM_LIMIT,
        "runs": runs,
        "pass_median_ms": round(median["django"] * 1000, 1),
        "sql_median_ms": round(median["sql"] * 1000, 1),
        "pass_vs_sql": round(median["django"] / median["sql"], 2),
        "breach_update_median_ms": {
            "django": round(breach_only["django"] * 1000, 1),
            "sql": round(breach_only["sql"] * 1000, 1),
        },
        "announce_median_ms": {
            "django": round(announce * 1000, 1),
            "sql_read": round(read * 1000, 1),
        },
        "pass_without_announce_vs_sql_without_read": round(
            (median["django"] - announce) / (median["sql"] - read), 2
        ),
        "pass_runs_ms": [round(r["s"] * 1000, 1) for r in django_runs],
        "sql_runs_ms": [round(r["s"] * 1000, 1) for r in sql_runs],
        "explain_top_line": plan[0],
        "explain_index_line": scan,
        "uses_partial_index": scan is not None,
        "targets": {"pass": "< 5 s", "pass_vs_sql": "<= 2x"},
        "ok": median["django"] < 5 and median["django"] <= 2 * median["sql"] and scan is not None,
    }


# --- (b) one recompute ----------------------------------------------------------------------


def history_case(events: int, agent, policy_calendar) -> int:
    """A case with `events` history events: four messages for each status change."""
    from apps.cases.models import Case, CaseEvent, Interaction
    from apps.contacts.models import Contact

    created = NOW - timedelta(days=3)
    contact = Contact.objects.create(name=f"Recompute bench {events}")
    case = Case.objects.create(
        subject="Recompute bench", channel="email", requester=contact, created_at=created
    )
    statuses = events // 5
    messages = events - statuses
    Interaction.objects.bulk_create(
        Interaction(
            case=case,
            channel="email",
            direction="out" if n % 2 else "in",
            author_agent=agent if n % 2 else None,
            author_contact=None if n % 2 else contact,
            body_text="…",
            occurred_at=created + timedelta(minutes=30 * n),
        )
        for n in range(messages)
    )
    CaseEvent.objects.create(case=case, kind="created", after={"status": "new"}, at=created)
    CaseEvent.objects.bulk_create(
        CaseEvent(
            case=case,
            kind="status",
            before="open" if n % 2 else "pending",
            after="pending" if n % 2 else "open",
            at=created + timedelta(minutes=30 * n * messages / statuses + 10),
        )
        for n in range(statuses)
    )
    return case.pk


def bench_recompute(count: int) -> dict:
    from django.contrib.auth import get_user_model
    from django.db import connection

    from apps.sla import services
    from apps.sla.models import BusinessCalendar, SlaPolicy, SlaTarget

    progress(f"recompute: {count} runs on a case of 50 events and one of 10")
    agent, _ = get_user_model().objects.get_or_create(username="sla-bench-agent")
    calendar, _ = BusinessCalendar.objects.get_or_create(
        name="SLA bench London",
        defaults={"timezone": "Europe/London", "holiday_country": "GB"},
    )
    # Written directly, not by policy_save: that would mark every seeded case for recompute.
    policy, made = SlaPolicy.objects.get_or_create(
        name="SLA bench policy", defaults={"calendar": calendar, "position": 0}
    )
    if made:
        SlaTarget.objects.bulk_create(
            SlaTarget(policy=policy, priority="normal", metric=metric, minutes=minutes)
            for metric, minutes in (
                ("first_response", 240),
                ("next_response", 240),
                ("resolution", 1440),
            )
        )
    query_count = 0

    def count_queries(execute, sql, params, many, context):
        nonlocal query_count
        query_count += 1
        return execute(sql, params, many, context)

    # What one round trip costs here, to read the figures against (a shared 2-core box
    # answers slower than a database server).
    trips = []
    with connection.cursor() as cursor:
        for _ in range(200):
            started = time.perf_counter()
            cursor.execute("SELECT 1")
            cursor.fetchone()
            trips.append(time.perf_counter() - started)
    figures: dict = {"select_1_p50_ms": round(percentile(trips, 0.50) * 1000, 3)}
    for events in (50, 10):
        case_id = history_case(events, agent, calendar)
        for _ in range(20):  # warm: the calendar's days, the policies' prefetch, the plans
            services.case_sla_recompute(case_id=case_id, now=NOW)
        durations, queries = [], []
        with connection.execute_wrapper(count_queries):
            for _ in range(count if events == 50 else max(count // 4, 20)):
                query_count = 0
                started = time.perf_counter()
                stored = services.case_sla_recompute(case_id=case_id, now=NOW)
                durations.append(time.perf_counter() - started)
                queries.append(query_count)
        figures[events] = {
            "clocks": len(stored),
            "p50_ms": round(percentile(durations, 0.50) * 1000, 2),
            "p95_ms": round(percentile(durations, 0.95) * 1000, 2),
            "queries": sorted(set(queries)),
        }
        if events == 50:
            # The same with the policies read once beforehand (the `policies` argument), to
            # show what reading them costs each recompute the task runs.
            policies = services.active_policies()
            preloaded = []
            for _ in range(count):
                started = time.perf_counter()
                services.case_sla_recompute(case_id=case_id, now=NOW, policies=policies)
                preloaded.append(time.perf_counter() - started)
            figures["preloaded"] = {
                "p50_ms": round(percentile(preloaded, 0.50) * 1000, 2),
                "p95_ms": round(percentile(preloaded, 0.95) * 1000, 2),
            }
    return {
        "events": 50,
        "runs": count,
        "clocks": figures[50]["clocks"],
        "p50_ms": figures[50]["p50_ms"],
        "p95_ms": figures[50]["p95_ms"],
        "queries": figures[50]["queries"],
        "with_10_events": figures[10],
        "policies_preloaded": figures["preloaded"],
        "select_1_p50_ms": figures["select_1_p50_ms"],
        "constant_queries": figures[50]["queries"] == figures[10]["queries"],
        "targets": {"p95": "< 20 ms", "queries": "the same for 10 and 50 events"},
        "ok": figures[50]["p95_ms"] < 20 and figures[50]["queries"] == figures[10]["queries"],
    }


# --- (c) the summary ------------------------------------------------------------------------

SUMMARY_END = datetime(2026, 5, 15, tzinfo=UTC)  # before the sweep's cases (from NOW - 14 d)
SUMMARY_DAYS = 90
SUMMARY_MARKER = "sla-summary-bench {cases}"
SUMMARY_TEAMS = ("Billing", "Logistics", "Tier 2", "Returns")
SUMMARY_SHAPES = {  # the `to` day includes itself: each ends at SUMMARY_END
    "30_days": {"from": "2026-04-15", "to": "2026-05-14"},
    "90_days_all_cases": {"from": "2026-02-14", "to": "2026-05-14"},
    "30_days_not_on_days": {"from": "2026-04-15T09:30:00Z", "to": "2026-05-14T17:45:00Z"},
    "7_days_team": {"from": "2026-05-08", "to": "2026-05-14", "team": None},
    "90_days_channel_priority": {
        "from": "2026-02-14",
        "to": "2026-05-14",
        "channel": "chat",
        "priority": "high",
    },
}


def seed_summary(cases: int) -> list[int]:
    """`cases` cases over the 90 days before SUMMARY_END, each with its metrics and two
    clocks, set-based; kept when already there. Returns the teams' ids."""
    from django.db import connection, transaction

    from apps.accounts.models import Team
    from apps.sla import rollups

    teams = [
        Team.objects.get_or_create(name=f"SLA bench {name}", defaults={"slug": f"sla-bench-{n}"})[
            0
        ].pk
        for n, name in enumerate(SUMMARY_TEAMS)
    ]
    marker = SUMMARY_MARKER.format(cases=cases)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM cases_case WHERE requester_id = "
            "(SELECT id FROM contacts_contact WHERE name = %s)",
            [marker],
        )
        if cursor.fetchone()[0] == cases:
            progress(f"reusing the {cases:,} seeded summary cases")
            return teams
        progress(f"seeding {cases:,} summary cases, their metrics and clocks (set-based)")
        started = time.perf_counter()
        with transaction.atomic():
            # Another size's seed (the sweep's re-seed truncates it, so it is rarely here).
            old = "SELECT id FROM contacts_contact WHERE name LIKE 'sla-summary-bench %%'"
            mine = f"SELECT id FROM cases_case WHERE requester_id IN ({old})"
            cursor.execute(f"DELETE FROM sla_slaclock WHERE case_id IN ({mine})")
            cursor.execute(f"DELETE FROM sla_casemetrics WHERE case_id IN ({mine})")
            cursor.execute(f"DELETE FROM cases_case WHERE id IN ({mine})")
            cursor.execute(f"DELETE FROM contacts_contact WHERE id IN ({old})")
            cursor.execute(
                "INSERT INTO contacts_contact (name, notes, created_at, updated_at) "
                "VALUES (%s, '', %s, %s) RETURNING id",
                [marker, NOW, NOW],
            )
            contact = cursor.fetchone()[0]
            # Opened evenly over the 90 days; 85% solved 10 minutes to 5 days later (skewed
            # short); teams even, channels and priorities weighted.
            cursor.execute(
                """
                INSERT INTO cases_case (subject, status, priority, channel, custom_fields,
                                        created_at, updated_at, sla_computed_at, reopen_count,
                                        requester_id, team_id, solved_at)
                SELECT 'Summary bench case ' || g.i,
                       CASE WHEN g.solved THEN 'solved' ELSE 'open' END,
                       CASE WHEN g.rp < 0.2 THEN 'low' WHEN g.rp < 0.7 THEN 'normal'
                            WHEN g.rp < 0.92 THEN 'high' ELSE 'urgent' END,
                       CASE WHEN g.rc < 0.4 THEN 'email' WHEN g.rc < 0.65 THEN 'chat'
                            WHEN g.rc < 0.85 THEN 'phone' WHEN g.rc < 0.95 THEN 'social'
                            ELSE 'web' END,
                       '{}'::jsonb, g.at, g.at, g.at, 0, %(contact)s,
                       (%(teams)s::bigint[])[1 + floor(g.rt * 4)::int],
                       CASE WHEN g.solved
                            THEN g.at + (600 + g.rs * g.rs * 432000) * interval '1 second' END
                FROM (
                    SELECT i, random() < 0.85 AS solved, random() AS rp, random() AS rc,
                           random() AS rt, random() AS rs,
                           %(end)s - ((%(cases)s - i + 0.5) * %(span)s / %(cases)s)
                                     * interval '1 second' AS at
                    FROM generate_series(1, %(cases)s) AS i
                ) AS g
                """,
                {
                    "contact": contact,
                    "teams": teams,
                    "cases": cases,
                    "end": SUMMARY_END,
                    "span": SUMMARY_DAYS * 86400,
                },
            )
            progress(f"  cases in {time.perf_counter() - started:.1f} s")
            # Metrics: 95% responded (business time 60% of calendar time); the solved ones'
            # resolution (business half of calendar) and FCR — 5% merged (no verdict), 70% of
            # the rest FCR — final once the 7-day window has passed SUMMARY_END.
            cursor.execute(
                """
                INSERT INTO sla_casemetrics (
                    case_id, first_response_at, first_response_seconds,
                    first_response_business_seconds, next_responses, solved_at,
                    resolution_seconds, resolution_business_seconds, requester_wait_seconds,
                    agent_work_seconds, on_hold_seconds, reopen_count, agent_replies,
                    agent_responses, call_seconds, chat_seconds, handle_seconds, fcr, fcr_state,
                    fcr_reason, one_touch, no_customer_follow_up, computed_at,
                    opened_at, team_id, channel, priority, first_response_bucket,
                    resolution_bucket)
                SELECT m.id, m.created_at + m.fr * interval '1 second', m.fr,
                       floor(m.fr * 0.6), '[]'::jsonb, m.solved_at, m.res, floor(m.res * 0.5),
                       0, 0, 0, 0, 1, 1, 0, 0, 0, m.fcr,
                       CASE WHEN m.fcr IS NULL THEN 'unknown'
                            WHEN m.solved_at < %(final)s THEN 'final' ELSE 'provisional' END,
                       CASE WHEN m.fcr IS FALSE THEN 'several_agent_responses' ELSE '' END,
                       CASE WHEN m.fcr IS NOT NULL THEN m.fcr OR m.r1 < 0.3 END,
                       CASE WHEN m.fcr IS NOT NULL THEN m.fcr OR m.r2 < 0.5 END,
                       %(now)s, m.created_at, m.team_id, m.channel, m.priority,
                       {fr_bucket}, {res_bucket}
                FROM (
                    SELECT c.id, c.created_at, c.solved_at, c.team_id, c.channel, c.priority,
                           CASE WHEN random() < 0.95
                                THEN floor(60 + power(random(), 2) * 86400)::int END AS fr,
                           floor(extract(epoch FROM c.solved_at - c.created_at))::int AS res,
                           CASE WHEN c.solved_at IS NULL THEN NULL
                                ELSE (ARRAY[NULL, true, false])[
                                  CASE WHEN random() < 0.05 THEN 1
                                       WHEN random() < 0.7 THEN 2 ELSE 3 END] END AS fcr,
                           random() AS r1, random() AS r2
                    FROM cases_case c WHERE c.requester_id = %(contact)s
                ) AS m
                """.replace("{fr_bucket}", rollups.bucket_sql("floor(m.fr * 0.6)::int")).replace(
                    "{res_bucket}", rollups.bucket_sql("floor(m.res * 0.5)::int")
                ),
                {"contact": contact, "final": SUMMARY_END - timedelta(days=7), "now": NOW},
            )
            progress(f"  metrics in {time.perf_counter() - started:.1f} s")
            # Clocks from the opening: first response (8 h) met when answered within it,
            # breached otherwise; resolution (1 d) met or breached when solved, paused while
            # open. A breach's announcement is fired (the sweep's claim skips these).
            cursor.execute(
                """
                INSERT INTO sla_slaclock (case_id, metric, instance, target_minutes,
                                          business_hours, state, started_at, due_at, warn_at,
                                          paused_seconds, met_at, breached_at, business_seconds,
                                          calendar_seconds, breach_fired_at, computed_at,
                                          team_id, channel, priority)
                SELECT k.case_id, k.metric, 1, k.minutes, true, k.state, k.started,
                       k.due, k.due - k.minutes * interval '15 seconds', 0,
                       CASE WHEN k.state = 'met' THEN k.started + k.took * interval '1 second'
                       END,
                       CASE WHEN k.state = 'breached' THEN k.due END,
                       coalesce(k.business, 0), coalesce(k.took, 0),
                       CASE WHEN k.state = 'breached' THEN k.due END, %(now)s,
                       k.team_id, k.channel, k.priority
                FROM (
                    SELECT m.case_id, x.metric, x.minutes, c.created_at AS started,
                           c.team_id, c.channel, c.priority,
                           CASE WHEN x.metric = 'resolution' AND m.solved_at IS NULL
                                THEN NULL
                                ELSE c.created_at + x.minutes * interval '1 minute' END AS due,
                           x.took, x.business,
                           CASE WHEN x.metric = 'resolution' AND m.solved_at IS NULL
                                THEN 'paused'
                                WHEN x.business <= x.minutes * 60 THEN 'met'
                                ELSE 'breached' END AS state
                    FROM sla_casemetrics m
                    JOIN cases_case c ON c.id = m.case_id
                    CROSS JOIN LATERAL (VALUES
                        ('first_response', 480, m.first_response_seconds,
                         m.first_response_business_seconds),
                        ('resolution', 1440, m.resolution_seconds,
                         m.resolution_business_seconds)
                    ) AS x(metric, minutes, took, business)
                    WHERE c.requester_id = %(contact)s
                ) AS k
                """,
                {"contact": contact, "now": NOW},
            )
            progress(f"  clocks in {time.perf_counter() - started:.1f} s")
        with connection.cursor() as cursor:
            for table in ("cases_case", "sla_casemetrics", "sla_slaclock"):
                cursor.execute(f"VACUUM ANALYZE {table}")
        progress(f"  vacuumed in {time.perf_counter() - started:.1f} s")
    return teams


def summary_plan(sql: str) -> list[str]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        return [row[0] for row in cursor.fetchall()]


def bench_summary(cases: int, requests: int) -> dict:
    """GET /api/v1/sla/summary/ in-process through Django's test client, an admin's token."""
    import re

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from apps.accounts.models import AgentProfile
    from apps.api.models import ApiToken
    from apps.api.services import api_token_create
    from apps.sla import rollups
    from apps.sla.models import SlaRollupDay, SlaRollupHistogram

    teams = seed_summary(cases)
    # The daily rollups as beat keeps them: every day up to yesterday built (the seed's are
    # new, or a reused seed's may be of an older build: all rebuilt, and timed).
    progress("building the daily rollups of every day (manage.py sla_rollups --rebuild)")
    started = time.perf_counter()
    built = rollups.rollups_build(max_days=None, rebuild=True)
    build_seconds = time.perf_counter() - started
    with connection.cursor() as cursor:
        # (and the rows: a migration's backfill leaves their pages not all-visible, which
        # turns the summary's index-only scans into heap reads)
        for table in (
            "sla_slarollupday",
            "sla_slarollupcell",
            "sla_slarolluphistogram",
            "sla_casemetrics",
            "sla_slaclock",
        ):
            cursor.execute(f"VACUUM ANALYZE {table}")
    progress(f"  {built['built']} days in {build_seconds:.1f} s")
    admin, _ = get_user_model().objects.get_or_create(
        username="sla-bench-admin", defaults={"is_staff": True, "is_superuser": True}
    )
    AgentProfile.objects.get_or_create(user=admin, defaults={"role": AgentProfile.Role.ADMIN})
    ApiToken.objects.filter(owner=admin).delete()  # one a run; the previous runs' are gone
    _, key = api_token_create(owner=admin, name="sla bench", scopes=["sla:read"])
    client = Client(HTTP_AUTHORIZATION=f"Bearer {key}", HTTP_HOST="localhost")
    url = "/api/v1/sla/summary/"
    shape_count = len(SUMMARY_SHAPES)
    progress(f"summary: 3 warm-up and {requests} timed requests for each of {shape_count} shapes")
    shapes, slowest = {}, None
    for name, params in SUMMARY_SHAPES.items():
        params = {k: (teams[0] if v is None else v) for k, v in params.items()}
        for _ in range(3):
            assert client.get(url, params).status_code == 200
        durations = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(url, params)
            durations.append(time.perf_counter() - started)
            assert response.status_code == 200, response.content
        with CaptureQueriesContext(connection) as queries:
            body = client.get(url, params).json()
        statement = max(queries.captured_queries, key=lambda q: float(q["time"]))
        shapes[name] = {
            "params": params,
            "p50_ms": round(percentile(durations, 0.50) * 1000, 1),
            "p95_ms": round(percentile(durations, 0.95) * 1000, 1),
            "queries": len(queries.captured_queries),
            "query_ms": [round(float(q["time"]) * 1000, 1) for q in queries.captured_queries],
            "first_response_count": body["first_response"]["count"],
            "resolution_count": body["resolution"]["count"],
            "attainment_clocks": sum(a["met"] + a["breached"] for a in body["attainment"]),
        }
        progress(
            f"  {name}: p50 {shapes[name]['p50_ms']} ms, p95 {shapes[name]['p95_ms']} ms, "
            f"{shapes[name]['queries']} queries"
        )
        if slowest is None or float(statement["time"]) > float(slowest[1]["time"]):
            slowest = (name, statement)
    plan = summary_plan(slowest[1]["sql"])
    scans = [line.strip() for line in plan if "Scan" in line]
    indexes = sorted(set(re.findall(r"(?:Scan using|Index Scan on) (\w+)", "\n".join(plan))))
    return {
        "cases": cases,
        "requests": requests,
        "warm_up": 3,
        "client": "django.test.Client in-process, an admin's API token",
        "shapes": shapes,
        "slowest_statement": {
            "shape": slowest[0],
            "ms": round(float(slowest[1]["time"]) * 1000, 1),
            "sql": slowest[1]["sql"],
            "explain_analyze_top": plan[:4],
            "explain_analyze_scans": scans,
            "explain_analyze_time": plan[-1],
            "indexes": indexes,
        },
        "rollups": {
            "days_built": built["built"],
            "build_seconds": round(build_seconds, 1),
            "histogram_rows": SlaRollupHistogram.objects.count(),
            "days": SlaRollupDay.objects.count(),
        },
        "targets": {"p95": "< 200 ms for each shape"},
        "ok": all(shape["p95_ms"] < 200 for shape in shapes.values()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 clocks, 3 runs")
    parser.add_argument("--clocks", type=int, help="open clocks to sweep (1,000,000)")
    parser.add_argument("--runs", type=int, help="timed sweep runs (5; --quick: 3)")
    parser.add_argument("--recomputes", type=int, default=200)
    parser.add_argument("--cases", type=int, help="summary cases (1,000,000; --quick: 100,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed summary requests")
    parser.add_argument(
        "--parts", default="sweep,recompute,summary", help="which, comma-separated (all three)"
    )
    args = parser.parse_args()
    clocks = args.clocks or (100_000 if args.quick else 1_000_000)
    runs = args.runs or (3 if args.quick else 5)
    cases = args.cases or (100_000 if args.quick else 1_000_000)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    started = time.perf_counter()
    ensure_database(url)
    configure(url)
    from django.core.management import call_command

    progress(f"migrating {urlparse(url).path.lstrip('/')}")
    call_command("migrate", verbosity=0)
    parts = {
        "sweep": lambda: bench_sweep(clocks, runs),
        "recompute": lambda: bench_recompute(args.recomputes),
        "summary": lambda: bench_summary(cases, args.requests),
    }
    result = {"benchmark": "sla", "database": "postgresql", "quick": args.quick}
    for part in args.parts.split(","):
        result[part] = parts[part]()
    result["seconds"] = round(time.perf_counter() - started, 1)
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "sla.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
