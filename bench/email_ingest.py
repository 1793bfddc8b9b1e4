"""Benchmark: email ingestion (apps.mail.services.email_receive) on PostgreSQL, one process.

    .venv/bin/python bench/email_ingest.py [--messages 2000] [--corpus-share 0.0]

Uses a scratch PostgreSQL database (BENCH_DATABASE_URL, default
postgres://postgres@127.0.0.1:5432/cxdesk_bench, created if missing and migrated), builds
N realistic messages up front (text + HTML alternatives; new problems from a pool of
returning customers, replies threaded by In-Reply-To/References or a [CX-…] subject token,
some with a PDF attachment or an inline image, a few auto-replies; optionally a share of the
shared corpus' real mail), then feeds them one by one to email_receive — store the raw row,
parse, thread, write through the case services — exactly as the IMAP poller does, and
prints messages/second, p50/p95 per message and SQL queries per message. Writes
bench/results/email_ingest.json. Target: 100+ messages/second per worker process.
"""

import argparse
import json
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections import Counter
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_DB = "postgres://postgres@127.0.0.1:5432/cxdesk_bench"
CORPUS = ROOT.parent / "shared" / "corpus" / "email"

WORDS = (  # noqa: SIM905 — a line of words reads better than forty quoted ones
    "invoice order parcel refund account password delivery subscription charge "
    "renewal card address billing update cancel payment error login app screen "
    "receipt tracking damaged missing wrong double late support please thanks"
).split()
PDF = b"%PDF-1.4\n" + bytes(random.Random(7).getrandbits(8) for _ in range(20_000))
PNG = b"\x89PNG\r\n\x1a\n" + bytes(random.Random(8).getrandbits(8) for _ in range(4_000))


def ensure_database(url: str) -> None:
    import psycopg

    parsed = urlparse(url)
    name = parsed.path.lstrip("/")
    admin = parsed._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')


def configure(database_url: str, media_root: str) -> None:
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "cxdesk.settings",
            "DATABASE_URL": database_url,
            "SECRET_KEY": "bench-only-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz-ABCDEFG",
            "DEBUG": "false",
            "CELERY_BROKER_URL": "",
            "LOG_LEVEL": "ERROR",
            "MEDIA_ROOT": media_root,
        }
    )
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def _sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def build_messages(count: int, run: str, rng: random.Random, corpus_share: float) -> list:
    """(kind, raw bytes) in arrival order. Replies answer a message sent earlier; a "token"
    reply carries its parent's case reference, written in once the parent is stored."""
    corpus = (
        sorted(
            p for p in CORPUS.rglob("*") if p.is_file() and p.suffix not in (".yml", ".py", ".md")
        )
        if corpus_share and CORPUS.is_dir()
        else []
    )
    sent: list[tuple[str, str, str]] = []  # (message id, sender, subject) of earlier mail
    messages = []
    for n in range(count):
        if corpus and rng.random() < corpus_share:
            messages.append(("corpus", rng.choice(corpus).read_bytes()))
            continue
        roll = rng.random()
        kind = (
            "new"
            if not sent or roll < 0.5
            else "reply"
            if roll < 0.85
            else "token"
            if roll < 0.95
            else "auto_reply"
        )
        message = EmailMessage()
        message_id = f"<{run}.{n}@customer.example>"
        if kind == "new":
            sender = f"Customer {rng.randrange(400)} <customer{rng.randrange(400)}@example.com>"
            subject = f"{_sentence(rng, 4)} ({run}-{n})"
        else:
            parent_id, sender, subject = rng.choice(sent[-300:])
            if kind == "reply":
                message["In-Reply-To"] = parent_id
                message["References"] = parent_id
                subject = f"Re: {subject}"
            elif kind == "token":  # the parent's case reference, filled in when it is known
                subject = f"Re: {subject} [CX-PARENT]"
                message["X-Bench-Parent"] = parent_id
            else:
                message["Auto-Submitted"] = "auto-replied"
                message["In-Reply-To"] = parent_id
                subject = f"Out of office: {subject}"
        message["From"] = sender
        message["To"] = "Support <support@bench.cxdesk.test>"
        message["Subject"] = subject
        message["Date"] = format_datetime(datetime.now(UTC))
        message["Message-ID"] = message_id
        text = "\n\n".join(_sentence(rng, rng.randrange(8, 30)) for _ in range(4))
        message.set_content(f"Hello,\n\n{text}\n\nRegards\n")
        html = "".join(f"<p>{p}</p>" for p in text.split("\n\n"))
        if rng.random() < 0.1:
            message.add_alternative(f'<div>{html}<img src="cid:logo-{n}@x"></div>', subtype="html")
            message.get_body(("html",)).add_related(
                PNG, maintype="image", subtype="png", cid=f"<logo-{n}@x>"
            )
        else:
            message.add_alternative(f"<div>{html}</div>", subtype="html")
        if rng.random() < 0.15:
            message.add_attachment(
                PDF, maintype="application", subtype="pdf", filename=f"document-{n}.pdf"
            )
        sent.append((message_id, sender, subject.removeprefix("Re: ").replace(" [CX-PARENT]", "")))
        messages.append((kind, message.as_bytes()))
    return messages


