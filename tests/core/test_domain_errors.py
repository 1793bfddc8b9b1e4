"""Every domain error is a DomainError, says its own code and 4xx status, and the API answers
it in the envelope with exactly the status and code clients have always seen."""

import importlib
import inspect
import pkgutil
import re

import pytest
from django.apps import apps
from rest_framework.test import APIRequestFactory
from rest_framework.views import APIView

from apps.api.services import TokenError as ApiTokenError
from apps.cases import services as case_services
from apps.chat import services as chat_services
from apps.chat.tokens import TokenError as ChatTokenError
from apps.contacts import services as contact_services
from apps.contacts.identities import InvalidIdentity
from apps.contacts.models import ContactIdentity
from apps.core.errors import DomainError
from apps.mail.services import EmailRejected
from apps.problems.services import InvalidProblemTransition
from apps.social.services import AccountNotConfigured

# Exceptions of the apps that are not domain errors, and why: none reaches a client as such.
NOT_DOMAIN = {
    "apps.api.errors.ApiError": "the API's own error: already an APIException with an envelope",
    "apps.cases.queues.BadCursor": "a stale page link: the queue shows its first page, saying so",
    "apps.cases.downloads.AttachmentMissing": "storage lost a file: the views answer 410 / 404",
    "apps.cases.outbound.SendError": "a channel's delivery outcome, kept on the interaction",
    "apps.cases.outbound.TransientSendError": "a channel's delivery outcome: retried",
    "apps.cases.outbound.PermanentSendError": "a channel's delivery outcome: failed for good",
    "apps.mail.imap.MailboxError": "a mailbox could not be polled: shown to the admin",
    "apps.mail.parsing.MimeNestingTooDeepDefect": "an email defect, noted on the message",
    "apps.mail.oauth.OAuthError": "a token refresh failed: shown to the admin",
    "apps.mail.services._LostRace": "control flow between two workers",
    "apps.problems.services._ClaimLost": "control flow: another worker holds the answer's claim",
    "apps.problems.services._Skip": "control flow: a case solved meanwhile is not answered",
    "apps.sla.business_time.NoDueInstant": "pure arithmetic: no due instant while paused",
    "apps.phone.twilio_callbacks.CallbackError": "the provider's callback: its view answers",
    "apps.phone.twilio_callbacks.CallbackIgnored": "not an error: a callback that records nothing",
    "apps.social.inbound.BadPayload": "the provider's body: its webhook view answers 400",
    "apps.social.inbound.Unreadable": "a stored event's outcome: kept as failed",
    "apps.social.inbound.NotAMessage": "a stored event's outcome: kept as ignored",
    "apps.webhooks.targets.TargetRefused": "a receiver's address: recorded in the delivery log",
    "apps.rootcauses.suggest.ModelRefused": "a stored model we did not sign: logged, not loaded",
}

# Codes more than one class uses on purpose.
SHARED_CODES = {"invalid_merge": {"MergeError", "ContactMergeError"}}


def _all_subclasses(cls) -> list[type]:
    found = []
    for sub in cls.__subclasses__():
        found += [sub, *_all_subclasses(sub)]
    return found


def _app_modules():
    for config in apps.get_app_configs():
        if not config.name.startswith("apps."):
            continue
        yield importlib.import_module(config.name)
        for info in pkgutil.walk_packages(config.module.__path__, prefix=f"{config.name}."):
            if ".migrations" in info.name or ".management" in info.name:
                continue
            yield importlib.import_module(info.name)


def _app_exceptions() -> set[type]:
    found = set()
    for module in _app_modules():
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BaseException) and obj.__module__ == module.__name__:
                found.add(obj)
    return found


def _name(cls) -> str:
    return f"{cls.__module__}.{cls.__qualname__}"


def test_every_exception_an_app_defines_is_a_domain_error_or_says_why_not():
    exceptions = _app_exceptions()
    undecided = sorted(
        _name(cls)
        for cls in exceptions
        if not issubclass(cls, DomainError) and _name(cls) not in NOT_DOMAIN
    )
    assert undecided == [], "subclass apps.core.errors.DomainError, or list it in NOT_DOMAIN"
    assert set(NOT_DOMAIN) <= {_name(cls) for cls in exceptions}  # no stale entries


def test_every_domain_error_has_a_snake_case_code_and_a_4xx_status():
    errors = _all_subclasses(DomainError)
    assert len(errors) >= 20
    for cls in errors:
        assert re.fullmatch(r"[a-z][a-z0-9_]*", cls.code), cls
        assert 400 <= cls.status < 500, cls


