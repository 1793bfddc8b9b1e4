"""Customer feedback, the writes: scheduling a satisfaction survey when a case is solved,
sending it once on the case's own channel, recording the answer, the opt-out, and the
follow-up every bad answer opens for the team's supervisors.

The life of a CSAT survey:

1. **Scheduled** in the transaction that solves the case (the in-transaction subscriber of
   the "case changed" seam, case_events.py): one row per case (a unique constraint), due
   CXDESK_CSAT_DELAY_MINUTES later (a chat: CXDESK_CSAT_CHAT_DELAY_MINUTES, at once by
   default, while its window is open). A case reopened and solved again before its survey
   went out is rescheduled from the new solve.
2. **Sent** by `survey_send`, from the beat sweep or a task enqueued on commit: the row is
   claimed by a conditional UPDATE in the transaction that writes the message, so a task run
   twice — or by two workers — sends nothing twice. The rules below may stop it instead
   (`suppressed`, with the rule's name in `reason`; `cancelled` when the case is no longer
   solved). The message is a public outbound interaction on the case from no agent
   (cases.services.case_message): an email in the case's thread, a message in the chat
   window, a social reply — each by the channel's own sender.
3. **Answered** once through its signed link (links.py): the rating is final, the comment
   and the effort answer can be changed for CXDESK_SURVEY_COMMENT_EDIT_HOURS. A bad rating
   opens exactly one FollowUp (a one-to-one row) and notifies the team's supervisors; every
   answer is announced to webhooks as `survey.answered`.

The life of an NPS survey ("how likely are you to recommend us", 0 to 10):

1. **Asked** by the beat batch `nps_surveys_schedule` (every CXDESK_NPS_SWEEP_SECONDS): up to
   CXDESK_NPS_BATCH_SIZE contacts, lowest id first, who have a case solved in the last
   CXDESK_NPS_RECENT_DAYS (not merged, not tagged to skip), no NPS survey in the last
   CXDESK_NPS_INTERVAL_DAYS, no opt-out, and no survey of any kind sent within
   CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS. Each gets a row due at once, on their latest solved
   case (its channel, its thread, its team), numbered with the contact's next `nps_round`: a
   unique constraint per contact and round makes a second batch at the same time (a retry,
   two workers) insert nothing.
2. **Sent** by the same `survey_send` as a CSAT (the same claim, the same outbound path),
   after the rules below but `merged`, `skip_tag` and `no_agent_response` (the batch chose
   the case); a case reopened since does not cancel it (the question is about us, not the
   case).
3. **Answered** on the same signed page: 9–10 is a promoter (`satisfied` true), 7–8 a
   passive (null), 0–6 a detractor (false) — a detractor opens exactly one FollowUp and
   counts as a bad rating in the at-risk score, exactly as a bad CSAT does.

Suppression rules, in the order they are checked (`reason`):

- ``merged``: the case was merged into another (that one is surveyed, if it is solved);
- ``skip_tag``: the case carries one of CXDESK_SURVEY_SKIP_TAGS (spam, by default);
- ``no_agent_response``: solved without any public message from an agent;
- ``auto_reply_or_bounce``: an automatic reply or a bounce came back on the case — the
  address answers by machine, or not at all;
- ``opted_out``: the contact asked for no more surveys;
- ``recently_surveyed``: the contact was sent one within CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS;
- ``no_channel``: the case's channel cannot carry a message (a phone call; a chat that ended)
  and the contact has no email address to ask on instead.
"""

from collections.abc import Sequence
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Case as DbCase
from django.db.models import Exists, OuterRef, Q, Subquery, Value, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AgentProfile
from apps.accounts.types import User
from apps.cases import outbound
from apps.cases import services as case_services
from apps.cases.events import CaseChange, cases_of
from apps.cases.models import Case, Channel, Interaction
from apps.contacts.models import ContactIdentity
from apps.core.errors import DomainError
from apps.core.queue import enqueue_each, enqueue_on_commit
from apps.mail.models import InboundEmail
from apps.notifications import services as notifications
from apps.notifications.models import Notification
from apps.webhooks import services as webhooks