def _with_reference(raw: bytes, cases_by_message_id: dict) -> bytes:
    head = raw.split(b"\n\n", 1)[0].decode("ascii", "replace")
    parent = next(
        (
            line.split(":", 1)[1].strip()
            for line in head.splitlines()
            if line.lower().startswith("x-bench-parent:")
        ),
        "",
    )
    case_id = cases_by_message_id.get(parent)
    token = f"[CX-{case_id:06d}]" if case_id else "[no case yet]"
    return raw.replace(b"[CX-PARENT]", token.encode(), 1)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(share * (len(ordered) - 1))))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=50)
    parser.add_argument(
        "--corpus-share",
        type=float,
        default=0.0,
        help="share of messages drawn from shared/corpus/email (0–1)",
    )
    parser.add_argument("--seed", type=int, default=2024)
    args = parser.parse_args()

    database_url = os.environ.get("BENCH_DATABASE_URL", DEFAULT_DB)
    ensure_database(database_url)
    media = tempfile.TemporaryDirectory(prefix="cxdesk-bench-media-")
    configure(database_url, media.name)

    from django.core.management import call_command
    from django.db import connection

    from apps.accounts.models import Team
    from apps.mail import services
    from apps.mail.models import InboundEmail, Mailbox

    call_command("migrate", verbosity=0, interactive=False)
    team, _ = Team.objects.get_or_create(slug="bench-email", defaults={"name": "Bench email"})
    mailbox, _ = Mailbox.objects.get_or_create(
        email_address="support@bench.cxdesk.test", defaults={"name": "Bench", "team": team}
    )

    rng = random.Random(args.seed)
    run = uuid.uuid4().hex[:10]
    messages = build_messages(args.warmup + args.messages, run, rng, args.corpus_share)
    query_count = 0

    def count_queries(execute, sql, params, many, context):
        nonlocal query_count
        query_count += 1
        return execute(sql, params, many, context)

    cases_by_message_id: dict[str, int | None] = {}
    durations, queries, kinds, statuses = [], [], Counter(), Counter()
    queries_by_kind: dict[str, list[int]] = {}
    with connection.execute_wrapper(count_queries):
        for index, (kind, raw) in enumerate(messages):
            if kind == "token":
                raw = _with_reference(raw, cases_by_message_id)
            query_count = 0
            started = time.perf_counter()
            inbound = services.email_receive(
                raw=raw, source=InboundEmail.Source.IMAP, mailbox=mailbox
            )
            elapsed = time.perf_counter() - started
            if inbound.message_id:
                cases_by_message_id[inbound.message_id] = inbound.case_id
            if index < args.warmup:
                continue
            durations.append(elapsed)
            queries.append(query_count)
            kinds[kind] += 1
            statuses[inbound.status] += 1
            queries_by_kind.setdefault(kind, []).append(query_count)
    total = sum(durations)
    media.cleanup()

    result = {
        "benchmark": "email_ingest",
        "database": "postgresql",
        "processes": 1,
        "messages": len(durations),
        "mix": dict(kinds),
        "statuses": dict(statuses),
        "seconds": round(total, 3),
        "messages_per_second": round(len(durations) / total, 1),
        "p50_ms": round(percentile(durations, 0.50) * 1000, 2),
        "p95_ms": round(percentile(durations, 0.95) * 1000, 2),
        "p99_ms": round(percentile(durations, 0.99) * 1000, 2),
        "queries_per_message": round(statistics.mean(queries), 1),
        "queries_per_message_by_kind": {
            k: round(statistics.mean(v), 1) for k, v in sorted(queries_by_kind.items())
        },
        "max_queries_per_message": max(queries),
        "targets": {"messages_per_second": ">= 100 per worker process"},
    }
    print(json.dumps(result, indent=2))
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "email_ingest.json").write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
