"""Feedback tasks: ids in, one service call each; safe to run twice (the survey row is
claimed by a conditional UPDATE in the transaction that sends it)."""

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def send_survey(survey_id: int) -> str:
    """Send one due survey (or record why not); returns its state, or "" when it was not
    this run's to send."""
    survey = services.survey_send(survey_id=survey_id)
    return survey.state if survey else ""


@shared_task(acks_late=True)
def send_due_surveys() -> int:
    """Beat: enqueue the surveys that are due; returns how many."""
    return services.surveys_send_due()


@shared_task(acks_late=True)
def recompute_risk(contact_id: int) -> int:
    """One customer's at-risk score, now (idempotent)."""
    return services.contacts_risk_recompute(contact_ids=[contact_id])


@shared_task(acks_late=True)
def refresh_risk_scores() -> int:
    """Beat: the scores that change with time alone (fading signals, cases left waiting)."""
    return services.contacts_risk_refresh()


@shared_task(acks_late=True)
def send_nps_batch() -> int:
    """Beat: ask the next batch of contacts the NPS question; returns how many were asked
    (a second run at once asks nobody twice)."""
    return len(services.nps_surveys_schedule())


@shared_task(acks_late=True)
def suggest_follow_up(follow_up_id: int) -> int:
    """The likely root causes of a bad answer's comment (idempotent); how many."""
    return len(services.follow_up_suggest(follow_up_id=follow_up_id))
