"""The `data` of webhook events: plain dicts of a case or an interaction, built without queries.

Related rows appear as ids (the REST API reads them), so a service can describe the row it
has just locked and saved at no cost. Values may be datetimes: event_emit makes them JSON.
A message body is bounded (CXDESK_WEBHOOK_BODY_MAX_BYTES): an 8 MB email would otherwise be
an 8 MB request per subscription; the interaction's `api_url` serves the whole of it.
"""

import json

from django.conf import settings
from django.urls import reverse

from apps.cases.models import Case, Interaction


def case_data(case: Case) -> dict:
    return {
        "id": case.pk,
        "reference": case.reference,
        "subject": case.subject,
        "status": case.status,
        "priority": case.priority,
        "channel": case.channel,
        "requester_id": case.requester_id,
        "team_id": case.team_id,
        "assignee_id": case.assignee_id,
        "root_cause_id": case.root_cause_id,
        "custom_fields": case.custom_fields,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "first_response_at": case.first_response_at,
        "solved_at": case.solved_at,
        "closed_at": case.closed_at,
        "reopen_count": case.reopen_count,
        "merged_into_id": case.merged_into_id,
        "follow_up_of_id": case.follow_up_of_id,
    }


def interaction_data(interaction: Interaction) -> dict:
    body_text, truncated = bounded_text(
        interaction.body_text or "", settings.CXDESK_WEBHOOK_BODY_MAX_BYTES
    )
    return {
        "id": interaction.pk,
        "case_id": interaction.case_id,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "is_public": interaction.is_public,
        "author_contact_id": interaction.author_contact_id,
        "author_agent_id": interaction.author_agent_id,
        "subject": interaction.subject,
        "body_text": body_text,
        "body_truncated": truncated,
        "api_url": reverse("api:case-interaction-list", kwargs={"case_pk": interaction.case_id}),
        "external_id": interaction.external_id,
        "occurred_at": interaction.occurred_at,
        "created_at": interaction.created_at,
    }


def _json_size(text: str) -> int:
    """Bytes `text` takes in the sent body (JSON string escapes, UTF-8), quotes left out."""
    return len(json.dumps(text, ensure_ascii=False).encode("utf-8", "surrogatepass")) - 2


def bounded_text(text: str, limit: int) -> tuple[str, bool]:
    """`text` whole, or its longest prefix (whole characters) taking at most `limit` bytes
    in the JSON body, and whether it was cut."""
    if len(text) <= limit and _json_size(text) <= limit:
        return text, False
    low, high = 0, min(len(text), limit)  # every character costs at least one byte
    if _json_size(text[:high]) <= limit:  # plain ASCII text: the first guess fits
        return text[:high], True
    while low < high:
        middle = (low + high + 1) // 2
        if _json_size(text[:middle]) <= limit:
            low = middle
        else:
            high = middle - 1
    return text[:low], True
