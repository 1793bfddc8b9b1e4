"""`manage.py sla_whatif`: a proposed SLA policy replayed over a period, beside today's clocks.

    manage.py sla_whatif --policy-file proposed.json --from 2026-11-01 --to 2026-11-30
    manage.py sla_whatif --policy-file proposed.json --from … --to … --then-current --json

Reads only: no stored clock, event or case changes. The file's format, what each figure
means and which cases the proposal covers: apps/sla/whatif.py.
"""

import json
import sys
from datetime import date
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.sla import whatif

HELP = """Replay every case created in a period under a proposed SLA policy and print, beside
the stored clocks (today's policies), attainment (met / (met + breached)) and breaches per
target, and the median first response in business time. Writes nothing.

The policy file is one JSON object shaped like the API's policy (POST /api/v1/sla/policies/),
with the calendar inline: {"name": "…", "targets": [{"priority": "normal", "metric":
"first_response", "minutes": 60, "business_hours": true}, …], "pause_statuses":
{"resolution": ["pending"]}, "warning_percent": 75, "match_priorities": [], "match_channels":
[], "match_teams": [ids], "match_organizations": [ids], "match_tags": [], "calendar":
{"timezone": "Europe/London", "weekly_hours": {"mon": [["09:00", "17:00"]], …}, "holidays":
["2026-12-25"], "holiday_country": "GB", "holiday_subdivision": "ENG"}}. "calendar" may also
be a stored calendar's id, or null (24/7). Only "targets" is required. By default the
proposal replaces every policy (cases it does not match get no clocks); --then-current tries
it first, then today's active policies. Details: apps/sla/whatif.py."""


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"{value!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = HELP

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--policy-file", required=True, type=Path, help="the proposal (JSON)")
        parser.add_argument(
            "--from", dest="first", required=True, help="first day (YYYY-MM-DD), local time"
        )
        parser.add_argument("--to", dest="last", required=True, help="last day, included")
        parser.add_argument(
            "--then-current",
            action="store_true",
            help="try the proposal first, then today's active policies (default: it alone)",
        )
        parser.add_argument(
            "--batch-size", type=int, default=whatif.BATCH_SIZE, help="cases read at a time"
        )
        parser.add_argument("--json", action="store_true", help="print the figures as JSON")

    def handle(self, *args, **options) -> None:
        path: Path = options["policy_file"]
        try:
            text = path.read_bytes()
        except OSError as error:
            raise CommandError(f"--policy-file: cannot read {path}: {error.strerror}") from None
        try:
            proposal = whatif.proposal_from_json(text)
        except whatif.ProposalError as error:
            raise CommandError(f"{path}: {error}") from None
        try:
            start, end = whatif.period_of(_day(options["first"]), _day(options["last"]))
        except ValueError as error:
            raise CommandError(str(error)) from None
        if options["batch_size"] < 1:
            raise CommandError("--batch-size: at least 1")

        def progress(done: int, total: int) -> None:
            if options["verbosity"] >= 2 or (total and sys.stderr.isatty()):
                self.stderr.write(f"\r{done}/{total} cases", ending="")

        report = whatif.whatif_period(
            proposal,
            start=start,
            end=end,
            then_current=options["then_current"],
            batch_size=options["batch_size"],
            progress=progress,
        )
        if options["verbosity"] >= 2 or sys.stderr.isatty():
            self.stderr.write("")
        data = report.as_dict()
        if options["json"]:
            self.stdout.write(json.dumps(data, indent=2))
            return
        mode = "then today's policies" if options["then_current"] else "replacing every policy"
        self.stdout.write(
            f"SLA what-if: {proposal.policy.name!r} ({mode}), cases created "
            f"{options['first']} to {options['last']} ({start.tzinfo})\n"
        )
        self.stdout.write(whatif.report_text(data))