from . import links, risk
from .models import ContactRisk, FollowUp, Survey, SurveyOptOut

State = Survey.State
SEND_TASK = "apps.feedback.tasks.send_survey"
DONE = (Case.Status.SOLVED, Case.Status.CLOSED)


class FeedbackError(DomainError):
    code = "feedback_error"
    status = 400


class SurveyClosed(FeedbackError):
    """The survey cannot take this answer any more (expired, or rated already)."""

    code = "survey_closed"
    status = 409


class InvalidAnswer(FeedbackError):
    code = "invalid_answer"
    status = 400


class InvalidFollowUpState(FeedbackError):
    code = "invalid_follow_up_state"
    status = 409


# --- 1. scheduling --------------------------------------------------------------------------


def _solved_now(change: CaseChange) -> bool:
    return "status" in change.fields and change.after.get("status") == Case.Status.SOLVED


def _delay(case: Case) -> timedelta:
    minutes = (
        settings.CXDESK_CSAT_CHAT_DELAY_MINUTES
        if case.channel == Channel.CHAT
        else settings.CXDESK_CSAT_DELAY_MINUTES
    )
    return timedelta(minutes=minutes)


def surveys_schedule(changes: Sequence[CaseChange]) -> list[int]:
    """Schedule the survey of each case these changes solved (in their transaction); the ids
    of those due at once, to send after commit. At most three queries, whatever the batch."""
    if not settings.CXDESK_CSAT_ENABLED:
        return []
    solved_ids = sorted({change.case_id for change in changes if _solved_now(change)})
    if not solved_ids:
        return []
    cases = cases_of(change for change in changes if change.case_id in solved_ids)
    now = timezone.now()
    due = {pk: (case.solved_at or now) + _delay(case) for pk, case in cases.items()}
    # Solved again after a reopen cancelled it: due again from this solve.
    Survey.objects.filter(
        kind=Survey.Kind.CSAT, case_id__in=solved_ids, state=State.CANCELLED
    ).update(
        state=State.SCHEDULED,
        reason="",
        due_at=DbCase(*(When(case_id=pk, then=Value(at)) for pk, at in due.items())),
    )
    Survey.objects.bulk_create(
        [
            Survey(
                kind=Survey.Kind.CSAT,
                case_id=pk,
                contact_id=case.requester_id,
                due_at=due[pk],
                scale=settings.CXDESK_CSAT_SCALE,
            )
            for pk, case in cases.items()
        ],
        ignore_conflicts=True,  # one per case: solved before, its survey stands
    )
    if all(at > now for at in due.values()):
        return []
    return list(
        Survey.objects.filter(
            kind=Survey.Kind.CSAT, case_id__in=solved_ids, state=State.SCHEDULED, due_at__lte=now
        ).values_list("pk", flat=True)
    )


# --- 2. sending -----------------------------------------------------------------------------


def surveys_due(*, limit: int = 200, now: datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Survey.objects.filter(state=State.SCHEDULED, due_at__lte=now)
        .order_by("due_at", "id")
        .values_list("pk", flat=True)[:limit]
    )


def surveys_send_due(*, limit: int = 200, now: datetime | None = None) -> int:
    """Beat: enqueue a send for each survey due (each is sent once, whoever runs it)."""
    return enqueue_each(SEND_TASK, surveys_due(limit=limit, now=now))


