from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_safe
from django_htmx.http import HttpResponseClientRedirect

from apps.core.errors import DomainError
from apps.core.ids import MAX_DB_ID
from apps.macros import selectors as macro_selectors
from apps.macros import services as macro_services
from apps.macros.models import Macro

from . import downloads, forms, queue_nav, selectors, services
from .models import Attachment, Case
from .templatetags import case_page as case_page_tags

CONTACT_CASES_PAGE_SIZE = 50  # a contact's cases: the count is of one person's cases


# --- the case page: the agent's workspace ------------------------------------------------
#
# GET renders the whole page. Every action POSTs a plain form: without JavaScript it answers
# with a redirect back to the page (POST-redirect-GET, the outcome in a message) or, when the
# input or the service refused it, with the page again (4xx) showing why and keeping what was
# typed. With htmx (request.htmx) it answers with the part of the page that changed: the
# header for a field (templates/cases/case/header.html), the header, timeline and composer
# for a reply or note (workspace.html). Writes go through apps/cases/services; their domain
# errors (apps/core/errors.py) become the message beside the form, never a 500.


def _visible_case(request, case_id: int) -> Case:
    try:
        return selectors.case_visible(case_id=case_id, user=request.user)
    except Case.DoesNotExist:
        raise Http404("No such case") from None


def _detailed_case(request, case_id: int) -> Case:
    try:
        return selectors.case_detail(case_id=case_id, user=request.user)
    except Case.DoesNotExist:
        raise Http404("No such case") from None


def case_view(*methods: str, read=_visible_case):
    """A case page view: signed in, the case visible to the user (else 404, whatever the
    method: another team's case is never told apart from a missing one), then the method.
    `read(request, case_id)` reads the case: the bare row, or (the page) with its timeline."""

    def decorate(view):
        @login_required
        @wraps(view)
        def wrapper(request, case_id: int, *args, **kwargs):
            case = read(request, case_id)
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, case, *args, **kwargs)

        return wrapper

    return decorate


def _page_context(request, case_id: int, *, detailed: Case | None = None, **extra) -> dict:
    """Everything the case page shows, in a number of queries independent of its length.
    `detailed`: the case as selectors.case_detail read it already (else read here)."""
    from apps.chat.selectors import email_claims_on  # the chat channel's part of the page
    from apps.chat.views_console import live_chat_parts
    from apps.contacts.selectors import contact_merge_allowed
    from apps.rootcauses.selectors import case_suggestions
    from apps.sla.selectors import case_sla_state

    case = detailed or _detailed_case(request, case_id)
    interactions = list(case.interactions.all())
    last_seen = interactions[-1].pk if interactions else 0
    composer = macro_selectors.composer_state(user=request.user, case=case)
    timeline = selectors.timeline_entries(interactions)
    sla = case_sla_state(case)
    field_forms = {
        name: form_class(case=case, user=request.user, initial=_field_initial(case, name))
        for name, form_class in forms.FIELD_FORMS.items()
    }
    context = {
        "case": case,
        "timeline": timeline,
        "last_seen": last_seen,
        "sla_policy": sla["policy"],
        "sla_clocks": _sla_badges(sla),
        "field_forms": field_forms,
        "field_errors": {},
        "compose": forms.ComposeForm(
            case=case, initial={"last_seen": last_seen, **_draft_initial(composer)}
        ),
        "macros": composer.macros,
        "draft": composer.draft,
        "stale": [],
        "requester": selectors.requester_summary(case=case, user=request.user),
        "email_claims": email_claims_on(case=case),
        # Confirming a claim another contact owns merges two contacts: supervisors, admins.
        "can_merge_contacts": contact_merge_allowed(user=request.user),
        "statuses_allowed": sorted(Case.ALLOWED_TRANSITIONS[case.status]),
        "links": selectors.case_links(case=case),
        # A chat under way: its messages live and a chat box (apps/chat/views_console.py).
        **live_chat_parts(case=case, timeline=timeline, interactions=interactions),
        # One-click choices while the case has no root cause (apps/rootcauses).
        "root_cause_suggestions": [] if case.root_cause_id else list(case_suggestions(case=case)),
    }
    context.update(extra)
    # Keyboard focus after an htmx swap (htmx focuses the new content's [autofocus]), or on
    # a page shown again after a refusal: where the agent has to look or type next.
    compose = context["compose"]
    if "staged" not in context:  # the macro the composer carries, from its data or draft
        context["staged"] = macro_selectors.staged(
            macros=composer.macros, macro_id=compose["macro"].value(), kind=compose["kind"].value()
        )
    if compose.errors or context["stale"] or extra.get("sent"):
        compose.fields["body"].widget.attrs["autofocus"] = True
    for name in [*extra.get("saved", {}), *extra.get("field_errors", {})]:
        context["field_forms"][name].fields[name].widget.attrs["autofocus"] = True
    return context


