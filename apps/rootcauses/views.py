"""The spikes page (/root-causes/spikes/): what owner teams are told of, for anyone signed
in (the taxonomy is no secret, and a spike names no customer). A small page around one
partial, templates/rootcauses/_spikes.html, that other pages (the root-cause dashboard)
include with their own `spikes`."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import selectors
from .models import RootCauseSpike

PAGE_ROWS = 100  # spikes are rare: more than this in 30 days is the API's job


@login_required
@require_safe
def spikes_page(request):
    """Active spikes, then those ended in the last 30 days; the user's teams' are marked."""
    spikes = list(selectors.spikes_recent()[:PAGE_ROWS])
    context = {
        "active": [s for s in spikes if s.state == RootCauseSpike.State.ACTIVE],
        "ended": [s for s in spikes if s.state == RootCauseSpike.State.ENDED],
        "my_team_ids": set(request.user.teams.values_list("pk", flat=True)),
        "ended_caption": f"Ended in the last {selectors.RECENT_SPIKE_DAYS} days",
    }
    return render(request, "rootcauses/spikes.html", context)
