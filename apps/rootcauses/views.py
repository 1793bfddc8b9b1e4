"""The root-cause pages.

/root-causes/spikes/: what owner teams are told of, for anyone signed in (the taxonomy is no
secret, and a spike names no customer). A small page around one partial,
templates/rootcauses/_spikes.html, that other pages (the root-cause dashboard) include with
their own `spikes`.

/root-causes/candidates/: the candidate new root causes the user may see (every case of
each visible to them), with the decisions as plain POST forms (POST-redirect-GET, a message
on the page; no JavaScript needed): accept as a new node (admins), merge into a node or
dismiss (supervisors and admins).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.models import AgentProfile, Team, role_of
from apps.core.errors import DomainError

from . import selectors, services
from .models import RootCause, RootCauseSpike

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
    role = role_of(user)
    if action == "accept":
        return role == AgentProfile.Role.ADMIN
    return role in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN)


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
    if action not in ("accept", "merge", "dismiss"):
        raise Http404
    candidate = selectors.candidates_visible_to(request.user).filter(pk=candidate_id).first()
    if candidate is None:
        raise Http404
    if not _may_decide(request.user, action):
        raise PermissionDenied
    try:
        text = _decide(request, candidate.pk, action)
    except DomainError as error:
        messages.error(request, f"Not done: {error}")
    else:
        messages.success(request, text)
    return redirect("rootcauses:candidates")


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
