"""The supervisor console's pages: the live monitor, the wallboard and the workload.

Supervisors see their teams (one of them with `?team=<id>`), admins every team; agents and
anyone else get 403. The monitor and the wallboard poll their own URL with htmx every few
seconds and get back only the part that changes (`request.htmx`); with JavaScript off the
page is whole and a link reloads it. The in-place actions — reassign, change priority — go
through the case services (audited, announced), only on cases of the scope's teams (404 for
another team's), and answer with the refreshed monitor (htmx) or a redirect back.
"""

import csv
from datetime import timedelta

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts import services as account_services
from apps.cases import services as case_services
from apps.cases.models import Case, Channel
from apps.core import spreadsheet
from apps.core.errors import DomainError
from apps.core.polling import poll_401_when_signed_out

from . import reports, selectors

MONITOR_POLL_SECONDS = 5
WALLBOARD_POLL_SECONDS = 10


def _scope(request, source: dict | None = None) -> selectors.ConsoleScope:
    raw = (source if source is not None else request.GET).get("team", "")
    team_id: int | None = None
    if raw:
        try:
            team_id = int(raw)
        except ValueError:
            raise Http404("no such team") from None
    try:
        return selectors.ConsoleScope.of(request.user, team_id=team_id)
    except selectors.NotAllowed as exc:
        if team_id is not None and "team" in str(exc):
            raise Http404("no such team") from None
        raise PermissionDenied(str(exc)) from None


def _monitor_context(scope: selectors.ConsoleScope) -> dict:
    return {
        "scope": scope,
        "monitor": selectors.monitor(scope),
        "priorities": Case.Priority.choices,
        "poll_seconds": MONITOR_POLL_SECONDS,
    }


@poll_401_when_signed_out
@login_required
@require_safe
def monitor_page(request) -> HttpResponse:
    """The live SLA monitor; an htmx poll gets the monitor part alone."""
    scope = _scope(request)
    template = "console/_monitor.html" if request.htmx else "console/monitor.html"
    return render(request, template, _monitor_context(scope))


@poll_401_when_signed_out
@login_required
@require_safe
def wallboard_page(request) -> HttpResponse:
    """The monitor for a wall TV: large figures, no controls, refreshing itself."""
    scope = _scope(request)
    context = {
        "scope": scope,
        "monitor": selectors.monitor(scope),
        "poll_seconds": WALLBOARD_POLL_SECONDS,
    }
    template = "console/_wallboard.html" if request.htmx else "console/wallboard.html"
    return render(request, template, context)


@login_required
@require_safe
def workload_page(request) -> HttpResponse:
    scope = _scope(request)
    context = {"scope": scope, "workload": selectors.workload(scope)}
    return render(request, "console/workload.html", context)


def _back(request, scope: selectors.ConsoleScope, name: str) -> HttpResponse:
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = reverse(name)
        if scope.team_id is not None:
            target += f"?team={scope.team_id}"
    return redirect(target)


def _after_action(request, scope: selectors.ConsoleScope, error: str = ""):
    if request.htmx:
        context = _monitor_context(scope)
        context["action_error"] = error
        return render(request, "console/_monitor.html", context, status=400 if error else 200)
    if error:
        messages.error(request, error)
    return _back(request, scope, "console:monitor")


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def case_assign(request, case_id: int) -> HttpResponse:
    """Reassign a case of the scope's teams to a member of its team (empty: unassign).
    GET: the form (in the row, by htmx; a page of its own without JavaScript)."""
    scope = _scope(request, request.POST if request.method == "POST" else request.GET)
    case = selectors.can_act_on(scope, case_id)
    if case is None:
        raise Http404("no such case in your teams")
    if request.method != "POST":
        monitor = reverse("console:monitor")
        context = {
            "scope": scope,
            "case": case,
            "members": selectors.reassign_choices(case),
            "next": f"{monitor}?team={scope.team_id}" if scope.team_id else monitor,
        }
        template = "console/_assign_form.html" if request.htmx else "console/assign.html"
        return render(request, template, context)
    raw = request.POST.get("assignee", "")
    allowed = {pk for pk, _ in selectors.reassign_choices(case)}
    try:
        assignee_id = int(raw) if raw else None
    except ValueError:
        assignee_id = -1
    if assignee_id is not None and assignee_id not in allowed:
        return _after_action(
            request, scope, f"{case.reference}: choose a member of team {case.team or '—'}"
        )
    assignee = get_user_model().objects.get(pk=assignee_id) if assignee_id else None
    try:
        case_services.case_assign(case_id=case.pk, assignee=assignee, actor=request.user)
    except DomainError as exc:
        return _after_action(request, scope, f"{case.reference}: {exc.message}")
    if not request.htmx:
        who = assignee.get_username() if assignee else "nobody"
        messages.success(request, f"{case.reference} assigned to {who}.")
    return _after_action(request, scope)


