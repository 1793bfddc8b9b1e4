"""The root-cause pages.

/root-causes/spikes/: what owner teams are told of, for anyone signed in (the taxonomy is no
secret, and a spike names no customer). A small page around one partial,
templates/rootcauses/_spikes.html, that other pages (the root-cause dashboard) include with
their own `spikes`.

/root-causes/candidates/: the candidate new root causes the user may see (every case of
each visible to them), with the decisions as plain POST forms (POST-redirect-GET, a message
on the page; no JavaScript needed): accept as a new node (admins), merge into a node,
dismiss, or open a problem from it (supervisors and admins: apps/problems/services.py
problem_from_candidate).

/root-causes/report/ (and its CSV at /root-causes/report.csv): the top root causes of a
period for anyone signed in, counted over the cases they may see (admins every case, others
their teams': selectors.top_root_causes); each cause links to its cases on the queue page
(?root_cause=…&created_from=…&created_to=…).

/root-causes/dashboard/ (.csv; cases/): the owners' dashboard, for stakeholders of the owner
teams and for supervisors and admins (apps/rootcauses/dashboard.py says who sees what);
a stakeholder drills down to a list of the cases without customer data, the others to the
queue.
"""

import csv
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.filters import parse_id
from apps.cases.models import Channel
from apps.core import spreadsheet
from apps.core.errors import DomainError

from . import dashboard, selectors, services
from .dashboard import DashboardInput
from .models import RootCause, RootCauseSpike
from .report import CSV_COLUMNS, ReportInput, ReportRowOutput

PAGE_ROWS = 100  # spikes are rare: more than this in 30 days is the API's job
CANDIDATE_ROWS = 50  # the largest open candidates; the API pages through all of them
CASES_SHOWN = 10


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


class AcceptForm(forms.Form):
    name = forms.CharField(max_length=100)
    parent = forms.ModelChoiceField(
        queryset=RootCause.objects.active().filter(depth__lt=3).order_by("path"),
        required=False,
        empty_label="(a new category)",
        label="Under",
    )
    owner_team = forms.ModelChoiceField(queryset=Team.objects.order_by("name"), label="Owner team")


class MergeForm(forms.Form):
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.active().order_by("path"), label="Root cause"
    )


def _may_decide(user, action: str) -> bool:
    """accept: admins; merge, dismiss and opening a problem: supervisors and admins."""
    role = role_of(user)
    if action == "accept":
        return role == AgentProfile.Role.ADMIN
    return role in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN)


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
def candidates_page(request):
    """The open candidates the user may see, largest first, with the decisions they may
    take."""
    candidates = list(selectors.candidate_list_for(request.user)[:CANDIDATE_ROWS])
    for candidate in candidates:
        candidate.shown_cases = candidate.memberships.all()[:CASES_SHOWN]
    may_accept = _may_decide(request.user, "accept")
    may_decide = _may_decide(request.user, "merge")
    nodes = selectors.root_cause_choices() if candidates and may_decide else []
    context = {
        "candidates": candidates,
        "may_accept": may_accept,
        "may_decide": may_decide,
        # One query each for the page, whatever the number of candidates (their forms are
        # written out in the template, with ids of their own).
        "nodes": nodes,
        "parents": [(pk, path) for pk, path in nodes if path.count(" › ") < 2],
        "teams": list(Team.objects.order_by("name").values_list("pk", "name"))
        if candidates and may_accept
        else [],
        "cases_shown": CASES_SHOWN,
    }
    return render(request, "rootcauses/candidates.html", context)


@login_required
@require_POST
def candidate_decide(request, candidate_id: int, action: str):
    """One decision on one candidate, then back to the page with what happened."""
    if action not in ("accept", "merge", "dismiss", "problem"):
        raise Http404
    candidate = selectors.candidates_visible_to(request.user).filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    if not _may_decide(request.user, action):
        raise PermissionDenied
    if action == "problem":
        return _open_problem(request, candidate.pk)
    try:
        text = _decide(request, candidate.pk, action)
    except DomainError as error:
        messages.error(request, f"Not done: {error}")
    else:
        messages.success(request, text)
    return redirect("rootcauses:candidates")


class ProblemFromCandidateForm(forms.Form):
    title = forms.CharField(max_length=200)
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.active().order_by("path"), label="Root cause"
    )


def _open_problem(request: HttpRequest, candidate_id: int) -> HttpResponse:
    """ "Open a problem from this candidate": to the new problem's page, or back with why."""
    from apps.problems import services as problem_services

    form = ProblemFromCandidateForm(request.POST)
    user: Any = request.user  # signed in (login_required)
    try:
        if not form.is_valid():
            raise BadForm(_form_errors(form))
        problem, linked = problem_services.problem_from_candidate(
            candidate_id=candidate_id, actor=user, **form.cleaned_data
        )
    except DomainError as error:
        messages.error(request, f"Not done: {error}")
        return redirect("rootcauses:candidates")
    messages.success(
        request,
        f"{problem.reference} opened with {len(linked)} case{'s' if len(linked) != 1 else ''}.",
    )
    return redirect("problems:detail", problem.pk)


def _decide(request, candidate_id: int, action: str) -> str:
    """Run the decision; what happened, for the page (a bad form: a DomainError-like
    refusal, said the same way)."""
    if action == "dismiss":
        services.candidate_dismiss(candidate_id=candidate_id, actor=request.user)
        return "Dismissed: its cases will not be proposed again."
    if action == "accept":
        accept = AcceptForm(request.POST)
        if not accept.is_valid():
            raise BadForm(_form_errors(accept))
        done = services.candidate_accept(
            candidate_id=candidate_id, actor=request.user, **accept.cleaned_data
        )
        verb = "Accepted as"
    else:
        merge = MergeForm(request.POST)
        if not merge.is_valid():
            raise BadForm(_form_errors(merge))
        done = services.candidate_merge(
            candidate_id=candidate_id,
            root_cause=merge.cleaned_data["root_cause"],
            actor=request.user,
        )
        verb = "Merged into"
    path = done.root_cause.path if done.root_cause else ""
    return f"{verb} {path}: its cases are tagged with it."


