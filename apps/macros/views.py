"""The composer's macro and draft endpoints (the case page itself: apps/cases/views.py).

- `case_macro_apply` (POST /cases/<id>/compose/macro/): the composer as posted, with the
  chosen macro's body filled in for the case and added to what was typed, its kind chosen,
  its id in the form and what it will change listed. Nothing changes on the case until the
  message is sent (apps/cases/views.case_compose applies the actions then). With htmx the
  answer is the composer; without JavaScript the whole page (the Apply button's formaction).
- `case_draft_save` (POST /cases/<id>/compose/draft/): the autosave, answering with the
  "Draft saved 12:03" status (413 over the size limit, 204 from a composer sent since).

Both 404 for a case the user may not see (`case_view`); a macro they may not use is a 404.
"""

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from apps.cases import forms as case_forms
from apps.cases.models import Case
from apps.cases.views import _page_context, case_view  # the case page's one context

from . import selectors, services
from .forms import DraftForm, MacroPickForm
from .models import Macro

DRAFT_STATUS = "macros/draft_status.html"


@case_view("POST")
def case_macro_apply(request, case: Case):
    template = "cases/case/composer.html" if request.htmx else "cases/case_detail.html"
    pick = MacroPickForm(request.POST)
    if not pick.is_valid():
        compose = case_forms.ComposeForm(case=case, initial=_posted(request.POST))
        compose.fields["body"].widget.attrs["autofocus"] = True
        context = _page_context(
            request, case.pk, compose=compose, macro_error="Choose a macro first."
        )
        return render(request, template, context, status=400)
    try:
        macro = selectors.macro_visible(user=request.user, macro_id=pick.cleaned_data["macro_pick"])
    except Macro.DoesNotExist:
        raise Http404("No such macro") from None
    rendered = selectors.macro_render(
        macro=macro, case=selectors.case_for_placeholders(case_id=case.pk), agent=request.user
    )
    initial = _posted(request.POST)
    typed = initial.get("body", "")
    initial["body"] = f"{typed.rstrip()}\n\n{rendered.text}" if typed.strip() else rendered.text
    initial["macro"] = macro.pk
    kind = initial["kind"] = macro.kind or initial.get("kind") or "reply"
    if kind == case_forms.ComposeForm.NOTE:
        initial["then_status"] = ""
    elif selectors.status_in_form(macro=macro, kind=kind):
        initial["then_status"] = macro.set_status
    compose = case_forms.ComposeForm(case=case, initial=initial)
    compose.fields["body"].widget.attrs["autofocus"] = True
    warnings = [
        f"{token} is not a placeholder: it is left as written." for token in rendered.unknown
    ]
    warnings += [
        f"{token} has no value on this case: it is left empty." for token in rendered.empty
    ]
    try:  # applied and reloaded before any typing: the draft keeps the macro staged
        draft = services.draft_save(
            agent=request.user,
            case_id=case.pk,
            body=initial["body"],
            kind=kind,
            channel=initial.get("channel", ""),
            macro_id=macro.pk,
        )
    except services.DraftTooLarge as exc:
        draft, warnings = None, [*warnings, exc.message]
    context = _page_context(request, case.pk, compose=compose, draft=draft, macro_warnings=warnings)
    return render(request, template, context)


def _posted(data) -> dict:
    """The composer's fields as posted, as a form's initial values (nothing typed is lost)."""
    initial = {
        name: data[name]
        for name in ("body", "kind", "channel", "then_status", "last_seen")
        if data.get(name)
    }
    return initial


@case_view("POST")
def case_draft_save(request, case: Case):
    form = DraftForm(request.POST)
    if not form.is_valid():
        error = " ".join(str(m) for errors in form.errors.values() for m in errors)
        return render(request, DRAFT_STATUS, {"error": f"Draft not saved: {error}"}, status=400)
    data = form.cleaned_data
    try:
        draft = services.draft_save(
            agent=request.user,
            case_id=case.pk,
            body=data["body"],
            kind=data["kind"],
            channel=data["channel"],
            macro_id=data["macro"],
            last_seen=data["last_seen"],
        )
    except services.DraftOutdated:
        return HttpResponse(status=204)
    except services.DraftTooLarge as exc:
        return render(request, DRAFT_STATUS, {"error": exc.message}, status=exc.status)
    if not request.htmx:
        messages.success(request, "Draft saved." if draft else "Draft discarded.")
        return redirect("case-detail", case.pk)
    return render(request, DRAFT_STATUS, {"draft": draft})
