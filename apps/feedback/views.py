"""Feedback pages: the customer's survey page and opt-out (public, signed links, no login),
and the supervisors' follow-up list, at-risk list and figures."""

import csv
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme, urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe
from rest_framework import serializers

from apps.accounts.models import AgentProfile, role_of
from apps.cases import selectors as case_selectors
from apps.cases.models import Case
from apps.core import spreadsheet
from apps.core.polling import poll_401_when_signed_out
from apps.sla.serializers import PeriodBoundField

from . import links, selectors, services
from .models import FollowUp, Survey

State = Survey.State


def _survey_or_error(request, token: str) -> Survey:
    try:
        survey = services.survey_for_token(token)
    except Survey.DoesNotExist:
        raise Http404("no such survey") from None
    if survey.state not in (State.SENT, State.ANSWERED):
        raise Http404("no such survey")
    return survey


def _bad_link(request):
    return render(request, "feedback/survey.html", {"bad_link": True}, status=400)


def _preselected(survey: Survey, value: str | None) -> int | None:
    if value in ("good", "bad") and survey.scale == Survey.Scale.GOOD_BAD:
        return 1 if value == "good" else 0
    if value and value.isdigit() and survey.scale in (Survey.Scale.FIVE, Survey.Scale.NPS):
        number = int(value)
        low, high = (0, 10) if survey.scale == Survey.Scale.NPS else (1, 5)
        return number if low <= number <= high else None
    return None


@require_http_methods(["GET", "HEAD", "POST"])
def survey_page(request, token: str):
    """GET shows the question (a rating chosen in the message's link is preselected, never
    recorded: mail scanners open links); POST records the answer and shows it. An answered
    survey shows the answer, with its comment editable for the edit window; an expired one
    says so."""
    try:
        survey = _survey_or_error(request, token)
    except links.BadLink:
        return _bad_link(request)
    context = {
        "survey": survey,
        "token": token,
        "choices": services.rating_choices(survey),
        "ces": settings.CXDESK_CES_ENABLED and survey.kind == Survey.Kind.CSAT,
        "nps": survey.kind == Survey.Kind.NPS,
        "effort_choices": range(1, 8),
        "case": survey.case,
    }
    status = 200
    if request.method == "POST":
        try:
            survey = services.survey_answer(
                survey_id=survey.pk,
                rating=request.POST.get("rating"),
                effort=request.POST.get("effort") if context["ces"] else None,
                comment=request.POST.get("comment", ""),
            )
        except services.InvalidAnswer as exc:
            context["errors"] = exc.fields or {}
            context["posted"] = request.POST
            status = 400
        except services.SurveyClosed as exc:
            survey.refresh_from_db()
            context["closed_message"] = str(exc)
            status = 409
        else:
            return redirect(f"{request.path}?thanks=1")
    context["survey"] = survey
    context["expired"] = survey.state == State.SENT and services.survey_is_expired(survey)
    context["editable_until"] = services.comment_editable_until(survey)
    context["editable"] = selectors.comment_editable(survey)
    context["thanks"] = request.GET.get("thanks") == "1" and survey.state == State.ANSWERED
    context["preselected"] = _preselected(survey, request.GET.get("rating"))
    if context["expired"]:
        status = 410
    return render(request, "feedback/survey.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
def opt_out_page(request, token: str):
    """GET asks to confirm (scanners open links: a GET changes nothing); POST opts out."""
    try:
        survey = _survey_or_error(request, token)
    except links.BadLink:
        return _bad_link(request)
    done = selectors.opted_out(survey.contact_id)
    if request.method == "POST" and not done:
        services.survey_opt_out(survey_id=survey.pk)
        done = True
    return render(request, "feedback/opt_out.html", {"survey": survey, "done": done})


def _require_supervisor(user) -> None:
    if role_of(user) not in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN):
        raise PermissionDenied("only supervisors and admins handle feedback follow-ups")


