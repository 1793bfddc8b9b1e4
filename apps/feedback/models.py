"""Customer feedback: the surveys a contact is asked, their answers, the opt-outs, and the
follow-up every bad answer opens (apps/feedback/services.py says when each is written).

A Survey row is written when it is decided (a case solved: `scheduled`, due after the delay),
claimed and sent once by the sweep (`sent`, or `suppressed` with the rule that stopped it,
or `cancelled` when the case was reopened first), and answered once through its signed link
(`answered`). What the figures group by — team, agent, channel, priority, root cause — is
copied from the case when the survey goes out: a rating is about the service the customer
had then, and a case reassigned later does not move its rating to another agent.

An NPS survey (`kind` nps, `scale` nps: 0 to 10) is the same row, written by the beat batch
on the contact's latest solved case and numbered with the contact's `nps_round`; it goes
through the same states, link and page (services.py).
"""

from django.conf import settings
from django.db import models
from django.db.models import Q


class Survey(models.Model):
    class Kind(models.TextChoices):
        CSAT = "csat", "Customer satisfaction (after a solved case)"
        NPS = "nps", "Net Promoter Score (every few months)"

    class State(models.TextChoices):
        SCHEDULED = "scheduled", "Scheduled"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent, waiting for an answer"
        ANSWERED = "answered", "Answered"
        SUPPRESSED = "suppressed", "Not sent (a suppression rule)"
        CANCELLED = "cancelled", "Not sent (the case was reopened)"

    class Scale(models.TextChoices):
        GOOD_BAD = "good_bad", "Good / bad"
        FIVE = "five", "1 to 5"
        NPS = "nps", "0 to 10 (likely to recommend)"

    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.CSAT)
    case = models.ForeignKey(
        "cases.Case", null=True, blank=True, on_delete=models.CASCADE, related_name="surveys"
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="surveys"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.SCHEDULED)
    reason = models.CharField(
        max_length=40, blank=True, help_text="Why it was not sent (suppressed or cancelled)"
    )
    scale = models.CharField(max_length=10, choices=Scale.choices, default=Scale.GOOD_BAD)
    due_at = models.DateTimeField(help_text="When the sweep sends it")
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    channel = models.CharField(max_length=10, blank=True, help_text="The channel it went out on")
    interaction = models.ForeignKey(
        "cases.Interaction",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The message that carried the link",
    )
    nps_round = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="NPS: the contact's 1st, 2nd… NPS survey (unique: asked once per round)",
    )
    # Copied from the case when it went out (what the figures group by).
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    agent = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    priority = models.CharField(max_length=10, blank=True)
    root_cause = models.ForeignKey(
        "rootcauses.RootCause", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The answer.
    rating = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        help_text="Good/bad: 1 good, 0 bad; 1–5 scale: 1 to 5; NPS: 0 to 10",
    )
    satisfied = models.BooleanField(
        null=True,
        blank=True,
        help_text="Good, or 4–5 on the 1–5 scale; NPS: a promoter (9–10) yes, a detractor "
        "(0–6) no, a passive (7–8) unknown",
    )
    effort = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Customer effort, 1 (very hard) to 7 (very easy)"
    )
    comment = models.TextField(blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            # One satisfaction survey per case, however often it is solved.
            models.UniqueConstraint(
                fields=["case"], condition=Q(kind="csat"), name="survey_one_csat_per_case"
            ),
            # NPS: one survey per contact and round. The beat batch numbers a contact's
            # next round from their last, so two batches at once (two workers, a retry)
            # write the same round and the second insert is ignored: never asked twice.
            models.UniqueConstraint(
                fields=["contact", "nps_round"],
                condition=Q(kind="nps"),
                name="survey_one_nps_per_round",
            ),
            models.CheckConstraint(
                condition=Q(rating__isnull=True)
                | Q(rating__lte=5)
                | Q(scale="nps", rating__lte=10),
                name="survey_rating_range",
            ),
            models.CheckConstraint(
                condition=Q(effort__isnull=True) | Q(effort__gte=1, effort__lte=7),
                name="survey_effort_range",
            ),
        ]
        indexes = [
            # The sweep: what is due, oldest first.
            models.Index(
                fields=["due_at", "id"],
                condition=Q(state="scheduled"),
                name="survey_due_idx",
            ),
            # Suppression: the contact's last survey sent.
            models.Index(fields=["contact", "-sent_at"], name="survey_contact_sent_idx"),
            # The figures: answers and sends by period, per team.
            models.Index(fields=["sent_at"], name="survey_sent_idx"),
            models.Index(fields=["team", "sent_at"], name="survey_team_sent_idx"),
            models.Index(fields=["answered_at"], name="survey_answered_idx"),
            # NPS eligibility: the contact's last NPS survey.
            models.Index(
                fields=["contact", "-created_at"],
                condition=Q(kind="nps"),
                name="survey_nps_contact_idx",
            ),
        ]

    # Why a survey was not sent (`reason`): services.py checks them in this order.
    REASONS = {
        "reopened": "the case was reopened",
        "merged": "merged into another case",
        "skip_tag": "tagged to skip",
        "no_agent_response": "solved without an agent's reply",
        "auto_reply_or_bounce": "automatic reply or bounce",
        "opted_out": "the customer opted out",
        "recently_surveyed": "surveyed recently",
        "no_channel": "no channel to ask on",
    }

    def __str__(self) -> str:
        return f"{self.get_kind_display()} survey #{self.pk} ({self.state})"

    @property
    def reason_display(self) -> str:
        return self.REASONS.get(self.reason, self.reason)