@login_required
@require_POST
def case_priority(request, case_id: int) -> HttpResponse:
    """Change the priority of a case of the scope's teams."""
    scope = _scope(request, request.POST)
    case = selectors.can_act_on(scope, case_id)
    if case is None:
        raise Http404("no such case in your teams")
    priority = request.POST.get("priority", "")
    try:
        case_services.case_set_priority(case_id=case.pk, priority=priority, actor=request.user)
    except DomainError as exc:
        return _after_action(request, scope, f"{case.reference}: {exc.message}")
    if not request.htmx:
        messages.success(request, f"{case.reference} is now {priority} priority.")
    return _after_action(request, scope)


@login_required
@require_POST
def agent_capacity(request, user_id: int) -> HttpResponse:
    """Set an agent's capacity (most open cases); the agent must be in the scope's teams."""
    scope = _scope(request, request.POST)
    agent = get_user_model().objects.filter(pk=user_id, teams__in=scope.team_ids).first()
    if agent is None:
        raise Http404("no such agent in your teams")
    raw = request.POST.get("max_open_cases", "").strip()
    try:
        capacity = int(raw) if raw else None
        account_services.agent_set_capacity(user=agent, max_open_cases=capacity)
    except ValueError:
        messages.error(request, "A capacity is a whole number of open cases, or empty.")
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Capacity of {agent.get_username()} saved.")
    return _back(request, scope, "console:workload")


def _report_input(request, scope: selectors.ConsoleScope) -> "reports.ReportInput":
    data = reports.ReportInput(
        data={k: v for k, v in request.GET.items() if v != ""}, context={"user": request.user}
    )
    data.is_valid()
    return data


def _report(data: "reports.ReportInput", user) -> dict | None:
    if data.errors:
        return None
    valid = data.validated_data
    period = valid["period"]
    return reports.center_report(
        user=user,
        start=period.start,
        end=period.end,
        filters=reports.Filters(
            team_id=valid.get("team"), channel=valid.get("channel"), priority=valid.get("priority")
        ),
    )


@login_required
@require_safe
def reports_page(request):
    """The period's report beside the period before it, with its CSV."""
    scope = _scope(request, {})  # the team is a report filter here, validated by the input
    data = _report_input(request, scope)
    report = _report(data, request.user)
    zone = timezone.get_default_timezone()
    period = report["period"] if report else None
    context = {
        "scope": scope,
        "report": report,
        "attainment": reports.attainment_rows(report) if report else [],
        "volume_chart": reports.volume_chart(report) if report else None,
        "times": reports.time_rows(report) if report else [],
        "times_business_chart": reports.times_chart(report, "business") if report else None,
        "times_calendar_chart": reports.times_chart(report, "calendar") if report else None,
        "attainment_chart": reports.attainment_chart(report) if report else None,
        "errors": data.errors,
        "from_value": request.GET.get("from")
        or (period and period["from"].astimezone(zone).date().isoformat()),
        "to_value": request.GET.get("to")
        or (
            period
            and (period["to"].astimezone(zone) - timedelta(microseconds=1)).date().isoformat()
        ),
        "team_value": request.GET.get("team", ""),
        "channel_value": request.GET.get("channel", ""),
        "priority_value": request.GET.get("priority", ""),
        "channels": Channel.choices,
        "priorities": Case.Priority.choices,
        "csv_query": request.GET.urlencode(),
        "period_days": round((period["to"] - period["from"]) / timedelta(days=1)) if period else 0,
    }
    return render(request, "console/reports.html", context, status=400 if data.errors else 200)


@login_required
@require_safe
def reports_csv(request):
    """Every table of the report as rows of one CSV: section, key, figure, this period,
    the previous period."""
    scope = _scope(request, {})
    data = _report_input(request, scope)
    report = _report(data, request.user)
    if report is None:
        return HttpResponse(
            "; ".join(f"{k}: {' '.join(map(str, v))}" for k, v in data.errors.items()),
            status=400,
            content_type="text/plain",
        )
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="cxdesk-report.csv"'
    writer = csv.writer(response)
    writer.writerow(["section", "key", "figure", "period", "previous_period"])
    for row in reports.csv_rows(report):
        writer.writerow([spreadsheet.cell(value) for value in row])
    return response
