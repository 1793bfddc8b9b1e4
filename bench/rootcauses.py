"""Benchmark: the top-root-causes report over a million cases on PostgreSQL.

    make bench            # or: .venv/bin/python bench/rootcauses.py [--quick] [--cases N]

Uses a scratch database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/cxdesk_rootcauses_bench, created if missing and
migrated). It is loaded with `--cases` cases (1,000,000; --quick: 100,000) by COPY
(psycopg's `cursor.copy`), secondary indexes dropped meanwhile and rebuilt from the
migrations' own definitions: opened evenly over the 400 days before the bench's "now", 85%
tagged with one of 60 root causes (10 categories of 5 causes, Zipf-like volumes), on 8 teams
(each cause worked mostly by two of them) and 5 channels, by 400,000 customers (a few write
often). Each case gets its SLA metrics set-based (INSERT … SELECT): handle time for calls
and chats, FCR verdicts on the solved ones, a reopen on 6%. A loaded database is kept for
the next run (a marker contact names its size).

Then the rollups are built (`rollups_build`: every day after a load, else what is missing
or marked; its time is printed) and
`selectors.top_root_causes` is timed in-process, `--requests` times (30) after a warm-up,
over the last 30 and 90 days up to "now" (partial days at both edges and today read from the
rows, the rest from the rollups): as an admin (every case), with a team filter, and as an
agent of two teams (their teams' cases only). Prints p50/p95 in ms and the queries a report
costs as JSON (also bench/results/rootcauses.json). Target (issue 11): p95 < 200 ms.
"""

import argparse
import json
import os
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.sla import configure, ensure_database, percentile  # noqa: E402

DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cxdesk_rootcauses_bench"
NOW = datetime(2026, 6, 1, 15, 30, tzinfo=UTC)
DAYS = 400
MARKER = "rootcauses-bench {cases}"
CHANNELS = [("email", 0.4), ("chat", 0.25), ("phone", 0.2), ("social", 0.1), ("web", 0.05)]
TEAMS = 8
CATEGORIES, CAUSES_EACH = 10, 5
NULL = "\\N"  # COPY's text format
LOADED = ["cases_case", "sla_casemetrics", "contacts_contact"]


def progress(message: str) -> None:
    print(f"[rootcauses bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _text(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n")


def taxonomy() -> tuple[list[int], list[int]]:
    """The bench's teams and leaf root causes (made once, kept)."""
    from apps.accounts.models import Team
    from apps.rootcauses import services
    from apps.rootcauses.models import RootCause

    teams = [
        Team.objects.get_or_create(slug=f"rc-bench-{n}", defaults={"name": f"RC bench {n}"})[0]
        for n in range(TEAMS)
    ]
    leaves = []
    for c in range(CATEGORIES):
        top = RootCause.objects.filter(name=f"Category {c}", parent=None).first()
        top = top or services.root_cause_create(name=f"Category {c}", owner_team=teams[c % TEAMS])
        for k in range(CAUSES_EACH):
            leaf = RootCause.objects.filter(name=f"Cause {c}.{k}", parent=top).first()
            leaf = leaf or services.root_cause_create(
                name=f"Cause {c}.{k}", parent=top, owner_team=teams[(c + k) % TEAMS]
            )
            leaves.append(leaf.pk)
    return [t.pk for t in teams], leaves


