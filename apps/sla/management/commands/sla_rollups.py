"""`manage.py sla_rollups`: build the SLA summary's daily rollups now.

    manage.py sla_rollups              # the days missing or changed, every one of them
    manage.py sla_rollups --rebuild    # every day again (after a restore, say)

Beat does the same every CXDESK_SLA_ROLLUP_SECONDS, a few weeks of days at a time. The
summary is exact either way: what is not built is read from the rows (apps/sla/rollups.py).
"""

from apps.core.management.rollups_command import RollupsCommand
from apps.sla import rollups


class Command(RollupsCommand):
    help = "Build the SLA summary's daily rollups: the days missing or changed (or all)."
    build = staticmethod(rollups.rollups_build)
