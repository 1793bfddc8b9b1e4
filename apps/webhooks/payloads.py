"""The `data` of webhook events: plain dicts of a case or an interaction, built without queries.

Related rows appear as ids (the REST API reads them), so a service can describe the row it
has just locked and saved at no cost. Values may be datetimes: event_emit makes them JSON.
"""

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
    return {
        "id": interaction.pk,
        "case_id": interaction.case_id,
        "channel": interaction.channel,
        "direction": interaction.direction,
        "is_public": interaction.is_public,
        "author_contact_id": interaction.author_contact_id,
        "author_agent_id": interaction.author_agent_id,
        "subject": interaction.subject,
        "body_text": interaction.body_text,
        "external_id": interaction.external_id,
        "occurred_at": interaction.occurred_at,
        "created_at": interaction.created_at,
    }
