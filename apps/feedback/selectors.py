"""Customer feedback, the reads: who sees which follow-ups and answers, and the figures.

The figures (`csat_figures`) are over the surveys SENT in the period (`sent_at` in
[start, end)): `sent`, `responses` (answered), `satisfied` (good, or 4–5 on the 1–5 scale),
`csat` = satisfied ÷ responses, `response_rate` = responses ÷ sent, and `effort` = the mean
customer-effort answer (1 very hard … 7 very easy) over those who gave one. A survey is
counted under the team, agent, channel, priority and root cause its case had when it went
out (models.py). A supervisor or agent sees their teams' surveys; an admin every survey.

The NPS figures (`nps_figures`) are over the NPS surveys sent in the period, in the same way:
`responses`, `promoters` (9–10), `passives` (7–8), `detractors` (0–6) and

    nps = 100 × promoters ÷ responses − 100 × detractors ÷ responses   (−100 … +100)

rounded to one decimal, shown beside its response count; no response, no figure (None, not
0). Trends (CSAT's effort for CES, and NPS) are per local `week` (starting Monday) or `month`.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, DateField, F, Q, QuerySet
from django.db.models.functions import TruncDate, TruncMonth, TruncWeek
from django.utils import timezone

from apps.accounts.models import AgentProfile, role_of
from apps.accounts.types import User
from apps.cases.models import REFERENCE_PREFIX
from apps.core.errors import DomainError

from . import risk, services
from .models import ContactRisk, FollowUp, Survey, SurveyOptOut

FOLLOW_UP_PAGE = 100
GROUPS = {
    "team": "team_id",
    "agent": "agent_id",
    "channel": "channel",
    "priority": "priority",
    "root_cause": "root_cause_id",
    "day": "day",
    "week": "week",
    "month": "month",
}
PERIODS = {"day": TruncDate, "week": TruncWeek, "month": TruncMonth}


def _by_period(surveys: QuerySet[Survey], group: str) -> QuerySet[Survey]:
    """Annotate the local day, or the local date a week (Monday) or month starts."""
    tz = timezone.get_current_timezone()
    if group == "day":
        return surveys.annotate(day=TruncDate("sent_at", tzinfo=tz))
    period = PERIODS[group]("sent_at", output_field=DateField(), tzinfo=tz)
    return surveys.annotate(**{group: period})


def comment_editable(survey: Survey, now: datetime | None = None) -> bool:
    until = services.comment_editable_until(survey)
    return until is not None and (now or timezone.now()) < until


def opted_out(contact_id: int) -> bool:
    return SurveyOptOut.objects.filter(contact_id=contact_id).exists()


def _is_admin(user: User) -> bool:
    return role_of(user) == AgentProfile.Role.ADMIN


def surveys_visible_to(user: User) -> QuerySet[Survey]:
    """Surveys of the user's teams' cases (admins: all)."""
    if not user.is_authenticated or not user.is_active:
        return Survey.objects.none()
    surveys = Survey.objects.all()
    if _is_admin(user):
        return surveys
    return surveys.filter(team__in=user.teams.values("pk"))


def follow_ups_for(*, user: User, state: str | None = None) -> QuerySet[FollowUp]:
    """The follow-ups the user may see and handle, newest first, with what the list shows
    (constant queries: one, whatever the page)."""
    rows = FollowUp.objects.select_related(
        "survey", "case", "contact", "team", "contacted_by", "resolved_by"
    ).order_by("-opened_at", "-id")
    if not _is_admin(user):
        rows = rows.filter(team__in=user.teams.values("pk"))
    if state:
        rows = rows.filter(state=state)
    return rows


class BadCursor(DomainError):
    """A page link (`after`) that is not one of ours: the page answers 400."""

    code = "bad_cursor"
    status = 400


def follow_ups_page(
    rows: QuerySet[FollowUp], *, after: str = "", size: int | None = None
) -> tuple[list[FollowUp], str | None]:
    """One page of `rows` (newest first, as follow_ups_for orders them) after the cursor
    `after` ("<opened_at ISO>~<id>" of the last row of the page before; "" for the first),
    and the cursor of the next page (None at the end): a keyset, no OFFSET, no count."""
    if after:
        try:
            raw_at, raw_id = after.rsplit("~", 1)
            at, pk = datetime.fromisoformat(raw_at), int(raw_id)
        except ValueError:
            raise BadCursor(after) from None
        if at.tzinfo is None:
            raise BadCursor(after)
        rows = rows.filter(Q(opened_at__lt=at) | Q(opened_at=at, id__lt=pk))
    size = size or FOLLOW_UP_PAGE
    page = list(rows[: size + 1])
    if len(page) <= size:
        return page, None
    page = page[:size]
    last = page[-1]
    return page, f"{last.opened_at.isoformat()}~{last.pk}"


def follow_up_counts(*, user: User) -> dict[str, int]:
    rows = follow_ups_for(user=user).order_by().values("state").annotate(n=Count("id"))
    counts = {state: 0 for state in FollowUp.State.values}
    counts.update({row["state"]: row["n"] for row in rows})
    return counts


def follow_ups_of_case(*, case_id: int) -> list[FollowUp]:
    return list(
        FollowUp.objects.filter(case_id=case_id).select_related("survey").order_by("-opened_at")
    )


def surveys_of_case(*, case_id: int) -> list[Survey]:
    return list(Survey.objects.filter(case_id=case_id).order_by("-created_at"))


@dataclass(frozen=True)
class FigureRow:
    key: Any
    sent: int
    responses: int
    satisfied: int
    effort: float | None
    effort_responses: int = 0  # answers that rated the effort (the question is optional)

    @property
    def csat(self) -> float | None:
        return round(100 * self.satisfied / self.responses, 1) if self.responses else None

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.sent, 1) if self.sent else None

    def as_dict(self) -> dict[str, Any]:
        key = self.key.isoformat() if hasattr(self.key, "isoformat") else self.key
        return {
            "key": key,
            "sent": self.sent,
            "responses": self.responses,
            "satisfied": self.satisfied,
            "csat": self.csat,
            "response_rate": self.response_rate,
            "effort": round(self.effort, 2) if self.effort is not None else None,
        }


def csat_figures(
    *,
    user: User,
    start: datetime,
    end: datetime,
    group: str | None = None,
    filters: dict[str, Any] | None = None,
) -> list[FigureRow]:
    """CSAT over the surveys sent in [start, end), in total (`group` None: one row) or per
    team, agent, channel, priority, root cause or local day. One query."""
    surveys = surveys_visible_to(user).filter(
        kind=Survey.Kind.CSAT, sent_at__gte=start, sent_at__lt=end
    )
    for name, value in (filters or {}).items():
        if value not in (None, ""):
            surveys = surveys.filter(**{GROUPS[name]: value})
    measures = {
        "sent": Count("id"),
        "responses": Count("id", filter=Q(state=Survey.State.ANSWERED)),
        "satisfied": Count("id", filter=Q(state=Survey.State.ANSWERED, satisfied=True)),
        # Before "effort": that name is the mean's once it is added. A count of the column
        # is of the answers that rated the effort (the question is optional).
        "effort_responses": Count("effort", filter=Q(state=Survey.State.ANSWERED)),
        "effort": Avg("effort", filter=Q(state=Survey.State.ANSWERED)),
    }
    if group is None:
        total = surveys.aggregate(**measures)
        return [FigureRow(key=None, **total)]
    if group in PERIODS:
        surveys = _by_period(surveys, group)
    field = GROUPS[group]
    rows = surveys.order_by().values(field).annotate(**measures).order_by(field)
    return [
        FigureRow(
            key=row[field],
            sent=row["sent"],
            responses=row["responses"],
            satisfied=row["satisfied"],
            effort=row["effort"],
            effort_responses=row["effort_responses"],
        )
        for row in rows
    ]


@dataclass(frozen=True)
class NpsRow:
    key: Any
    sent: int
    responses: int
    promoters: int
    passives: int
    detractors: int

    @property
    def nps(self) -> float | None:
        if not self.responses:
            return None
        return round(100 * (self.promoters - self.detractors) / self.responses, 1)

    @property
    def response_rate(self) -> float | None:
        return round(100 * self.responses / self.sent, 1) if self.sent else None

    def as_dict(self) -> dict[str, Any]:
        key = self.key.isoformat() if hasattr(self.key, "isoformat") else self.key
        return {
            "key": key,
            "sent": self.sent,
            "responses": self.responses,
            "promoters": self.promoters,
            "passives": self.passives,
            "detractors": self.detractors,
            "nps": self.nps,
            "response_rate": self.response_rate,
        }


NPS_GROUPS = ("team", "channel", "week", "month")


def nps_figures(
    *,
    user: User,
    start: datetime,
    end: datetime,
    group: str | None = None,
    filters: dict[str, Any] | None = None,
) -> list[NpsRow]:
    """NPS over the NPS surveys sent in [start, end), in total or per team, channel, week or
    month. One query."""
    answered = Q(state=Survey.State.ANSWERED)
    surveys = surveys_visible_to(user).filter(
        kind=Survey.Kind.NPS, sent_at__gte=start, sent_at__lt=end
    )
    for name, value in (filters or {}).items():
        if value not in (None, ""):
            surveys = surveys.filter(**{GROUPS[name]: value})
    measures = {
        "sent": Count("id"),
        "responses": Count("id", filter=answered),
        "promoters": Count("id", filter=answered & Q(rating__gte=services.NPS_PROMOTER)),
        "passives": Count(
            "id",
            filter=answered
            & Q(rating__gt=services.NPS_DETRACTOR, rating__lt=services.NPS_PROMOTER),
        ),
        "detractors": Count("id", filter=answered & Q(rating__lte=services.NPS_DETRACTOR)),
    }
    if group is None:
        return [NpsRow(key=None, **surveys.aggregate(**measures))]
    if group in PERIODS:
        surveys = _by_period(surveys, group)
    field = GROUPS[group]
    rows = surveys.order_by().values(field).annotate(**measures).order_by(field)
    return [NpsRow(key=row.pop(field), **row) for row in rows]


def answers_for(*, user: User, search: str = "") -> QuerySet[Survey]:
    """Answered surveys the user may see, newest first; `search` finds words in comments."""
    rows = (
        surveys_visible_to(user)
        .filter(state=Survey.State.ANSWERED)
        .select_related("case", "contact", "team", "agent")
        .order_by("-answered_at", "-id")
    )
    if search:
        rows = rows.filter(comment__icontains=search)
    return rows


@dataclass(frozen=True)
class CustomerFeedback:
    """What the case page and the customer 360 show of a contact's feedback."""

    this_case: Survey | None  # the case's own survey, whatever its state
    answers: list[Survey]  # the contact's latest answers the user may see, newest first
    open_follow_ups: list[FollowUp]
    can_follow_up: bool  # the user handles follow-ups (a supervisor or an admin)
    risk: "ContactRisk | None"  # the at-risk score and its reasons
    at_risk: bool


