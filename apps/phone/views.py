"""Phone pages and provider endpoints: the Twilio status callback, logging a call by hand."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.exceptions import SuspiciousOperation, ValidationError
from django.http import JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.csrf import csrf_exempt
from twilio.request_validator import (
    SIGNATURE_HEADER,
    SIGNATURE_SETTINGS_HEADER,
    RequestValidator,
    get_signature_algorithm,
)

from apps.accounts.models import Team
from apps.api.errors import envelope
from apps.cases.models import Case
from apps.cases.services import CaseError
from apps.contacts.identities import InvalidIdentity

from . import services, twilio_callbacks
from .forms import LogCallForm

logger = logging.getLogger(__name__)
FORM_CONTENT_TYPE = "application/x-www-form-urlencoded"


def _error(status: int, code: str, message: str, fields=None) -> JsonResponse:
    return JsonResponse(envelope(status, code, message, fields), status=status)


@csrf_exempt
def twilio_status(request):
    """Twilio's voice status callback (see apps/phone/twilio_callbacks.py for setup and rules).

    201 when the call is new, 200 when it was known (a repeated callback changes nothing);
    403 for a missing or bad signature, 400 for missing or bad parameters, 503 while
    TWILIO_AUTH_TOKEN is not set. Nothing is stored unless the answer is 2xx.
    """
    refused = _refused(request)
    if refused is not None:
        return refused
    team = None
    slug = request.GET.get("team", "")
    if slug:
        team = Team.objects.filter(slug=slug).first()
        if team is None:
            return _error(
                400,
                "invalid_callback",
                f"No team with slug {slug!r}.",
                {"team": [f"No team with slug {slug!r}."]},
            )
    return _apply_callback(request.POST, team=team)


def _refused(request) -> JsonResponse | None:
    """The answer to a callback that is not a signed form POST Twilio sent, else None."""
    if request.method != "POST":
        response = _error(405, "method_not_allowed", "Twilio posts status callbacks.")
        response["Allow"] = "POST"
        return response
    token = settings.TWILIO_AUTH_TOKEN
    if not token:
        return _error(
            503, "not_configured", "Twilio callbacks are not configured: set TWILIO_AUTH_TOKEN."
        )
    signature = request.headers.get(SIGNATURE_HEADER, "")
    if not signature:
        return _error(403, "missing_signature", f"The {SIGNATURE_HEADER} header is missing.")
    if request.content_type != FORM_CONTENT_TYPE:
        return _error(
            415,
            "unsupported_media_type",
            f"Send {FORM_CONTENT_TYPE} (Twilio's status callback format).",
        )
    try:
        params = request.POST
    except SuspiciousOperation:  # too large, too many fields
        return _error(413, "payload_too_large", "The callback is larger than we accept.")
    algorithm = get_signature_algorithm(request.headers.get(SIGNATURE_SETTINGS_HEADER))
    url = request.build_absolute_uri()
    if not RequestValidator(token).validate(url, params, signature, algorithm=algorithm):
        logger.warning("Twilio callback with a bad signature for %s", url)
        return _error(
            403,
            "invalid_signature",
            f"The {SIGNATURE_HEADER} signature does not match this request "
            "(check TWILIO_AUTH_TOKEN and that the URL we see is the one Twilio "
            "called).",
        )
    return None


def _apply_callback(params, *, team: Team | None) -> JsonResponse:
    """Record a verified callback: 201 for a new call, 200 for a known one, 400 when bad."""
    try:
        callback = twilio_callbacks.parse_status_callback(params)
        call, created = twilio_callbacks.status_callback_apply(callback, team=team)
    except twilio_callbacks.CallbackIgnored as exc:
        return JsonResponse({"ignored": str(exc)}, status=200)
    except twilio_callbacks.CallbackError as exc:
        return _error(
            400, "invalid_callback", "Some parameters are missing or invalid.", exc.fields
        )
    except ValidationError as exc:
        fields = exc.message_dict if hasattr(exc, "error_dict") else None
        return _error(400, "invalid_callback", " ".join(exc.messages), fields)
    except CaseError as exc:
        return _error(400, exc.code, str(exc))
    except InvalidIdentity as exc:
        return _error(400, "invalid_callback", str(exc))
    return JsonResponse(
        {
            "call": call.pk,
            "sid": call.sid,
            "status": call.status,
            "case": call.case_id,
            "created": created,
        },
        status=201 if created else 200,
    )


def _requester_phone(case: Case) -> str:
    identity = case.requester.identities.filter(kind="phone").order_by("created_at", "pk").first()
    return identity.value if identity else ""


@login_required
def log_call(request, case_id: int):
    """Log a call with the customer by hand, from the case page."""
    case = get_object_or_404(
        Case.objects.visible_to(request.user).select_related("requester"), pk=case_id
    )
    if request.method == "POST":
        form = LogCallForm(request.POST)
        if form.is_valid():
            try:
                call = services.call_log(case=case, agent=request.user, **form.cleaned_data)
            except (CaseError, ValidationError) as exc:
                form.add_error(None, exc.messages if isinstance(exc, ValidationError) else str(exc))
            else:
                return redirect("case-detail", call.case_id)
    else:
        form = LogCallForm(initial={"number": _requester_phone(case)})
    return render(request, "phone/log_call.html", {"case": case, "form": form})
