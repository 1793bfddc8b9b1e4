"""The one body of the `manage.py …_rollups` commands (SLA, root causes, volume): build an
app's daily rollups now, in batches of days until none is left, or every day again.

Each app's command is a subclass naming its `build` (the app's `rollups.rollups_build`) and
its help; beat runs the same builds every few minutes, a few weeks of days at a time. The
figures are exact either way: what is not built is read from the rows.
"""

import time
from collections.abc import Callable
from typing import Any, ClassVar

from django.core.management.base import BaseCommand, CommandParser


class RollupsCommand(BaseCommand):
    build: ClassVar[Callable[..., dict[str, int]]]

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rebuild", action="store_true", help="rebuild every day")
        parser.add_argument(
            "--days-per-batch", type=int, default=31, help="days built per transaction (31)"
        )

    def handle(self, *args: Any, rebuild: bool, days_per_batch: int, **options: Any) -> None:
        started = time.perf_counter()
        built = dropped = marks = 0
        build = type(self).build
        # Batches until one comes back short (nothing left); --rebuild is one transaction.
        for _ in range(10_000):
            result = build(max_days=None if rebuild else days_per_batch, rebuild=rebuild)
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