def nps_candidates(*, limit: int, now: datetime) -> list[tuple[int, int, int]]:
    """The next contacts to ask the NPS question, lowest id first: (contact, their latest
    solved case, their next round). One query, whatever the number of contacts."""
    from apps.contacts.models import Contact

    recent = now - timedelta(days=settings.CXDESK_NPS_RECENT_DAYS)
    solved = Case.objects.filter(
        status__in=DONE, solved_at__gte=recent, solved_at__lte=now, merged_into__isnull=True
    ).exclude(tags__name__in=[tag.lower() for tag in settings.CXDESK_SURVEY_SKIP_TAGS])
    nps = Survey.objects.filter(kind=Survey.Kind.NPS, contact_id=OuterRef("pk"))
    cooldown = now - timedelta(days=settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS)
    interval = now - timedelta(days=settings.CXDESK_NPS_INTERVAL_DAYS)
    rows = (
        Contact.objects.annotate(
            latest_case=Subquery(
                solved.filter(requester_id=OuterRef("pk"))
                .order_by("-solved_at", "-pk")
                .values("pk")[:1]
            ),
            last_round=Subquery(nps.order_by("-nps_round").values("nps_round")[:1]),
        )
        # From the recent solves (the index on status, solved_at), not from every contact.
        .filter(pk__in=solved.values("requester_id"), latest_case__isnull=False)
        .exclude(Exists(nps.filter(created_at__gte=interval)))
        .exclude(Exists(SurveyOptOut.objects.filter(contact_id=OuterRef("pk"))))
        .exclude(Exists(Survey.objects.filter(contact_id=OuterRef("pk"), sent_at__gte=cooldown)))
        .order_by("pk")
        .values_list("pk", "latest_case", "last_round")[:limit]
    )
    return [(pk, case_id, (last or 0) + 1) for pk, case_id, last in rows]


