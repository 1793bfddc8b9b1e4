"""`manage.py rootcause_rollups`: build the root-cause report's daily rollups now.

    manage.py rootcause_rollups              # the days missing or changed, every one of them
    manage.py rootcause_rollups --rebuild    # every day again (after a restore, say)

Beat does the same every CXDESK_ROOTCAUSE_ROLLUP_SECONDS, a few weeks of days at a time. The
report is exact either way: what is not built is read from the rows (apps/rootcauses/rollups.py).
"""

import time

from django.core.management.base import BaseCommand, CommandParser

from apps.rootcauses import rollups


class Command(BaseCommand):
    help = "Build the root-cause daily rollups: the days missing or changed (or all)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="rebuild every day")
        parser.add_argument(
            "--days-per-batch", type=int, default=31, help="days built per transaction (31)"
        )

    def handle(self, *args, rebuild: bool, days_per_batch: int, **options) -> None:
        started = time.perf_counter()
        built = dropped = marks = 0
        # Batches until one comes back short (nothing left); --rebuild is one transaction.
        for _ in range(10_000):
            result = rollups.rollups_build(
                max_days=None if rebuild else days_per_batch, rebuild=rebuild
            )
            if result["busy"]:
                self.stderr.write("Another build is running; try again when it has finished.")
                return
            built += result["built"]
            dropped += result["dropped"]
            marks += result["marks"]
            if rebuild or result["built"] < days_per_batch:
                break
        self.stdout.write(
            f"Built {built} days ({dropped} of another time zone dropped, {marks} marks done) "
            f"in {time.perf_counter() - started:.1f} s."
        )
