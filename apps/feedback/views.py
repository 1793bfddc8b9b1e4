"""Feedback pages: the customer's survey page and opt-out (public, signed links, no login),
and the supervisors' follow-up list."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from apps.accounts.models import AgentProfile, role_of
from apps.cases import selectors as case_selectors
from apps.cases.models import Case
from apps.core.polling import poll_401_when_signed_out

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
    counts = selectors.follow_up_counts(user=request.user)
    context = {
        "follow_ups": rows[: selectors.FOLLOW_UP_PAGE],
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