@login_required
@require_safe
def follow_ups_page(request):
    """The follow-ups of the user's teams (all for admins): open first, then the rest."""
    _require_supervisor(request.user)
    state = request.GET.get("state", "open")
    if state not in {"open", "contacted", "resolved", "all"}:
        state = "open"
    rows = selectors.follow_ups_for(user=request.user, state=None if state == "all" else state)
    try:
        page, next_cursor = selectors.follow_ups_page(rows, after=request.GET.get("after", ""))
    except selectors.BadCursor:
        return HttpResponseBadRequest(
            "That page link is not one of ours; start from the first page."
        )
    counts = selectors.follow_up_counts(user=request.user)
    context = {
        "follow_ups": page,
        "next_cursor": next_cursor,
        "paged": bool(request.GET.get("after")),
        "state": state,
        "states": [
            (value, label, counts.get(value))
            for value, label in [*FollowUp.State.choices, ("all", "All")]
        ],
    }
    return render(request, "feedback/follow_ups.html", context)


@login_required
@require_POST
def follow_up_advance(request, follow_up_id: int):
    _require_supervisor(request.user)
    follow_up = get_object_or_404(selectors.follow_ups_for(user=request.user), pk=follow_up_id)
    try:
        services.follow_up_advance(
            follow_up_id=follow_up.pk,
            to=request.POST.get("to", ""),
            actor=request.user,
            note=request.POST.get("note", "")[:2000],
        )
    except services.InvalidFollowUpState as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Follow-up updated.")
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("feedback:follow-ups")
    return redirect(target)


@login_required
@require_safe
def at_risk_page(request):
    """The customers the supervisor's teams serve whose at-risk score reaches the threshold,
    highest first, each with the reasons that make it up."""
    _require_supervisor(request.user)
    context = {
        "customers": selectors.at_risk_customers(user=request.user),
        "threshold": settings.CXDESK_RISK_THRESHOLD,
    }
    return render(request, "feedback/at_risk.html", context)


@poll_401_when_signed_out
@login_required
@require_safe
def case_panel(request, case_id: int):
    """The case page's feedback panel — this case's survey, the customer's ratings and risk,
    open follow-ups — loaded once the page is shown (htmx), so the page costs no query for
    it; a page of its own without JavaScript. 404 for a case the user may not see."""
    try:
        case = case_selectors.case_visible(case_id=case_id, user=request.user)
    except Case.DoesNotExist:
        raise Http404("No such case") from None
    context = {
        "case": case,
        "feedback": selectors.customer_feedback(
            contact_id=case.requester_id, user=request.user, case_id=case.pk
        ),
    }
    template = "feedback/_customer_feedback.html" if request.htmx else "feedback/case_panel.html"
    return render(request, template, context)


# --- the figures page -----------------------------------------------------------------------

COMMENTS_PAGE = 25
FIGURES_DAYS = 90  # the default period: long enough for a weekly NPS and CES trend


class FiguresPageInput(serializers.Serializer):
    from_ = PeriodBoundField(end=False, required=False)
    to = PeriodBoundField(end=True, required=False)
    by = serializers.ChoiceField(choices=selectors.TREND_PERIODS, required=False, default="week")
    q = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - timedelta(days=FIGURES_DAYS)
        if start > end:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


FiguresPageInput._declared_fields["from"] = FiguresPageInput._declared_fields.pop("from_")


def _chart(table, measure: str, label: str, y: dict) -> dict:
    """A spec for static/cxdesk/charts.js: one line over the table's rows."""
    return {
        "type": "line",
        "labels": [name for name, _ in table.rows],
        "datasets": [{"label": label, "data": [getattr(row, measure) for _, row in table.rows]}],
        "y": y,
    }


def _percent(value) -> str:
    return "" if value is None else f"{value}"