class SurveyOptOut(models.Model):
    """A contact who asked never to be surveyed again (the link on every survey)."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="survey_opt_out"
    )
    survey = models.ForeignKey(
        Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField()

    def __str__(self) -> str:
        return f"opt-out of contact {self.contact_id}"


class FollowUp(models.Model):
    """A bad answer to win back: open until a supervisor has contacted the customer and
    resolved it. `resolved_at - opened_at` is the time it took to close the loop."""

    class State(models.TextChoices):
        OPEN = "open", "Open"
        CONTACTED = "contacted", "Customer contacted"
        RESOLVED = "resolved", "Resolved"

    survey = models.OneToOneField(Survey, on_delete=models.CASCADE, related_name="follow_up")
    case = models.ForeignKey(
        "cases.Case",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="feedback_follow_ups",
    )
    contact = models.ForeignKey(
        "contacts.Contact", on_delete=models.CASCADE, related_name="feedback_follow_ups"
    )
    team = models.ForeignKey(
        "accounts.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    state = models.CharField(max_length=10, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField()
    contacted_at = models.DateTimeField(null=True, blank=True)
    contacted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    note = models.TextField(blank=True)
    # What the root-cause model makes of the answer's comment (services.follow_up_suggest):
    # [{"root_cause": id, "path": "Billing › Double charge", "score": 0.62}, …], best first.
    suggestions = models.JSONField(default=list, blank=True)
    suggested_from = models.CharField(
        max_length=80, blank=True, help_text="model version and comment digest suggested from"
    )

    class Meta:
        ordering = ["-opened_at", "-id"]
        indexes = [
            models.Index(fields=["team", "state", "-opened_at"], name="follow_up_team_state_idx"),
            models.Index(fields=["state", "-opened_at"], name="follow_up_state_idx"),
            models.Index(fields=["contact", "-opened_at"], name="follow_up_contact_idx"),
        ]

    def __str__(self) -> str:
        return f"follow-up #{self.pk} ({self.state})"


class ContactRisk(models.Model):
    """A customer's at-risk score and the reasons it is made of (apps/feedback/risk.py),
    as last computed; recomputed when their cases change and hourly as signals fade."""

    contact = models.OneToOneField(
        "contacts.Contact", on_delete=models.CASCADE, related_name="risk", primary_key=True
    )
    score = models.FloatField(default=0)
    reasons = models.JSONField(default=list)
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["-score", "contact"], name="contact_risk_score_idx")]

    def __str__(self) -> str:
        return f"risk {self.score} of contact {self.contact_id}"