def nps_surveys_schedule(*, limit: int | None = None, now: datetime | None = None) -> list[int]:
    """Beat: ask the next batch of contacts the NPS question — a row each, due now, sent
    after commit by `survey_send`. Safe to run twice at once: a contact's round is unique,
    so the second run's rows are ignored (and it enqueues only rows still scheduled, which
    the send claims once). The ids of the surveys to send."""
    if not settings.CXDESK_NPS_ENABLED:
        return []
    now = now or timezone.now()
    limit = settings.CXDESK_NPS_BATCH_SIZE if limit is None else limit
    with transaction.atomic():
        candidates = nps_candidates(limit=limit, now=now)
        if not candidates:
            return []
        Survey.objects.bulk_create(
            [
                Survey(
                    kind=Survey.Kind.NPS,
                    scale=Survey.Scale.NPS,
                    contact_id=contact_id,
                    case_id=case_id,
                    nps_round=nps_round,
                    due_at=now,
                )
                for contact_id, case_id, nps_round in candidates
            ],
            ignore_conflicts=True,  # the same round written by another run: theirs stands
        )
        ids = list(
            Survey.objects.filter(
                kind=Survey.Kind.NPS,
                state=State.SCHEDULED,
                contact_id__in=[c for c, _, _ in candidates],
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )
        transaction.on_commit(partial(enqueue_each, SEND_TASK, ids))
    return ids


def _email_of(contact_id: int) -> str | None:
    return (
        ContactIdentity.objects.filter(contact_id=contact_id, kind=ContactIdentity.Kind.EMAIL)
        .order_by("-created_at", "-pk")
        .values_list("value", flat=True)
        .first()
    )


def _channel_for(case: Case) -> str | None:
    """Where to ask: the case's own channel when it can carry the message now, else email
    when the contact has an address, else nowhere."""
    if case.channel == Channel.CHAT:
        from apps.chat.models import ChatSession

        live = ChatSession.objects.filter(case=case, status=ChatSession.Status.ACTIVE).exists()
        if live:
            return Channel.CHAT
    elif outbound.has_sender(case.channel):
        return case.channel
    if outbound.has_sender(Channel.EMAIL) and _email_of(case.requester_id):
        return Channel.EMAIL
    return None


def _suppressed_because(survey: Survey, case: Case, now: datetime) -> str:
    if survey.kind == Survey.Kind.NPS:
        return _contact_suppressed_because(survey, case, now)
    if case.merged_into_id:
        return "merged"
    skip = {tag.lower() for tag in settings.CXDESK_SURVEY_SKIP_TAGS}
    if skip and case.tags.filter(name__in=skip).exists():
        return "skip_tag"
    answered = Interaction.objects.filter(
        case=case,
        direction=Interaction.Direction.OUTBOUND,
        is_public=True,
        author_agent__isnull=False,
    )
    if not answered.exists():
        return "no_agent_response"
    return _contact_suppressed_because(survey, case, now)


def _contact_suppressed_because(survey: Survey, case: Case, now: datetime) -> str:
    """The rules about the contact rather than the case (every kind of survey)."""
    if InboundEmail.objects.filter(Q(is_auto_reply=True) | Q(is_bounce=True), case=case).exists():
        return "auto_reply_or_bounce"
    if SurveyOptOut.objects.filter(contact_id=survey.contact_id).exists():
        return "opted_out"
    cooldown = now - timedelta(days=settings.CXDESK_SURVEY_CONTACT_COOLDOWN_DAYS)
    recent = Survey.objects.filter(contact_id=survey.contact_id, sent_at__gte=cooldown).exclude(
        pk=survey.pk
    )
    if recent.exists():
        return "recently_surveyed"
    return ""


def survey_message(survey: Survey, channel: str) -> tuple[str, str]:
    """The text (and, for email, the HTML) that asks for the rating."""
    name = "nps_message" if survey.kind == Survey.Kind.NPS else "survey_message"
    context = {
        "survey": survey,
        "case": survey.case,
        "contact": survey.contact,
        "url": links.survey_url(survey.pk),
        "opt_out_url": links.opt_out_url(survey.pk),
        "good_url": links.survey_url(survey.pk) + "?rating=good",
        "bad_url": links.survey_url(survey.pk) + "?rating=bad",
        "five": survey.scale == Survey.Scale.FIVE,
        "choices": rating_choices(survey),
        "short": channel in (Channel.CHAT, Channel.SOCIAL),
    }
    text = render_to_string(f"feedback/{name}.txt", context).strip()
    html = render_to_string(f"feedback/{name}.html", context) if channel == "email" else ""
    return text, html


def survey_send(*, survey_id: int, now: datetime | None = None) -> Survey | None:
    """Send one due survey, or record why not; None when it was not this call's to send
    (sent, answered or decided already; not due yet). Safe to call twice at once."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Survey.objects.filter(
            pk=survey_id, state=State.SCHEDULED, due_at__lte=now
        ).update(state=State.SENT, claimed_at=now)
        if not claimed:
            return None
        survey = Survey.objects.select_related("case", "contact").get(pk=survey_id)
        case = survey.case
        reopened_counts = survey.kind == Survey.Kind.CSAT
        if case is None or (reopened_counts and case.status not in DONE):
            survey.state, survey.reason = State.CANCELLED, "reopened"
            survey.save(update_fields=["state", "reason"])
            return survey
        reason = _suppressed_because(survey, case, now)
        channel = None if reason else _channel_for(case)
        if reason or channel is None:
            survey.state, survey.reason = State.SUPPRESSED, reason or "no_channel"
            survey.save(update_fields=["state", "reason"])
            return survey
        text, html = survey_message(survey, channel)
        survey.interaction = case_services.case_message(
            case_id=case.pk,
            channel=channel,
            body_text=text,
            body_html=html,
            metadata={"survey": survey.pk, "survey_scale": survey.scale},
        )
        survey.channel = channel
        survey.sent_at = now
        survey.expires_at = now + timedelta(days=settings.CXDESK_SURVEY_EXPIRY_DAYS)
        survey.team_id = case.team_id
        survey.agent_id = case.assignee_id
        survey.priority = case.priority
        survey.root_cause_id = case.root_cause_id
        survey.save()
        return survey


# --- 3. answers -----------------------------------------------------------------------------


def survey_for_token(token: str) -> Survey:
    """The survey a link names (links.BadLink when it was not made here, Survey.DoesNotExist
    when it is gone)."""
    survey_id = links.survey_id_from(token)
    return Survey.objects.select_related("case", "contact").get(pk=survey_id)


def survey_is_expired(survey: Survey, now: datetime | None = None) -> bool:
    now = now or timezone.now()
    return survey.expires_at is not None and now >= survey.expires_at


def comment_editable_until(survey: Survey) -> datetime | None:
    if survey.answered_at is None:
        return None
    return survey.answered_at + timedelta(hours=settings.CXDESK_SURVEY_COMMENT_EDIT_HOURS)


NPS_PROMOTER = 9  # 9–10 promote us
NPS_DETRACTOR = 6  # 0–6 detract; 7–8 are passive


def rating_choices(survey: Survey) -> list[tuple[int, str]]:
    if survey.scale == Survey.Scale.NPS:
        ends = {0: "0 — not at all likely", 10: "10 — extremely likely"}
        return [(n, ends.get(n, str(n))) for n in range(11)]
    if survey.scale == Survey.Scale.FIVE:
        return [
            (1, "1 — very poor"),
            (2, "2 — poor"),
            (3, "3 — fair"),
            (4, "4 — good"),
            (5, "5 — excellent"),
        ]
    return [(1, "Good, I'm satisfied"), (0, "Bad, I'm unsatisfied")]


def is_satisfied(scale: str, rating: int) -> bool | None:
    """Satisfied or not; for NPS a promoter (True), a detractor (False), a passive (None)."""
    if scale == Survey.Scale.NPS:
        if rating >= NPS_PROMOTER:
            return True
        return False if rating <= NPS_DETRACTOR else None
    return rating >= 4 if scale == Survey.Scale.FIVE else rating == 1


def _validated(survey: Survey, rating: Any, effort: Any, comment: str) -> tuple[int, int | None]:
    allowed = {value for value, _ in rating_choices(survey)}
    errors: dict[str, list[str]] = {}
    try:
        rating_value = int(rating)
    except (TypeError, ValueError):
        rating_value = -1
    if rating_value not in allowed:
        errors["rating"] = ["Choose one of the ratings."]
    effort_value: int | None = None
    if effort not in (None, ""):
        try:
            effort_value = int(effort)
        except (TypeError, ValueError):
            effort_value = 0
        if not 1 <= effort_value <= 7:
            errors["effort"] = ["Choose a value from 1 to 7."]
    if len(comment) > 5000:
        errors["comment"] = ["At most 5,000 characters."]
    if errors:
        raise InvalidAnswer("the answer is not valid", fields=errors)
    return rating_value, effort_value


def survey_answer(
    *,
    survey_id: int,
    rating: Any,
    effort: Any = None,
    comment: str = "",
    now: datetime | None = None,
) -> Survey:
    """Record the customer's answer. The first rating is final; a later call (the same link
    again, within CXDESK_SURVEY_COMMENT_EDIT_HOURS) may change only the comment and the
    effort answer. Raises SurveyClosed when the link expired, the survey was not sent, or
    the edit window has passed; InvalidAnswer for a rating the scale does not have."""
    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        survey = (
            Survey.objects.select_for_update(of=("self",)).select_related("case").get(pk=survey_id)
        )
        if survey.state == State.ANSWERED:
            until = comment_editable_until(survey)
            if until is None or now >= until:
                raise SurveyClosed("this survey was answered and can no longer be changed")
            _, effort_value = _validated(survey, survey.rating, effort, comment)
            survey.comment = comment
            if effort_value is not None:
                survey.effort = effort_value
            survey.save(update_fields=["comment", "effort"])
            if survey.satisfied is False:  # the comment changed: suggest again
                follow_up = FollowUp.objects.filter(survey=survey).only("pk").first()
                if follow_up is not None:
                    enqueue_on_commit(SUGGEST_TASK, follow_up.pk)
            _announce(survey, edited=True)
            return survey
        if survey.state != State.SENT:
            raise SurveyClosed("this survey is not open for answers")
        if survey_is_expired(survey, now):
            raise SurveyClosed("this survey link has expired")
        rating_value, effort_value = _validated(survey, rating, effort, comment)
        survey.rating = rating_value
        survey.satisfied = is_satisfied(survey.scale, rating_value)
        survey.effort = effort_value
        survey.comment = comment
        survey.answered_at = now
        survey.state = State.ANSWERED
        survey.save()
        if survey.satisfied is False:  # a bad rating or a detractor (a passive is neither)
            follow_up = _follow_up_open(survey, now)
            if comment:
                enqueue_on_commit(SUGGEST_TASK, follow_up.pk)
            enqueue_on_commit(RISK_TASK, survey.contact_id)
        _announce(survey, edited=False)
        return survey


def survey_data(survey: Survey) -> dict[str, Any]:
    """A survey as the API and the webhooks show it."""
    return {
        "id": survey.pk,
        "kind": survey.kind,
        "case": survey.case_id,
        "contact": survey.contact_id,
        "channel": survey.channel,
        "scale": survey.scale,
        "rating": survey.rating,
        "satisfied": survey.satisfied,
        "effort": survey.effort,
        "comment": survey.comment,
        "nps_round": survey.nps_round,
        "sent_at": survey.sent_at.isoformat() if survey.sent_at else None,
        "answered_at": survey.answered_at.isoformat() if survey.answered_at else None,
        "team": survey.team_id,
        "agent": survey.agent_id,
        "priority": survey.priority,
        "root_cause": survey.root_cause_id,
    }


def _announce(survey: Survey, *, edited: bool) -> None:
    webhooks.event_emit(
        event="survey.answered",
        data={"survey": survey_data(survey), "edited": edited},
        case=survey.case,
    )


def _supervisors_of(team_id: int | None) -> list[User]:
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.filter(
        is_active=True, profile__role=AgentProfile.Role.SUPERVISOR
    )
    if team_id is not None:
        users = users.filter(teams=team_id)
    return list(users.order_by("pk"))


def _follow_up_open(survey: Survey, now: datetime) -> FollowUp:
    follow_up = FollowUp.objects.create(
        survey=survey,
        case_id=survey.case_id,
        contact_id=survey.contact_id,
        team_id=survey.team_id,
        opened_at=now,
    )
    reference = survey.case.reference if survey.case else f"contact {survey.contact_id}"
    if survey.kind == Survey.Kind.NPS:
        text = f"{reference}: the customer would not recommend us ({survey.rating}/10) — follow up"
    else:
        text = f"{reference}: the customer rated the service bad — follow up"
    if survey.comment:
        text += f": “{survey.comment[:120]}”"
    notifications.notify_many(
        [
            notifications.Notice(
                supervisor,
                Notification.Kind.BAD_RATING,
                survey.case,
                text,
                f"follow-up:{follow_up.pk}",
                reverse("feedback:follow-ups"),
            )
            for supervisor in _supervisors_of(survey.team_id)
        ],
        email=True,
    )
    return follow_up


def survey_opt_out(*, survey_id: int, now: datetime | None = None) -> SurveyOptOut:
    """The contact of this survey is never surveyed again (a second call changes nothing)."""
    survey = Survey.objects.get(pk=survey_id)
    opt_out, _ = SurveyOptOut.objects.get_or_create(
        contact_id=survey.contact_id,
        defaults={"survey": survey, "at": now or timezone.now()},
    )
    return opt_out


# --- 4. follow-ups --------------------------------------------------------------------------

_NEXT: dict[str, set[str]] = {
    FollowUp.State.OPEN: {FollowUp.State.CONTACTED, FollowUp.State.RESOLVED},
    FollowUp.State.CONTACTED: {FollowUp.State.RESOLVED},
    FollowUp.State.RESOLVED: set(),
}


def follow_up_advance(
    *, follow_up_id: int, to: str, actor: User, note: str = "", now: datetime | None = None
) -> FollowUp:
    """Mark a follow-up contacted or resolved (resolving an open one marks it contacted
    too: the customer was reached). Moving back, or to the same state, is refused."""
    now = now or timezone.now()
    with transaction.atomic():
        follow_up = FollowUp.objects.select_for_update().get(pk=follow_up_id)
        if to not in _NEXT.get(follow_up.state, set()):
            raise InvalidFollowUpState(
                f"a follow-up that is {follow_up.get_state_display().lower()} cannot become {to}"
            )
        if follow_up.contacted_at is None:
            follow_up.contacted_at, follow_up.contacted_by = now, actor
        if to == FollowUp.State.RESOLVED:
            follow_up.resolved_at, follow_up.resolved_by = now, actor
        follow_up.state = to
        note = (note or "").strip()
        if note:
            follow_up.note = f"{follow_up.note}\n{note}".strip() if follow_up.note else note
        follow_up.save()
        return follow_up


SUGGEST_TASK = "apps.feedback.tasks.suggest_follow_up"
SUGGESTIONS_SHOWN = 3


def follow_up_suggest(*, follow_up_id: int) -> list[dict[str, Any]]:
    """The likely root causes of a bad answer, from its comment, by the same model that
    suggests them for cases (apps/rootcauses: suggest.py, the newest stored version), stored
    on the follow-up for the supervisor. Idempotent: the same model and the same comment
    write nothing; no comment clears them; no model (or suggestions off) changes nothing."""
    import hashlib

    from apps.rootcauses import services as rootcauses
    from apps.rootcauses import suggest
    from apps.rootcauses.models import RootCause

    follow_up = FollowUp.objects.select_related("survey").filter(pk=follow_up_id).first()
    if follow_up is None or not settings.CXDESK_ROOTCAUSE_SUGGESTIONS:
        return []
    text = follow_up.survey.comment.strip()[: suggest.MAX_TEXT_CHARS]
    if not text:
        if follow_up.suggestions:
            FollowUp.objects.filter(pk=follow_up_id).update(suggestions=[], suggested_from="")
        return []
    model = rootcauses.suggestion_model_active()
    if model is None:
        return list(follow_up.suggestions)
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:64]
    source = f"{model.version}:{digest}"
    if follow_up.suggested_from == source:
        return list(follow_up.suggestions)
    [ranked] = suggest.top_k(model.pipeline, [text], k=SUGGESTIONS_SHOWN + 3)
    paths = dict(
        RootCause.objects.active().filter(pk__in=[pk for pk, _ in ranked]).values_list("pk", "path")
    )
    found = [
        {"root_cause": pk, "path": paths[pk], "score": round(float(score), 4)}
        for pk, score in ranked
        if pk in paths
    ][:SUGGESTIONS_SHOWN]
    FollowUp.objects.filter(pk=follow_up_id).update(suggestions=found, suggested_from=source)
    return found


# --- 5. the at-risk score -------------------------------------------------------------------

RISK_TASK = "apps.feedback.tasks.recompute_risk"


def contacts_risk_recompute(*, contact_ids: Sequence[int], now: datetime | None = None) -> int:
    """Recompute these contacts' scores (risk.py) and store them with their reasons; a
    contact whose score fell to 0 keeps a row at 0 (the list shows only those at risk).
    Six queries plus one write per contact whose score changed."""
    from . import selectors

    now = now or timezone.now()
    ids = sorted(set(contact_ids))
    if not ids:
        return 0
    signals = selectors.risk_signals(contact_ids=ids, now=now)
    stored = {row.contact_id: row for row in ContactRisk.objects.filter(contact_id__in=ids)}
    fresh: list[ContactRisk] = []
    changed: list[ContactRisk] = []
    for contact_id in ids:
        total, reasons = risk.score(signals[contact_id], now)
        row = stored.get(contact_id)
        if row is None:
            if total > 0:
                fresh.append(
                    ContactRisk(
                        contact_id=contact_id, score=total, reasons=reasons, computed_at=now
                    )
                )
            continue
        row.score, row.reasons, row.computed_at = total, reasons, now
        changed.append(row)
    ContactRisk.objects.bulk_create(fresh, ignore_conflicts=True)
    ContactRisk.objects.bulk_update(changed, ["score", "reasons", "computed_at"], batch_size=500)
    return len(fresh) + len(changed)


def contacts_risk_refresh(*, limit: int = 500, now: datetime | None = None) -> int:
    """Beat: recompute the scores that fade or grow with time alone — contacts with a score,
    and those with an open case past the waiting grace — oldest computation first."""
    from apps.cases.models import Case

    now = now or timezone.now()
    scored = list(
        ContactRisk.objects.filter(score__gt=0)
        .order_by("computed_at")
        .values_list("contact_id", flat=True)[:limit]
    )
    waiting = list(
        Case.objects.filter(
            status__in=[Case.Status.NEW, Case.Status.OPEN],
            created_at__lte=now - risk.WAITING_GRACE,
        )
        .exclude(requester__risk__computed_at__gte=now - timedelta(minutes=30))
        .order_by("created_at")
        .values_list("requester_id", flat=True)[:limit]
    )
    ids = list(dict.fromkeys([*scored, *waiting]))[:limit]
    contacts_risk_recompute(contact_ids=ids, now=now)
    return len(ids)
