from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from . import downloads, selectors
from .models import Attachment, Case


@login_required
def case_page(request, case_id: int):
    try:
        case = selectors.case_detail(case_id=case_id, user=request.user)
    except Case.DoesNotExist:
        raise Http404("No such case") from None
    from apps.chat.selectors import email_claims_on  # the chat channel's part of the page
    from apps.contacts.selectors import contact_merge_allowed

    return render(
        request,
        "cases/case_detail.html",
        {
            "case": case,
            "email_claims": email_claims_on(case=case),
            # Confirming a claim another contact owns merges two contacts: supervisors, admins.
            "can_merge_contacts": contact_merge_allowed(user=request.user),
        },
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
