"""The survey's signed link: `/feedback/<token>/`, the token Django's signing of the survey id
(HMAC with SECRET_KEY and this module's salt). A token that does not verify is refused (400);
it carries no expiry of its own — the survey's `expires_at` says, so that an expired link
opens a page saying so rather than an error."""

from django.conf import settings
from django.core import signing
from django.urls import reverse

from apps.core.errors import DomainError

SALT = "cxdesk.feedback.survey"


class BadLink(DomainError):
    """The token was not made here (tampered, truncated, another site's)."""

    code = "bad_survey_link"
    status = 400


def token_for(survey_id: int) -> str:
    return signing.dumps(survey_id, salt=SALT)


def survey_id_from(token: str) -> int:
    try:
        value = signing.loads(token, salt=SALT)
    except signing.BadSignature as exc:
        raise BadLink("this survey link is not valid") from exc
    if not isinstance(value, int) or isinstance(value, bool) or value <= 0:
        raise BadLink("this survey link is not valid")
    return value


def survey_url(survey_id: int) -> str:
    path = reverse("feedback:survey", args=[token_for(survey_id)])
    return f"{settings.CXDESK_PUBLIC_URL}{path}"


def opt_out_url(survey_id: int) -> str:
    path = reverse("feedback:opt-out", args=[token_for(survey_id)])
    return f"{settings.CXDESK_PUBLIC_URL}{path}"