def _secondary_indexes(cursor) -> list[tuple[str, str]]:
    cursor.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = 'public' AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        """,
        [LOADED],
    )
    return cursor.fetchall()


def load(url: str, cases: int, teams: list[int], causes: list[int]) -> None:
    import psycopg

    rng = random.Random(cases)
    contacts = int(cases * 0.4)
    started = time.perf_counter()
    weights = [1 / (n + 1) ** 0.8 for n in range(len(causes))]  # a few causes carry most
    channel_names, channel_weights = zip(*CHANNELS, strict=True)
    with psycopg.connect(url) as conn, conn.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")  # no FK triggers: ids are ours
        cursor.execute("SET maintenance_work_mem = '512MB'")
        cursor.execute(
            "TRUNCATE cases_case, contacts_contact, rootcauses_rootcauserollupday, "
            "rootcauses_rootcauserollupmark RESTART IDENTITY CASCADE"
        )
        indexes = _secondary_indexes(cursor)
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        progress(f"loading {cases:,} cases ({len(indexes)} secondary indexes dropped meanwhile)")
        at = NOW.isoformat()
        with cursor.copy(
            "COPY contacts_contact (id, name, notes, created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write(
                "".join(f"{c}\tCustomer {c}\t\t{at}\t{at}\n" for c in range(1, contacts + 1))
            )
        with cursor.copy(
            "COPY cases_case (id, subject, status, priority, channel, custom_fields, created_at, "
            "updated_at, solved_at, reopen_count, requester_id, team_id, root_cause_id) FROM STDIN"
        ) as copy:
            rows = []
            span = DAYS * 86400
            picks = rng.choices(range(len(causes)), weights=weights, k=cases)
            chans = rng.choices(channel_names, weights=channel_weights, k=cases)
            for i in range(1, cases + 1):
                created = NOW - timedelta(seconds=span * (1 - i / cases) + 60)
                tagged = rng.random() < 0.85
                cause = picks[i - 1]
                # Each cause is worked mostly by two teams; a few cases elsewhere.
                team = (
                    teams[(cause + (rng.random() < 0.5)) % TEAMS]
                    if rng.random() < 0.9
                    else (rng.choice(teams))
                )
                solved = rng.random() < 0.9 and NOW - created > timedelta(hours=6)
                solved_at = (created + timedelta(hours=rng.random() * 6)).isoformat()
                reopens = 1 if solved and rng.random() < 0.06 else 0
                # A tenth of the customers write a third of the cases.
                contact = (
                    rng.randint(1, contacts // 10)
                    if rng.random() < 0.33
                    else rng.randint(1, contacts)
                )
                rows.append(
                    f"{i}\tBench case {i}\t{'solved' if solved else 'open'}\tnormal\t"
                    f"{chans[i - 1]}\t{{}}\t{created.isoformat()}\t{created.isoformat()}\t"
                    f"{solved_at if solved else NULL}\t{reopens}\t{contact}\t{team}\t"
                    f"{causes[cause] if tagged else NULL}\n"
                )
                if len(rows) >= 20_000:
                    copy.write("".join(rows))
                    rows = []
            copy.write("".join(rows))
        progress(f"  cases copied in {time.perf_counter() - started:.0f} s")
        cursor.execute(
            """
            INSERT INTO sla_casemetrics (
                case_id, next_responses, solved_at, requester_wait_seconds, agent_work_seconds,
                on_hold_seconds, reopen_count, agent_replies, agent_responses, call_seconds,
                chat_seconds, handle_seconds, fcr, fcr_state, fcr_reason, computed_at,
                opened_at, team_id, channel, priority)
            SELECT c.id, '[]'::jsonb, c.solved_at, 0, 0, 0, c.reopen_count, 1, 1,
                   m.calls, m.chats, m.calls + m.chats,
                   CASE WHEN c.solved_at IS NOT NULL THEN c.reopen_count = 0 AND random() < 0.75
                   END,
                   CASE WHEN c.solved_at IS NULL THEN 'unknown' ELSE 'final' END, '',
                   %(now)s, c.created_at, c.team_id, c.channel, c.priority
            FROM cases_case c
            CROSS JOIN LATERAL (SELECT
                CASE WHEN c.channel = 'phone' THEN floor(60 + random() * 900)::int ELSE 0 END
                    AS calls,
                CASE WHEN c.channel = 'chat' THEN floor(120 + random() * 1200)::int ELSE 0 END
                    AS chats) m
            """,
            {"now": NOW},
        )
        progress(f"  metrics in {time.perf_counter() - started:.0f} s")
        for table in ("cases_case", "contacts_contact"):
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"(SELECT coalesce(max(id), 1) FROM {table}))"
            )
        for _name, definition in indexes:
            cursor.execute(definition)
        progress(f"  indexes rebuilt in {time.perf_counter() - started:.0f} s")
        cursor.execute(
            "INSERT INTO contacts_contact (name, notes, created_at, updated_at) "
            "VALUES (%s, '', %s, %s)",
            [MARKER.format(cases=cases), NOW, NOW],
        )
        conn.commit()
    vacuum(url)
    progress(f"  loaded and vacuumed in {time.perf_counter() - started:.0f} s")


def vacuum(url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        for table in (
            *LOADED,
            "rootcauses_rootcauserollupcell",
            "rootcauses_rootcauserollupcontact",
            "rootcauses_rootcauserollupday",
        ):
            conn.execute(f"VACUUM ANALYZE {table}")


def loaded(cases: int) -> bool:
    from apps.contacts.models import Contact

    return Contact.objects.filter(name=MARKER.format(cases=cases)).exists()


def time_report(requests: int, variants: dict) -> dict:
    from django.db import connection, reset_queries

    from apps.rootcauses import selectors

    results = {}
    for name, (days, filters, user) in variants.items():
        period = selectors.ReportPeriod(start=NOW - timedelta(days=days), end=NOW)
        for _ in range(3):  # warm-up
            selectors.top_root_causes(period=period, filters=filters, user=user)
        timings = []
        for _ in range(requests):
            started = time.perf_counter()
            rows = selectors.top_root_causes(period=period, filters=filters, user=user)
            timings.append((time.perf_counter() - started) * 1000)
        connection.force_debug_cursor = True
        reset_queries()
        selectors.top_root_causes(period=period, filters=filters, user=user)
        queries = len(connection.queries)
        connection.force_debug_cursor = False
        results[name] = {
            "p50_ms": round(statistics.median(timings), 1),
            "p95_ms": round(percentile(timings, 0.95), 1),
            "queries": queries,
            "causes": len(rows),
            "cases": sum(r.cases for r in rows),
        }
        progress(f"  {name}: {results[name]}")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="100,000 cases")
    parser.add_argument("--cases", type=int, help="cases to load (1,000,000)")
    parser.add_argument("--requests", type=int, default=30, help="timed reports per variant")
    args = parser.parse_args()
    cases = args.cases or (100_000 if args.quick else 1_000_000)
    url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(url)
    configure(url)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from django.contrib.auth import get_user_model

    from apps.accounts.models import AgentProfile, Team

    User = get_user_model()  # noqa: N806
    from apps.rootcauses import rollups, selectors

    teams, causes = taxonomy()
    reused = loaded(cases)
    if reused:
        progress(f"reusing the {cases:,} loaded cases (and their rollups, built incrementally)")
    else:
        load(url, cases, teams, causes)
    started = time.perf_counter()
    built = rollups.rollups_build(now=NOW, max_days=None, rebuild=not reused)
    build_seconds = round(time.perf_counter() - started, 1)
    progress(f"rollups built in {build_seconds} s: {built}")
    vacuum(url)
    admin, _ = User.objects.get_or_create(username="rc-bench-admin")
    AgentProfile.objects.update_or_create(user=admin, defaults={"role": AgentProfile.Role.ADMIN})
    agent, _ = User.objects.get_or_create(username="rc-bench-agent")
    AgentProfile.objects.update_or_create(user=agent, defaults={"role": AgentProfile.Role.AGENT})
    agent.teams.set(Team.objects.filter(pk__in=teams[:2]))
    admin = User.objects.get(pk=admin.pk)
    agent = User.objects.get(pk=agent.pk)
    everything = selectors.ReportFilters()
    one_team = selectors.ReportFilters(team_id=teams[0])
    variants = {
        f"{days}d_{name}": (days, filters, user)
        for days in (30, 90)
        for name, filters, user in (
            ("all", everything, admin),
            ("team_filter", one_team, admin),
            ("agent_two_teams", everything, agent),
        )
    }
    figures = time_report(args.requests, variants)
    result = {
        "cases": cases,
        "rollup_build_seconds": build_seconds,
        "report": figures,
        "target_p95_ms": 200,
        "worst_p95_ms": max(v["p95_ms"] for v in figures.values()),
        "loadavg": Path("/proc/loadavg").read_text().split()[:3],
    }
    out = ROOT / "bench" / "results" / "rootcauses.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