class BadForm(DomainError):
    code = "invalid_form"


def _form_errors(form: forms.Form) -> str:
    return " ".join(
        f"{form.fields[name].label or name.replace('_', ' ').capitalize()}: "
        f"{' '.join(str(e) for e in errors)}"
        if name in form.fields
        else " ".join(str(e) for e in errors)
        for name, errors in form.errors.items()
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
        "may_see_dashboard": role_of(request.user)
        in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN),
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
        writer.writerow([spreadsheet.cell(values[name]) for name, _ in CSV_COLUMNS])
    return response


# --- the owners' dashboard (apps/rootcauses/dashboard.py) ---------------------------------

DASHBOARD_CASES_PAGE = 50


def _dashboard_input(request: HttpRequest, *, also: tuple[str, ...] = ()) -> DashboardInput:
    """The dashboard's query, checked against the teams the user may see (an agent: 403);
    `also`: parameters the view reads itself."""
    try:
        teams = dashboard.dashboard_teams(request.user)
    except dashboard.DashboardRefused as refused:
        raise PermissionDenied(str(refused)) from None
    skip = ("page", *also)
    params = {k: v for k, v in request.GET.dict().items() if v.strip() and k not in skip}
    data = DashboardInput(data=params, context={"teams": teams})
    data.is_valid()
    return data


def _dashboard(request: HttpRequest) -> tuple[DashboardInput, dashboard.Dashboard | None]:
    data = _dashboard_input(request)
    if data.errors:
        return data, None
    d = data.validated_data
    return data, dashboard.owners_dashboard(
        user=request.user, period=d["period"], owner_team_ids=d["owner_team_ids"]
    )


def _team_choices(request: HttpRequest) -> list[tuple[int, str]]:
    teams = Team.objects.order_by("name")
    if role_of(request.user) == AgentProfile.Role.STAKEHOLDER:
        user: Any = request.user
        teams = user.teams.order_by("name")
    return list(teams.values_list("pk", "name"))


@login_required
@require_safe
def dashboard_page(request: HttpRequest) -> HttpResponse:
    """The owners' dashboard: their causes, spikes and open problems; a cause's cases."""
    data, board = _dashboard(request)
    from_day, to_day = dashboard.day_bounds(board.period) if board else ("", "")
    context = {
        "board": board,
        "errors": data.errors,
        "is_stakeholder": role_of(request.user) == AgentProfile.Role.STAKEHOLDER,
        "from_value": request.GET.get("from") or from_day,
        "to_value": request.GET.get("to") or to_day,
        "created_from": from_day,
        "created_to": to_day,
        "team_value": request.GET.get("owner_team", ""),
        "teams": _team_choices(request),
        "csv_query": request.GET.urlencode(),
    }
    return render(request, "rootcauses/dashboard.html", context, status=400 if data.errors else 200)


@login_required
@require_safe
def dashboard_csv(request: HttpRequest) -> HttpResponse:
    """The dashboard's root causes as CSV (the report's columns)."""
    data, board = _dashboard(request)
    if board is None:
        return _errors_text(data.errors)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="root-cause-dashboard.csv"'
    writer = csv.writer(response)
    writer.writerow([label for _, label in CSV_COLUMNS])
    for row in board.rows:
        values = ReportRowOutput(row).data
        writer.writerow([spreadsheet.cell(values[name]) for name, _ in CSV_COLUMNS])
    return response


@login_required
@require_safe
def dashboard_cases(request: HttpRequest) -> HttpResponse:
    """The cases of one dashboard row, without customer data (`?root_cause=&from=&to=`)."""
    data = _dashboard_input(request, also=("root_cause",))
    root_cause_id = parse_id(request.GET.get("root_cause", ""))
    if data.errors or root_cause_id is None:
        errors = dict(data.errors)
        if root_cause_id is None:
            errors["root_cause"] = ["Give a root cause id."]
        return _errors_text(errors)
    d = data.validated_data
    node = RootCause.objects.filter(pk=root_cause_id)
    if d["owner_team_ids"] is not None:
        node = node.filter(owner_team_id__in=d["owner_team_ids"])
    root_cause = node.select_related("owner_team").first()
    if root_cause is None:
        raise Http404("No such root cause among your teams'")
    cases = dashboard.dashboard_cases(
        root_cause_id=root_cause.pk, period=d["period"], owner_team_ids=d["owner_team_ids"]
    )
    page = Paginator(cases, DASHBOARD_CASES_PAGE).get_page(request.GET.get("page"))
    from_day, to_day = dashboard.day_bounds(d["period"])
    query = request.GET.copy()
    query.pop("page", None)
    context = {
        "root_cause": root_cause,
        "page": page,
        "created_from": from_day,
        "created_to": to_day,
        "query": query.urlencode(),
        "back_query": urlencode(
            {k: v for k, v in request.GET.items() if k in ("from", "to", "owner_team")}
        ),
    }
    return render(request, "rootcauses/dashboard_cases.html", context)


def _errors_text(errors: dict[str, Any]) -> HttpResponse:
    return HttpResponse(
        "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in errors.items()),
        status=400,
        content_type="text/plain; charset=utf-8",
    )
