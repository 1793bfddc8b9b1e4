"""The spikes page (/root-causes/spikes/): what owner teams are told of, for anyone signed
in (the taxonomy is no secret, and a spike names no customer). A small page around one
partial, templates/rootcauses/_spikes.html, that other pages (the root-cause dashboard)
include with their own `spikes`.

The report page (/root-causes/report/, and its CSV at /root-causes/report.csv): the top root
causes of a period for anyone signed in, counted over the cases they may see (admins every
case, others their teams': selectors.top_root_causes); each cause links to its cases on the
queue page (?root_cause=…&created_from=…&created_to=…)."""

import csv
from datetime import timedelta
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from apps.accounts.models import AgentProfile, Team, role_of
from apps.cases.models import Channel

from . import selectors
from .models import RootCauseSpike
from .report import CSV_COLUMNS, ReportInput, ReportRowOutput

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


def _report(request: HttpRequest) -> tuple[ReportInput, list[selectors.ReportRow]]:
    """The report of the page's query (its errors on the form, nothing counted)."""
    params = {k: v for k, v in request.GET.dict().items() if v.strip()}
    data = ReportInput(data=params, context={"user": request.user})
    if not data.is_valid():
        return data, []
    d = data.validated_data
    return data, selectors.top_root_causes(
        period=d["period"], filters=d["filters"], user=request.user
    )


@login_required
@require_safe
def report_page(request: HttpRequest) -> HttpResponse:
    """The root-cause report: a table of the period's causes, each linked to its cases."""
    data, rows = _report(request)
    status = 400 if data.errors else 200
    period = data.validated_data["period"] if not data.errors else None
    zone = timezone.get_default_timezone()
    admin = role_of(request.user) == AgentProfile.Role.ADMIN
    user: Any = request.user  # signed in (login_required)
    teams = Team.objects.order_by("name") if admin else user.teams.order_by("name")
    context = {
        "rows": rows,
        "is_admin": admin,
        "errors": data.errors,
        "period": period,
        # The form's values: what was asked, else the period shown (`to` is exclusive: the
        # day before it is the last one shown).
        "from_value": request.GET.get("from")
        or (period and period.start.astimezone(zone).date().isoformat()),
        "to_value": request.GET.get("to")
        or (
            period and (period.end.astimezone(zone) - timedelta(microseconds=1)).date().isoformat()
        ),
        "team_value": request.GET.get("team", ""),
        "channel_value": request.GET.get("channel", ""),
        "teams": list(teams.values_list("pk", "name")),
        "channels": Channel.choices,
        "csv_query": request.GET.urlencode(),
        "created_from": period and period.start.astimezone(zone).date().isoformat(),
        "created_to": period
        and (period.end.astimezone(zone) - timedelta(microseconds=1)).date().isoformat(),
    }
    return render(request, "rootcauses/report.html", context, status=status)


def _cell(value: object) -> object:
    """A CSV cell a spreadsheet shows as text, never runs as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@login_required
@require_safe
def report_csv(request: HttpRequest) -> HttpResponse:
    """The same report as CSV (the page's query parameters)."""
    data, rows = _report(request)
    if data.errors:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in data.errors.items()),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="root-causes.csv"'
    writer = csv.writer(response)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in rows:
        values = ReportRowOutput(row).data  # the API's names and values
        writer.writerow([_cell(values[name]) for name, _ in CSV_COLUMNS])
    return response
