"""`manage.py rootcause_rollups`: build the root-cause report's daily rollups now.

    manage.py rootcause_rollups              # the days missing or changed, every one of them
    manage.py rootcause_rollups --rebuild    # every day again (after a restore, say)

Beat does the same every CXDESK_ROOTCAUSE_ROLLUP_SECONDS, a few weeks of days at a time. The
report is exact either way: what is not built is read from the rows (apps/rootcauses/rollups.py).
"""

from apps.core.management.rollups_command import RollupsCommand
from apps.rootcauses import rollups


class Command(RollupsCommand):
    help = "Build the root-cause daily rollups: the days missing or changed (or all)."
    build = staticmethod(rollups.rollups_build)