def _draft_initial(composer) -> dict:
    """The composer as the agent left it (their draft), with a staged macro's status in
    "then set status" as when it was applied (apps/macros/views.case_macro_apply)."""
    draft = composer.draft
    if draft is None:
        return {}
    initial = {"body": draft.body, "kind": draft.kind, "macro": draft.macro_id}
    if draft.channel:
        initial["channel"] = draft.channel
    staged = macro_selectors.staged(
        macros=composer.macros, macro_id=draft.macro_id, kind=draft.kind
    )
    if staged and macro_selectors.status_in_form(macro=staged.macro, kind=draft.kind):
        initial["then_status"] = staged.macro.set_status
    return initial


def _sla_badges(sla: dict) -> list[dict]:
    """The clocks still counting (running, paused or overdue) of a case a policy applies to."""
    from apps.sla.models import Metric

    if not sla["policy"]:
        return []
    return [
        {**clock, "label": Metric(clock["metric"]).label}
        for clock in sla["clocks"]
        if clock["state"] in ("active", "breached", "paused") and not clock["met_at"]
    ]


def _field_initial(case: Case, name: str) -> dict:
    if name == "tags":
        return {"tags": ", ".join(forms.shown_for_editing(tag.name) for tag in case.tags.all())}
    if name == "subject":
        return {"subject": forms.shown_for_editing(case.subject)}
    if name in ("assignee", "team", "root_cause"):
        return {name: getattr(case, f"{name}_id")}
    return {name: getattr(case, name)}


@case_view("GET", "HEAD", read=_detailed_case)  # one read of the case, with its timeline
def case_page(request, case: Case):
    images_for = request.GET.get("images", "")
    context = _page_context(
        request,
        case.pk,
        detailed=case,
        queue_nav=queue_nav.neighbours(request, case.pk),
        images_for=int(images_for) if images_for.isascii() and images_for.isdigit() else None,
    )
    response = render(request, "cases/case_detail.html", context)
    # "Show images" of one email is this page again with ?images=<its id>: the page's CSP
    # (img-src 'self' data:) then also allows the origins of that message's images, and
    # only for this response. An htmx swap could not: the CSP of the page loaded first
    # would still refuse them.
    interactions = context["case"].interactions.all()  # prefetched by case_detail
    shown = next((i for i in interactions if i.pk == context["images_for"]), None)
    if shown is not None and (origins := case_page_tags.image_origins(shown)):
        response._csp_update = {"img-src": origins}  # type: ignore[attr-defined]
    return response


@case_view("POST")
def case_field(request, case: Case, field: str):
    """Change one header field (status, priority, assignee, team, tags, root cause, subject)."""
    case_id = case.pk
    form_class = forms.FIELD_FORMS.get(field)
    if form_class is None:
        raise Http404("No such field")
    form = form_class(request.POST, case=case, user=request.user)
    error, status = "", 400
    if form.is_valid():
        try:
            form.save()
        except DomainError as exc:
            error, status = exc.message, exc.status
    else:
        error = " ".join(str(message) for errors in form.errors.values() for message in errors)
    if not error:
        try:
            selectors.case_visible(case_id=case_id, user=request.user)
        except Case.DoesNotExist:  # routed out of the user's teams: back to their queue
            messages.success(request, f"{form.done_message()} {case.reference} left your teams.")
            return HttpResponseClientRedirect(reverse("home")) if request.htmx else redirect("home")
        if request.htmx:
            context = _page_context(request, case_id, saved={field: form.done_message()})
            return render(request, "cases/case/header.html", context)
        messages.success(request, form.done_message())
        return redirect("case-detail", case_id)
    # Refused: the header again, this field showing what was typed and why it was refused.
    form.fields[field].widget.attrs["autofocus"] = True
    context = _page_context(request, case_id)
    context["field_forms"][field] = form
    context["field_errors"] = {field: error}
    template = "cases/case/header.html" if request.htmx else "cases/case_detail.html"
    return render(request, template, context, status=status)