RECENT_ANSWERS = 5


def customer_feedback(
    *, contact_id: int, user: User, case_id: int | None = None
) -> CustomerFeedback:
    """The contact's feedback for the requester panel: two queries (the surveys, with their
    follow-ups joined; the risk score), whatever the contact's history — it reads the newest
    few only."""
    visible = surveys_visible_to(user)
    wanted = Q(contact_id=contact_id, state=Survey.State.ANSWERED)
    if case_id is not None:
        wanted |= Q(case_id=case_id)
    rows = list(
        Survey.objects.filter(wanted)
        .filter(Q(pk__in=visible.values("pk")) | Q(case_id=case_id))
        .select_related("follow_up", "case")
        .order_by(F("answered_at").desc(nulls_first=True), "-created_at", "-id")[
            : RECENT_ANSWERS + 1
        ]
    )
    this_case = next(  # the case's satisfaction survey (an NPS one may ride on it too)
        (
            s
            for s in rows
            if case_id is not None and s.case_id == case_id and s.kind == Survey.Kind.CSAT
        ),
        None,
    )
    answers = [s for s in rows if s.state == Survey.State.ANSWERED][:RECENT_ANSWERS]
    follow_ups = [
        s.follow_up
        for s in rows
        if hasattr(s, "follow_up") and s.follow_up.state != FollowUp.State.RESOLVED
    ]
    contact_risk_row = ContactRisk.objects.filter(contact_id=contact_id).first()
    return CustomerFeedback(
        risk=contact_risk_row,
        at_risk=bool(contact_risk_row and contact_risk_row.score >= settings.CXDESK_RISK_THRESHOLD),
        this_case=this_case,
        answers=answers,
        open_follow_ups=follow_ups,
        can_follow_up=role_of(user) in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN),
    )


