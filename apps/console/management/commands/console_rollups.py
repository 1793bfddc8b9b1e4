"""`manage.py console_rollups`: build the supervisors' reports' volume rollups now.

    manage.py console_rollups              # the days missing or changed, every one of them
    manage.py console_rollups --rebuild    # every day again (after a restore, say)

Beat does the same every CXDESK_VOLUME_ROLLUP_SECONDS, a few weeks of days at a time. The
reports are exact either way: what is not built is read from the rows (apps/console/rollups.py).
"""

from apps.console import rollups
from apps.core.management.rollups_command import RollupsCommand


class Command(RollupsCommand):
    help = "Build the volume daily rollups of the reports: the days missing or changed (or all)."
    build = staticmethod(rollups.rollups_build)