def _csv_rows(table, kind: str):
    if kind == "nps":
        yield [
            table.dimension,
            "Sent",
            "Responses",
            "Promoters",
            "Passives",
            "Detractors",
            "NPS",
            "Response rate %",
        ]
        for label, row in table.rows:
            yield [
                label,
                row.sent,
                row.responses,
                row.promoters,
                row.passives,
                row.detractors,
                _percent(row.nps),
                _percent(row.response_rate),
            ]
    elif kind == "ces":
        yield [table.dimension, "Responses", "Mean effort (1-7)"]
        for label, row in table.rows:
            effort = "" if row.effort is None else round(row.effort, 2)
            yield [label, row.responses, effort]
    else:
        yield [table.dimension, "Sent", "Responses", "Satisfied", "CSAT %", "Response rate %"]
        for label, row in table.rows:
            yield [
                label,
                row.sent,
                row.responses,
                row.satisfied,
                _percent(row.csat),
                _percent(row.response_rate),
            ]


def _csv_response(name: str) -> tuple[HttpResponse, Any]:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="feedback-{name}.csv"'
    return response, csv.writer(response)


@login_required
@require_safe
def figures_page(request):
    """CSAT and response rate per team, agent, channel, priority, root cause and period; NPS
    and CES trends; the comments, searchable — over the surveys of the supervisor's teams
    (an admin's: all) sent in the period. Each table as CSV with `?export=<table>`."""
    _require_supervisor(request.user)
    params = {
        k: v for k, v in request.GET.dict().items() if v.strip() and k in {"from", "to", "by", "q"}
    }
    data = FiguresPageInput(data=params)
    if not data.is_valid():
        return render(
            request, "feedback/figures.html", {"errors": data.errors, "query": params}, status=400
        )
    d = data.validated_data
    start, end, by, search = d["from"], d["to"], d["by"], d["q"].strip()
    export = request.GET.get("export", "")
    if export == "comments":
        response, writer = _csv_response("comments")
        writer.writerow(
            [
                "Answered",
                "Survey",
                "Rating",
                "Satisfied",
                "Effort",
                "Case",
                "Team",
                "Agent",
                "Channel",
                "Comment",
            ]
        )
        rows = selectors.comments_for(user=request.user, search=search).filter(
            sent_at__gte=start, sent_at__lt=end
        )
        for s in rows.iterator(chunk_size=500):
            writer.writerow(
                [
                    spreadsheet.cell(v)
                    for v in (
                        s.answered_at.isoformat(),
                        s.kind,
                        s.rating,
                        s.satisfied,
                        s.effort,
                        s.case.reference if s.case else "",
                        s.team.name if s.team else "",
                        s.agent.get_username() if s.agent else "",
                        s.channel,
                        s.comment,
                    )
                ]
            )
        return response
    figures = selectors.figures_page(user=request.user, start=start, end=end, by=by)
    if export:
        table = figures.table(export)
        if table is None:
            raise Http404("no such table")
        kind = export if export in ("nps", "ces") else "csat"
        response, writer = _csv_response(export)
        for line in _csv_rows(table, kind):
            writer.writerow([spreadsheet.cell(v) for v in line])
        return response
    comments = Paginator(
        selectors.comments_for(user=request.user, search=search).filter(
            sent_at__gte=start, sent_at__lt=end
        ),
        COMMENTS_PAGE,
    ).get_page(request.GET.get("page"))
    zone = timezone.get_current_timezone()
    query = {
        "from": start.astimezone(zone).date().isoformat(),
        "to": (end.astimezone(zone) - timedelta(microseconds=1)).date().isoformat(),
        "by": by,
        "q": search,
    }
    context = {
        "figures": figures,
        "comments": comments,
        "query": query,
        "base_query": urlencode({k: v for k, v in query.items() if k != "q"}),
        "search": search,
        "is_admin": role_of(request.user) == AgentProfile.Role.ADMIN,
        "charts": {
            "csat": _chart(
                figures.table("period"), "csat", "CSAT %", {"min": 0, "max": 100, "label": "%"}
            ),
            "nps": _chart(
                figures.nps_trend, "nps", "NPS", {"min": -100, "max": 100, "label": "NPS"}
            ),
            "ces": _chart(
                figures.ces_trend,
                "effort",
                "Mean effort",
                {"min": 1, "max": 7, "label": "1 very hard – 7 very easy"},
            ),
        },
    }
    return render(request, "feedback/figures.html", context)