# --- the at-risk score's signals (apps/feedback/risk.py) ------------------------------------


def _ref(case_id: int | None) -> str:
    return f"{REFERENCE_PREFIX}-{case_id:06d}" if case_id else ""


def risk_signals(*, contact_ids: Iterable[int], now: datetime) -> dict[int, list[risk.Signal]]:
    """Every signal of these contacts within the lookback: five queries for the batch."""
    from apps.cases.models import Case, CaseEvent
    from apps.sla.models import CaseMetrics, SlaClock

    ids = sorted(set(contact_ids))
    since = now - timedelta(days=risk.LOOKBACK_DAYS)
    signals: dict[int, list[risk.Signal]] = {pk: [] for pk in ids}

    def add(kind: str, rows: Iterable[tuple[int, int | None, datetime | None]]) -> None:
        for contact_id, case_id, at in rows:
            if at is not None:
                signals[contact_id].append(risk.Signal(kind, at, case_id, _ref(case_id)))

    add(
        "bad_rating",
        Survey.objects.filter(
            contact_id__in=ids, state=Survey.State.ANSWERED, satisfied=False, answered_at__gte=since
        ).values_list("contact_id", "case_id", "answered_at"),
    )
    add(
        "repeat_contact",
        CaseMetrics.objects.filter(
            case__requester_id__in=ids,
            fcr_reason=CaseMetrics.FcrReason.REPEAT_CONTACT,
            solved_at__gte=since,
        ).values_list("case__requester_id", "case_id", "solved_at"),
    )
    add(
        "reopened",
        CaseEvent.objects.filter(
            case__requester_id__in=ids, kind=CaseEvent.Kind.REOPENED, at__gte=since
        ).values_list("case__requester_id", "case_id", "at"),
    )
    add(
        "sla_breach",
        SlaClock.objects.filter(case__requester_id__in=ids, breached_at__gte=since).values_list(
            "case__requester_id", "case_id", "breached_at"
        ),
    )
    add(
        "waiting",
        Case.objects.filter(
            requester_id__in=ids,
            status__in=[Case.Status.NEW, Case.Status.OPEN],
            created_at__lte=now - risk.WAITING_GRACE,
        ).values_list("requester_id", "pk", "created_at"),
    )
    return signals


