"""The problem pages: list, detail (cases, events, progress, verdict), create and edit
forms; the case page's panel and the queue's "List under problem".

Stakeholders (apps/accounts/confinement.py) read their teams' problems only (list and
detail; every other view here is refused to them before it runs): the detail lists the
problem's cases without customer data — reference, channel, opened, status, root cause.

Who may do what is the services' (apps/problems/services.py) and the selectors' (who sees
which problem): a problem or case the user may not see is a 404, whatever the method; a
manager's action by an agent is a 403. Every POST is a plain form: PRG with a message, or the
page again with the refusal (4xx).
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.confinement import is_stakeholder
from apps.accounts.models import Team
from apps.api.filters import parse_id
from apps.cases import selectors as case_selectors
from apps.cases.models import Case
from apps.core.errors import DomainError
from apps.core.polling import poll_401_when_signed_out

from . import forms, selectors, services
from .models import Problem

PAGE_SIZE = 50
EVENTS_SHOWN = 50
MAX_BULK = 100


def _problem(request, problem_id: int) -> Problem:
    try:
        return selectors.problem_visible(user=request.user, problem_id=problem_id)
    except Problem.DoesNotExist:
        raise Http404("No such problem") from None


def _case(request, case_id: int) -> Case:
    try:
        return case_selectors.case_visible(case_id=case_id, user=request.user)
    except Case.DoesNotExist:
        raise Http404("No such case") from None


def _manager(request) -> None:
    if not selectors.can_manage(request.user):
        raise PermissionDenied("Only supervisors and admins manage problems.")


def _back(request, fallback: str) -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_safe
def problem_list(request):
    """The problems the user may see, filterable by status and owner team."""
    status = request.GET.get("status", "")
    status = status if status in Problem.Status.values else ""
    team_id = parse_id(request.GET.get("owner_team", ""))
    problems = selectors.problems_visible_to(
        user=request.user,
        status=status or None,
        owner_team_ids=[team_id] if team_id else None,
    )
    page = Paginator(problems, PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "page": page,
        "statuses": Problem.Status.choices,
        "status": status,
        "teams": (
            request.user.teams.order_by("name")
            if is_stakeholder(request.user)
            else Team.objects.order_by("name")
        ).values_list("pk", "name"),
        "owner_team": team_id,
        "can_manage": selectors.can_manage(request.user),
    }
    return render(request, "problems/list.html", context)


def _detail_context(request, problem: Problem, **extra) -> dict:
    # Stakeholders read every case of their team's problem, without customer data and
    # without the answer's failures (whose errors may quote an address); nothing to change.
    owners = is_stakeholder(request.user)
    cases = (
        selectors.problem_cases_for_owners(problem=problem)
        if owners
        else selectors.problem_cases(problem=problem, user=request.user)
    )
    page = Paginator(cases, PAGE_SIZE)
    can_manage = selectors.can_manage(request.user)
    context = {
        "problem": problem,
        "is_stakeholder": owners,
        "page": page.get_page(request.GET.get("page")),
        "events": list(selectors.problem_events(problem=problem)[:EVENTS_SHOWN]),
        "progress": selectors.answer_progress(problem=problem),
        "failures": [] if owners else selectors.answer_failures(problem=problem),
        "verdict": selectors.problem_verdict(problem=problem),
        "window_days": selectors.verdict_window_days(),
        "can_manage": can_manage,
        "transition_form": forms.TransitionForm(problem=problem) if can_manage else None,
        "answer_form": forms.AnswerForm(
            initial={"body": problem.answer_body or forms.DEFAULT_ANSWER}
        )
        if can_manage and problem.status in Problem.FIXED_STATUSES
        else None,
        "open_to_answer": selectors.open_cases_count(problem=problem)
        if problem.status in Problem.FIXED_STATUSES
        else 0,
    }
    context.update(extra)
    return context


@login_required
@require_safe
def problem_detail(request, problem_id: int):
    problem = _problem(request, problem_id)
    return render(request, "problems/detail.html", _detail_context(request, problem))


def _form_page(request, form, *, problem: Problem | None, status: int = 200):
    return render(request, "problems/form.html", {"form": form, "problem": problem}, status=status)


def _apply_errors(form, exc: DomainError) -> None:
    for name, errors in (exc.fields or {"__all__": [exc.message]}).items():
        for error in errors:
            form.add_error(name if name in form.fields else None, error)


@login_required
def problem_create(request):
    _manager(request)
    if request.method == "GET":
        return _form_page(request, forms.ProblemForm(), problem=None)
    if request.method != "POST":
        return _form_page(request, forms.ProblemForm(), problem=None, status=405)
    form = forms.ProblemForm(request.POST)
    if not form.is_valid():
        return _form_page(request, form, problem=None, status=400)
    try:
        problem = services.problem_create(actor=request.user, **form.cleaned_data)
    except DomainError as exc:
        _apply_errors(form, exc)
        return _form_page(request, form, problem=None, status=exc.status)
    messages.success(request, f"{problem.reference} created.")
    return redirect("problems:detail", problem.pk)


@login_required
def problem_edit(request, problem_id: int):
    problem = _problem(request, problem_id)
    _manager(request)
    initial = {
        "title": problem.title,
        "description": problem.description,
        "root_cause": problem.root_cause_id,
        "owner_team": problem.owner_team_id,
        "tracker_url": problem.tracker_url,
    }
    if request.method == "GET":
        return _form_page(request, forms.ProblemForm(initial=initial), problem=problem)
    if request.method != "POST":
        return _form_page(request, forms.ProblemForm(initial=initial), problem=problem, status=405)
    form = forms.ProblemForm(request.POST, initial=initial)
    if not form.is_valid():
        return _form_page(request, form, problem=problem, status=400)
    data = form.cleaned_data
    try:
        services.problem_update(
            problem_id=problem.pk,
            actor=request.user,
            title=data["title"],
            description=data["description"],
            root_cause=data["root_cause"],
            owner_team=data["owner_team"],
            tracker_url=data["tracker_url"],
        )
    except DomainError as exc:
        _apply_errors(form, exc)
        return _form_page(request, form, problem=problem, status=exc.status)
    messages.success(request, "Saved.")
    return redirect("problems:detail", problem.pk)


@login_required
@require_POST
def problem_status(request, problem_id: int):
    problem = _problem(request, problem_id)
    _manager(request)
    form = forms.TransitionForm(request.POST, problem=problem)
    status = 400
    if form.is_valid():
        try:
            services.problem_transition(
                problem_id=problem.pk,
                to=form.cleaned_data["to"],
                fix_date=form.cleaned_data["fix_date"],
                actor=request.user,
            )
        except DomainError as exc:
            _apply_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, "Status changed.")
            return redirect("problems:detail", problem.pk)
    context = _detail_context(request, problem, transition_form=form)
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_POST
def problem_answer(request, problem_id: int):
    problem = _problem(request, problem_id)
    _manager(request)
    form = forms.AnswerForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            count = services.answer_together_start(
                problem_id=problem.pk, body=form.cleaned_data["body"], actor=request.user
            )
        except DomainError as exc:
            _apply_errors(form, exc)
            status = exc.status
        else:
            messages.success(request, f"Answering {count} case{'s' if count != 1 else ''}.")
            return redirect("problems:detail", problem.pk)
    problem.refresh_from_db()
    context = _detail_context(request, problem, answer_form=form)
    return render(request, "problems/detail.html", context, status=status)


@login_required
@require_POST
def problem_answer_retry(request, problem_id: int):
    problem = _problem(request, problem_id)
    _manager(request)
    count = services.answer_retry_failed(problem_id=problem.pk, actor=request.user)
    messages.info(request, f"Trying {count} case{'s' if count != 1 else ''} again.")
    return redirect("problems:detail", problem.pk)


@poll_401_when_signed_out
@login_required
@require_safe
def problem_progress(request, problem_id: int):
    """The answer-together counts, polled by the detail page while a run goes on."""
    problem = _problem(request, problem_id)
    context = {
        "problem": problem,
        "progress": selectors.answer_progress(problem=problem),
        "failures": selectors.answer_failures(problem=problem),
    }
    return render(request, "problems/_progress.html", context)


@login_required
@require_POST
def problem_unlink(request, problem_id: int, case_id: int):
    problem = _problem(request, problem_id)
    case = _case(request, case_id)
    if services.problem_unlink_case(problem_id=problem.pk, case_id=case.pk, actor=request.user):
        messages.success(request, f"{case.reference} taken off {problem.reference}.")
    else:
        messages.info(request, f"{case.reference} was not listed under {problem.reference}.")
    return redirect(_back(request, reverse("problems:detail", args=[problem.pk])))


# --- the case page's panel ----------------------------------------------------------------


@poll_401_when_signed_out
@login_required
@require_safe
def case_panel(request, case_id: int):
    """The case's problems and a picker to list it under one: loaded by the case page once
    it is shown (htmx), so the page itself costs no query for it; a page of its own without
    JavaScript."""
    case = _case(request, case_id)
    linked = selectors.problems_of_case(case=case, user=request.user)
    linked_ids = {p.pk for p in linked}
    context = {
        "case": case,
        "problems": linked,
        "choices": [
            p for p in selectors.problems_to_link(user=request.user) if p.pk not in linked_ids
        ],
    }
    template = "problems/_case_panel.html" if request.htmx else "problems/case_panel.html"
    return render(request, template, context)


@login_required
@require_POST
def case_link(request, case_id: int):
    case = _case(request, case_id)
    form = forms.LinkForm(request.POST)
    back = reverse("case-detail", args=[case.pk])
    if not form.is_valid():
        messages.error(request, "Choose a problem.")
        return redirect(back)
    problem = _problem(request, form.cleaned_data["problem"])
    if services.problem_link_cases(problem_id=problem.pk, case_ids=[case.pk], actor=request.user):
        messages.success(request, f"{case.reference} listed under {problem.reference}.")
    else:
        messages.info(request, f"{case.reference} was listed under {problem.reference} already.")
    return redirect(back)


# --- the queue's bulk action --------------------------------------------------------------


@login_required
@require_POST
def bulk_link(request):
    """ "List under problem" on the queue's selected cases (the queue's bulk form posts here):
    without a problem chosen, a page to choose it (the queue page loads no problem); with
    one, each case listed once. A case the user may not see refuses the whole request."""
    ids = [parse_id(v) for v in request.POST.getlist("case")]
    back = _back(request, reverse("home"))
    if not ids or None in ids or len(ids) > MAX_BULK:
        messages.error(request, f"Select between 1 and {MAX_BULK} cases.")
        return render(request, "problems/bulk_refused.html", {"next": back}, status=400)
    ids = list(dict.fromkeys(ids))
    cases = list(Case.objects.visible_to(request.user).filter(pk__in=ids).order_by("pk"))
    if len(cases) != len(ids):
        raise Http404("No such case")
    problem_id = parse_id(request.POST.get("problem", ""))
    if problem_id is None:
        context = {
            "cases": cases,
            "choices": selectors.problems_to_link(user=request.user),
            "next": back,
        }
        return render(request, "problems/bulk_pick.html", context)
    problem = _problem(request, problem_id)
    linked = services.problem_link_cases(problem_id=problem.pk, case_ids=ids, actor=request.user)
    messages.success(
        request,
        f"{len(linked)} case{'s' if len(linked) != 1 else ''} listed under {problem.reference}"
        + (f" ({len(ids) - len(linked)} already were)" if len(linked) < len(ids) else "")
        + ".",
    )
    return redirect(back)