def test_codes_are_unique_unless_shared_on_purpose():
    by_code: dict[str, set[str]] = {}
    for cls in _all_subclasses(DomainError):
        by_code.setdefault(cls.code, set()).add(cls.__name__)
    shared = {code: names for code, names in by_code.items() if len(names) > 1}
    assert shared == SHARED_CODES


def _instance(cls) -> DomainError:
    special = {
        case_services.InvalidTransition: lambda: cls(current="closed", requested="open"),
        case_services.RoutingNotAllowed: lambda: cls("not your team", field="team"),
        contact_services.IdentityTaken: lambda: cls(
            ContactIdentity(kind="email", value="ann@example.com")
        ),
        InvalidIdentity: lambda: cls("email", "nope", "not a valid email address"),
        ChatTokenError: lambda: cls("chat_token_expired", "This chat token has expired."),
        InvalidProblemTransition: lambda: cls(current="verified", requested="open"),
    }
    return special.get(cls, lambda: cls("why it was refused"))()


@pytest.mark.parametrize("cls", _all_subclasses(DomainError), ids=lambda cls: cls.__name__)
def test_an_api_view_answers_each_domain_error_in_the_envelope(cls):
    exc = _instance(cls)

    class Raising(APIView):
        authentication_classes: list = []
        permission_classes: list = []

        def get(self, request):
            raise exc

    response = Raising.as_view()(APIRequestFactory().get("/api/v1/anything/"))

    body = {"status": exc.status, "code": exc.code, "message": exc.message}
    if exc.fields is not None:
        body["fields"] = exc.fields
    assert response.status_code == exc.status
    assert response.data == {"error": body}


# What clients saw before DomainError, from the API's former isinstance ladder and the chat
# views' own conversion: (status, code, fields) per error.
LEGACY = [
    (case_services.CaseError, 400, "case_error", None),
    (case_services.InvalidTransition, 409, "invalid_transition", None),
    (case_services.InvalidAssignee, 400, "invalid_assignee", {"assignee": ["why it was refused"]}),
    (case_services.RoutingNotAllowed, 400, "routing_not_allowed", {"team": ["not your team"]}),
    (case_services.MergeError, 409, "invalid_merge", None),
    (case_services.AttachmentTooLarge, 413, "attachment_too_large", None),
    (case_services.TooManyAttachments, 400, "too_many_attachments", None),
    (
        case_services.ExternalIdTooLong,
        400,
        "external_id_too_long",
        {"external_id": ["why it was refused"]},
    ),
    (contact_services.IdentityTaken, 409, "identity_taken", None),
    (contact_services.ContactMergeError, 409, "invalid_merge", None),
    (contact_services.IdentityNotFound, 404, "not_found", None),
    (contact_services.LastIdentity, 409, "last_identity", None),
    (
        InvalidIdentity,
        400,
        "invalid_identity",
        {"requester": ["'nope': not a valid email address"]},
    ),
    (chat_services.ChatError, 400, "chat_error", None),
    (chat_services.ChatEnded, 409, "chat_ended", None),
    (chat_services.WidgetInactive, 403, "widget_inactive", None),
    (chat_services.ClaimError, 409, "claim_error", None),
    (chat_services.ClaimMergeNotAllowed, 403, "merge_not_allowed", None),
    (chat_services.ClaimLinkInvalid, 400, "claim_link_invalid", None),
    (ChatTokenError, 401, "chat_token_expired", None),
]


@pytest.mark.parametrize(
    ("cls", "status", "code", "fields"), LEGACY, ids=[row[0].__name__ for row in LEGACY]
)
def test_clients_see_the_same_status_code_and_fields_as_before(cls, status, code, fields):
    exc = _instance(cls)
    assert (exc.status, exc.code, exc.fields) == (status, code, fields)


def test_invalid_identity_shows_the_reason_and_stays_a_value_error():
    exc = _instance(InvalidIdentity)
    assert exc.message == "not a valid email address"
    assert isinstance(exc, ValueError)  # callers that catch ValueError still do
    assert isinstance(_instance(ApiTokenError), ValueError)


def test_errors_no_client_sees_through_the_api_still_have_their_own_code():
    assert (EmailRejected.status, EmailRejected.code) == (422, "email_rejected")
    assert AccountNotConfigured.code == "social_account_not_configured"