def at_risk_customers(*, user: User, limit: int = 100) -> list[ContactRisk]:
    """The customers the user may see whose score reaches CXDESK_RISK_THRESHOLD, highest
    first (one query; the index on score)."""
    from apps.contacts.models import Contact

    visible = Contact.objects.visible_to(user)
    return list(
        ContactRisk.objects.filter(
            score__gte=settings.CXDESK_RISK_THRESHOLD, contact__in=visible.values("pk")
        )
        .select_related("contact")
        .order_by("-score", "contact_id")[:limit]
    )


def contact_risk(*, contact_id: int) -> ContactRisk | None:
    return ContactRisk.objects.filter(contact_id=contact_id).first()


# --- the figures page (/feedback/figures/) --------------------------------------------------

CSAT_TABLES = {
    "team": "Team",
    "agent": "Agent",
    "channel": "Channel",
    "priority": "Priority",
    "root_cause": "Root cause",
}
TREND_PERIODS = ("week", "month")


@dataclass(frozen=True)
class FigureTable:
    """One table of the figures page (and its CSV): rows of (label, FigureRow | NpsRow)."""

    name: str
    title: str
    dimension: str
    rows: list[tuple[str, Any]]


def _labels(group: str, keys: list[Any]) -> dict[Any, str]:
    """What a group's keys read as: one query for teams, agents or root causes, none else."""
    from django.contrib.auth import get_user_model

    from apps.accounts.models import Team
    from apps.cases.models import Case, Channel
    from apps.rootcauses.models import RootCause

    ids = [k for k in keys if k is not None]
    if group == "team":
        return dict(Team.objects.filter(pk__in=ids).values_list("pk", "name"))
    if group == "agent":
        users = get_user_model().objects.filter(pk__in=ids)
        return {u.pk: u.get_full_name() or u.get_username() for u in users}
    if group == "root_cause":
        return dict(RootCause.objects.filter(pk__in=ids).values_list("pk", "path"))
    if group == "channel":
        return dict(Channel.choices)
    if group == "priority":
        return dict(Case.Priority.choices)
    return {}


