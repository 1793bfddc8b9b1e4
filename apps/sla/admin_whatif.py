"""The SLA policies' "What-if" page in the admin: a proposal tried on a period's cases.

Upload a proposal file (its format: apps/sla/whatif.py), choose the period, and read the
figures beside today's. Nothing is written but the run's entry in the cache.

Where it runs depends on the installation (`whatif.runs_in_background`):

- With a shared cache and a Celery worker (production: CACHE_URL=redis://…), the page
  starts `apps.sla.tasks_whatif.run_whatif` and sends the admin to the run's page, which
  refreshes itself every few seconds with the progress until the figures are there.
- Otherwise (the demo's per-process local-memory cache, where a worker's progress could not
  be read by the web process, or Celery eager) it replays the period while the admin waits,
  up to `SYNC_MAX_CASES` cases; a longer period is refused with the command to run instead.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse

from . import whatif
from .models import SlaPolicy

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

SYNC_MAX_CASES = 2000  # a few seconds of replay while the admin waits
MAX_FILE_BYTES = 2 * 1024 * 1024
REFRESH_SECONDS = 3


class WhatIfForm(forms.Form):
    policy_file = forms.FileField(
        label="Proposed policy (JSON)",
        help_text="One policy as the API takes it, with the calendar inline; "
        "the format is described in apps/sla/whatif.py.",
    )
    first = forms.DateField(label="From", help_text="First day of the period (YYYY-MM-DD)")
    last = forms.DateField(label="To", help_text="Last day of the period, included")
    then_current = forms.BooleanField(
        required=False,
        label="Then today's policies",
        help_text="Try the proposal first, then today's active policies. Unchecked: the "
        "proposal replaces every policy (cases it does not match get no clocks).",
    )

    def clean_policy_file(self):
        upload = self.cleaned_data["policy_file"]
        if upload.size > MAX_FILE_BYTES:
            raise forms.ValidationError(f"At most {MAX_FILE_BYTES // 1024} KiB.")
        raw = upload.read()
        try:
            self.proposal = whatif.proposal_from_json(raw)
        except whatif.ProposalError as error:
            raise forms.ValidationError(
                [f"{name}: {text}" for name, text in error.errors]
            ) from None
        self.proposal_text = json.dumps(json.loads(raw))
        return upload

    def clean(self):
        cleaned = super().clean()
        first, last = cleaned.get("first"), cleaned.get("last")
        if first and last and last < first:
            self.add_error("last", "The period ends before it begins.")
        return cleaned


def _command(data: dict) -> str:
    flag = " --then-current" if data["then_current"] else ""
    return (
        f"manage.py sla_whatif --policy-file proposed.json --from {data['first']} "
        f"--to {data['last']}{flag}"
    )


def _context(model_admin: ModelAdmin, request: HttpRequest, **values) -> dict:
    return {
        **model_admin.admin_site.each_context(request),
        "opts": SlaPolicy._meta,
        "title": "SLA what-if",
        **values,
    }


def whatif_view(model_admin: ModelAdmin, request: HttpRequest) -> HttpResponse:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    form = WhatIfForm(request.POST or None, request.FILES or None)
    background = whatif.runs_in_background()
    context = _context(
        model_admin, request, form=form, background=background, sync_max=SYNC_MAX_CASES
    )
    if request.method != "POST" or not form.is_valid():
        return TemplateResponse(request, "admin/sla/whatif.html", context)
    data = form.cleaned_data
    if background:
        run_key = whatif.run_start(
            proposal_text=form.proposal_text,
            first=data["first"],
            last=data["last"],
            then_current=data["then_current"],
        )
        if run_key is not None:
            return HttpResponseRedirect(reverse("admin:sla_slapolicy_whatif_run", args=[run_key]))
        form.add_error(
            None, f"The job could not be queued (see the logs). The command: {_command(data)}"
        )
        return TemplateResponse(request, "admin/sla/whatif.html", context)
    start, end = whatif.period_of(data["first"], data["last"])
    total = whatif.period_cases(start, end).count()
    if total > SYNC_MAX_CASES:
        form.add_error(
            None,
            f"{total} cases were created in that period. Without a shared cache and a worker "
            f"this page replays at most {SYNC_MAX_CASES} while you wait; run "
            f"`{_command(data)}` on the server instead.",
        )
        return TemplateResponse(request, "admin/sla/whatif.html", context)
    report = whatif.whatif_period(
        form.proposal, start=start, end=end, then_current=data["then_current"]
    )
    context.update(
        rows=whatif.report_rows(report.as_dict()),
        name=form.proposal.policy.name,
        first=data["first"],
        last=data["last"],
        then_current=data["then_current"],
    )
    return TemplateResponse(request, "admin/sla/whatif.html", context)


def whatif_run_view(model_admin: ModelAdmin, request: HttpRequest, run_key: str) -> HttpResponse:
    if not model_admin.has_change_permission(request):
        raise PermissionDenied
    state = whatif.run_state(run_key)
    context = _context(model_admin, request, run=state, run_key=run_key)
    if state is None:
        return TemplateResponse(request, "admin/sla/whatif_run.html", context, status=404)
    if state["state"] == "done":
        context["rows"] = whatif.report_rows(state["report"])
    elif state["state"] in ("queued", "running"):
        context["refresh_seconds"] = REFRESH_SECONDS
        if state.get("total"):
            context["percent"] = round(100 * state["done"] / state["total"])
    return TemplateResponse(request, "admin/sla/whatif_run.html", context)