@case_view("POST")
def case_compose(request, case: Case):
    """Send a public reply (optionally setting a status) or add an internal note.

    The form carries the id of the newest interaction the agent saw; a customer message or
    another agent's reply stored since stops the send: the composer comes back with the text
    as typed, the new messages shown, and a "send anyway" button."""
    case_id = case.pk
    form = forms.ComposeForm(request.POST, request.FILES, case=case)
    template = "cases/case/workspace.html" if request.htmx else "cases/case_detail.html"
    if not form.is_valid():
        return render(request, template, _page_context(request, case_id, compose=form), status=400)
    data = form.cleaned_data
    reply = data["kind"] == forms.ComposeForm.REPLY
    macro = None
    if data["macro"]:
        try:
            macro = macro_selectors.macro_visible(user=request.user, macro_id=data["macro"])
        except Macro.DoesNotExist:  # another team's, inactive or gone: never applied
            retry = request.POST.copy()
            retry["macro"] = ""
            refused = forms.ComposeForm(retry, case=case)
            refused.is_valid()
            refused.add_error(
                None, "That macro is not available to you: it was taken off this message."
            )
            context = _page_context(request, case_id, compose=refused)
            return render(request, template, context, status=400)
    if reply and not data["send_anyway"]:
        stale = selectors.interactions_after(
            case=case, after_id=data["last_seen"] or 0, user=request.user
        )
        if stale:
            # Files cannot be sent back to the browser: the warning asks for them again.
            context = _page_context(
                request, case_id, stale=stale, files_dropped=bool(request.FILES)
            )
            retry = request.POST.copy()
            retry["last_seen"] = context["last_seen"]
            context["compose"] = forms.ComposeForm(retry, case=case)
            context["compose"].is_valid()
            return render(request, template, context, status=409)
    try:
        # One transaction: the message, the macro's actions and the draft's end are kept
        # together or not at all (a refused macro action sends nothing).
        with transaction.atomic():
            done = _send(request, case, data, form, macro)
    except DomainError as exc:
        form.add_error(None, exc.message)
        context = _page_context(request, case_id, compose=form)
        return render(request, template, context, status=exc.status)
    try:
        selectors.case_visible(case_id=case_id, user=request.user)
    except Case.DoesNotExist:  # a macro routed it out of the user's teams: back to the queue
        messages.success(request, f"{done} {case.reference} left your teams.")
        return HttpResponseClientRedirect(reverse("home")) if request.htmx else redirect("home")
    if request.htmx:
        return render(request, template, _page_context(request, case_id, sent=done))
    messages.success(request, done)
    return redirect("case-detail", case_id)


def _send(request, case: Case, data: dict, form: forms.ComposeForm, macro: Macro | None) -> str:
    """Send the composer's reply or note, apply its macro, end the draft; the done message."""
    reply = data["kind"] == forms.ComposeForm.REPLY
    if reply:
        services.case_reply(
            case_id=case.pk,
            agent=request.user,
            body_text=data["body"],
            channel=data["channel"],
            then_status=data["then_status"] or None,
            attachments=form.attachment_files(),
        )
        done = "Reply sent" + (
            f" and status set to {Case.Status(data['then_status']).label.lower()}."
            if data["then_status"]
            else "."
        )
    else:
        services.case_note(
            case_id=case.pk,
            agent=request.user,
            body_text=data["body"],
            attachments=form.attachment_files(),
        )
        done = "Note added."
    if macro is not None:
        macro_services.macro_apply(
            macro_id=macro.pk,
            case_id=case.pk,
            actor=request.user,
            include_status=not macro_selectors.status_in_form(macro=macro, kind=data["kind"]),
        )
        done += f" Macro “{macro.title}” applied."
    macro_services.draft_discard(agent=request.user, case_id=case.pk)
    return done


@case_view("GET", "HEAD")
def case_history(request, case: Case):
    """The audit trail of a case: a partial for the page's <details> (htmx), or a page."""
    context = {"case": case, "events": selectors.case_events(case=case)}
    if request.htmx:
        return render(request, "cases/case/history.html", context)
    return render(request, "cases/case_history.html", context)


@login_required
@require_safe
def contact_page(request, contact_id: int):
    """A requester: their identities and the cases of theirs the user may see (small on
    purpose; a contact visible to the user is one of their cases' requesters)."""
    from apps.contacts.models import Contact, ContactIdentity

    if not 1 <= int(contact_id) <= MAX_DB_ID:
        raise Http404("No such contact")
    contact = get_object_or_404(
        Contact.objects.visible_to(request.user)
        .select_related("organization")
        .prefetch_related(
            Prefetch("identities", queryset=ContactIdentity.objects.order_by("kind", "value"))
        ),
        pk=contact_id,
    )
    cases = selectors.case_list_for(user=request.user).filter(requester=contact)
    page = Paginator(cases.order_by("-created_at", "-id"), CONTACT_CASES_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    from apps.feedback.selectors import customer_feedback

    feedback = customer_feedback(contact_id=contact.pk, user=request.user)
    return render(
        request,
        "cases/contact_detail.html",
        {"contact": contact, "page": page, "feedback": feedback},
    )


@login_required
@require_safe
def attachment_download(request, case_id: int, attachment_id: int):
    """One attachment of a case the user may see, as a download (headers: apps/cases/downloads)."""
    try:
        attachment = selectors.attachment_for_download(
            user=request.user, case_id=case_id, attachment_id=attachment_id
        )
    except Attachment.DoesNotExist:
        raise Http404("No such attachment") from None
    try:
        return downloads.attachment_response(attachment)
    except downloads.AttachmentMissing:
        return render(
            request,
            "cases/attachment_missing.html",
            {"attachment": attachment, "case_id": case_id},
            status=410,
        )