def _labelled(group: str, rows: list[Any]) -> list[tuple[str, Any]]:
    labels = _labels(group, [row.key for row in rows])
    none = {"team": "No team", "agent": "Nobody assigned", "root_cause": "No root cause"}
    out = []
    for row in rows:
        if row.key in (None, ""):
            label = none.get(group, "—")
        elif hasattr(row.key, "isoformat"):
            label = row.key.isoformat()
        else:
            label = str(labels.get(row.key, row.key))
        out.append((label, row))
    return out


@dataclass(frozen=True)
class FiguresPage:
    csat_total: FigureRow
    nps_total: NpsRow
    csat_tables: list[FigureTable]  # per team, agent, channel, priority, root cause, period
    nps_trend: FigureTable
    ces_trend: FigureTable  # the CSAT rows per period: their `effort` is the CES mean

    def table(self, name: str) -> FigureTable | None:
        for table in [*self.csat_tables, self.nps_trend, self.ces_trend]:
            if table.name == name:
                return table
        return None


def figures_page(*, user: User, start: datetime, end: datetime, by: str = "week") -> FiguresPage:
    """Every figure of the page over the surveys the user may see sent in [start, end):
    CSAT per dimension and per `by` (week or month), NPS and CES per `by`. Twelve queries
    (nine figures, three sets of labels), whatever the number of surveys."""
    assert by in TREND_PERIODS
    period = {"week": "Week starting", "month": "Month"}[by]
    tables = [
        FigureTable(
            name=group,
            title=f"CSAT per {title.lower()}",
            dimension=title,
            rows=_labelled(group, csat_figures(user=user, start=start, end=end, group=group)),
        )
        for group, title in CSAT_TABLES.items()
    ]
    per_period = _labelled(by, csat_figures(user=user, start=start, end=end, group=by))
    tables.append(FigureTable("period", f"CSAT per {by}", period, per_period))
    nps_rows = _labelled(by, nps_figures(user=user, start=start, end=end, group=by))
    return FiguresPage(
        csat_total=csat_figures(user=user, start=start, end=end)[0],
        nps_total=nps_figures(user=user, start=start, end=end)[0],
        csat_tables=tables,
        nps_trend=FigureTable("nps", f"NPS per {by}", period, nps_rows),
        ces_trend=FigureTable("ces", f"Customer effort per {by}", period, per_period),
    )


def comments_for(*, user: User, search: str = "") -> QuerySet[Survey]:
    """The answers with a comment the user may see, newest first (searchable)."""
    return answers_for(user=user, search=search).exclude(comment="")
