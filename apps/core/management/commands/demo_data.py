"""`manage.py demo_data`: teams, logins, contacts and a few hundred cases for `make demo`.

Everything is written through the services (agent_create, contact_find_or_create, case_open,
interaction_add, case_reply, case_transition …), the way the product itself writes. Texts come
from fixtures/demo.json; every choice comes from random.Random(2026), so two loads at the same
moment are identical.

Each case is first planned as a story (which contacts, replies, notes and status changes, and
when), then written step by step. The services stamp "now" on what they record, so after each
step the rows it created are moved to the step's planned time with one UPDATE, and each case's
response, solve and close times are set once at the end of its story. Rows the load itself
created are recognised by a timestamp at or after the moment the load started: every planned
time lies before it.
"""

import contextlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import phonenumbers
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AgentProfile, Team, role_of
from apps.accounts.services import agent_create, agent_set_capacity
from apps.cases import services as case_services
from apps.cases.models import Case, CaseEvent, Channel, Interaction
from apps.contacts import services as contact_services
from apps.contacts.models import Contact, ContactIdentity
from apps.core.management.demo_setup import chat_widget, demo_setup

FIXTURE = settings.BASE_DIR / "fixtures" / "demo.json"
SEED = 2026
DAYS = 60
DEFAULT_CASES = 360
# The demo is loaded when this login exists (the Makefile prints it).
SENTINEL_LOGIN = "alex.agent"

Status = Case.Status
Kind = ContactIdentity.Kind
IN = Interaction.Direction.INBOUND
MAIN_CHANNELS = (Channel.EMAIL, Channel.CHAT, Channel.PHONE, Channel.SOCIAL)

# The status a case has today depends on how old it is: (younger than N days, weights).
# Solved cases stay young because the auto-close sweep closes them after a few days.
STATUS_BY_AGE = [
    (0.25, {"new": 55, "open": 35, "solved": 10}),
    (1, {"new": 15, "open": 25, "pending": 20, "on_hold": 5, "solved": 35}),
    (4, {"new": 5, "open": 16, "pending": 20, "on_hold": 12, "solved": 47}),
    (10, {"open": 10, "pending": 10, "on_hold": 14, "solved": 8, "closed": 58}),
    # An old backlog: what the supervisor's breach view is for.
    (DAYS + 1, {"open": 5, "pending": 3, "on_hold": 6, "closed": 86}),
]
# When a small load drew no case of some status, the case closest to this age gets it.
IDEAL_AGE_DAYS = {"new": 0.1, "open": 1, "pending": 2, "on_hold": 6, "solved": 1.5, "closed": 20}
PRIORITY_UP = {"low": "normal", "normal": "high", "high": "urgent", "urgent": "urgent"}

MINUTE, HOUR = 60, 3600


@dataclass
class Person:
    """A customer as the plan knows them; their Contact is created at their first case."""

    name: str
    first_name: str
    email: str
    phone: str
    network: str
    handle: str
    visitor: str
    contact: Contact | None = None
    first_at: datetime | None = None
    last_at: datetime | None = None
    created_here: bool = False
    plans: list["CasePlan"] = field(default_factory=list)


@dataclass
class CasePlan:
    created_at: datetime
    channel: str
    topic: dict
    values: dict
    status: str = ""
    person: Person | None = None
    repeat_of: "CasePlan | None" = None  # the same person, contacting again about the same thing


@dataclass
class Step:
    kind: str  # open, inbound, reply, note, assign, tags, priority, transition
    gap: float  # seconds after the previous step
    args: dict
    at: datetime | None = None


class Command(BaseCommand):
    help = "Load demo teams, logins, contacts and cases for `make demo` (safe to run twice)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--cases",
            type=int,
            default=DEFAULT_CASES,
            help=f"how many cases the demo should have (default {DEFAULT_CASES})",
        )
        parser.add_argument(
            "--banner",
            metavar="FILE",
            help="write the text `make demo` prints once its servers are up (URL, logins, "
            "the chat widget's page) to FILE",
        )
        parser.add_argument(
            "--list",
            action="store_true",
            dest="list_logins",
            help="print the demo logins with their role and teams, change nothing",
        )

    def handle(self, *args, cases: int, list_logins: bool, banner: str | None = None, **options):
        data = json.loads(FIXTURE.read_text(encoding="utf-8"))
        if list_logins:
            self._print_logins(data)
            return
        self._load(data, cases)
        if banner:
            Path(banner).parent.mkdir(parents=True, exist_ok=True)
            Path(banner).write_text(self._banner(data), encoding="utf-8")

    def _banner(self, data: dict) -> str:
        """What `make demo` prints once the web server, the worker and beat are up."""
        base = settings.CXDESK_PUBLIC_URL.rstrip("/")
        widget = chat_widget(team=Team.objects.filter(slug="customer-care").first())
        chat = reverse("chat:demo", args=[widget.public_key])
        return (
            "\n"
            f"cxdesk demo on {base}/  (admin: {base}/admin/)\n"
            f"  logins (password {data['password']!r} for all):\n"
            "    alex.agent   — agent in Billing: queue, case page, search\n"
            "    sam.super    — supervisor of Billing and Logistics\n"
            "    noah.kim     — agent in Customer Care: answers the demo chats\n"
            "    admin        — admin, sees everything, admin site\n"
            "    ines.owner   — stakeholder of Billing: its root-cause dashboard and problems,\n"
            "                   no customer named\n"
            "    (every login: .venv/bin/python manage.py demo_data --list)\n"
            f"  chat as a customer: {base}{chat}\n"
            "  web, Celery worker and beat are running; Ctrl-C stops all three.\n"
            "\n"
        )

    def _load(self, data: dict, cases: int) -> None:
        if cases < 1:
            raise CommandError("--cases must be at least 1")
        existing = Case.objects.count()
        topping_up = get_user_model().objects.filter(username=SENTINEL_LOGIN).exists()
        if topping_up and existing >= cases:
            self.stdout.write(f"demo data already loaded ({existing} cases); nothing to do")
            load_demo_macros(data)  # a demo loaded before macros existed gets them too
            self._setup()
            self._print_chat_widget()
            return
        to_make = cases - existing if topping_up else cases
        started = time.monotonic()
        with transaction.atomic():
            # A top-up draws other cases than the first load did, still deterministically.
            loader = DemoLoader(data, rng=random.Random(SEED + existing if topping_up else SEED))
            loader.load(cases=to_make)
        elapsed = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(f"demo data loaded: {to_make} cases in {elapsed:.1f} s")
        )
        self._setup(data)  # before the clocks: the email it receives opens a case too
        self._compute_sla_clocks()
        self._print_summary(data)
        self._print_chat_widget()

    def _setup(self, data: dict | None = None) -> None:
        """Channels, calls, chat sessions, files, saved views, notifications
        (apps/core/management/demo_setup.py): added once, skipped when there."""
        started = time.monotonic()
        added = demo_setup(data=data or json.loads(FIXTURE.read_text(encoding="utf-8")))
        if added:
            what = ", ".join(f"{n} {kind}" for kind, n in added.items())
            self.stdout.write(f"  added {what} in {time.monotonic() - started:.1f} s")

    def _compute_sla_clocks(self) -> None:
        """The clocks of the cases just loaded, now, by the service the worker runs: the
        demo's queue shows time left from its first page, not once the worker has worked
        through a queued recompute per case (minutes on the demo's filesystem broker). The
        tasks the load queued then find nothing to change. With eager tasks (tests, no
        broker) the load computed them already and nothing is left to do here."""
        from apps.sla import services as sla_services

        if not settings.CXDESK_SLA_ENABLED:
            return
        started = time.monotonic()
        policies = sla_services.active_policies()
        ids = sla_services.dirty_case_ids(limit=Case.objects.count())  # one pass, bounded
        for case_id in ids:
            sla_services.case_sla_recompute(case_id=case_id, policies=policies)
        if ids:
            elapsed = time.monotonic() - started
            self.stdout.write(f"  SLA clocks computed for {len(ids)} cases in {elapsed:.1f} s")

    def _print_chat_widget(self) -> None:
        """The demo's chat widget (made once, for Customer Care): where to try a chat."""
        widget = chat_widget(team=Team.objects.filter(slug="customer-care").first())
        base = settings.CXDESK_PUBLIC_URL.rstrip("/")
        self.stdout.write(
            f"  chat widget: {base}{reverse('chat:demo', args=[widget.public_key])} "
            f"(chats go to {widget.team or 'no team'})"
        )

    def _print_logins(self, data: dict) -> None:
        User = get_user_model()
        loaded = set(
            User.objects.filter(username__in=[u["username"] for u in data["users"]]).values_list(
                "username", flat=True
            )
        )
        team_names = {t["slug"]: t["name"] for t in data["teams"]}
        self.stdout.write(f"demo logins (password {data['password']!r} for all):")
        for user in data["users"]:
            teams = ", ".join(team_names[slug] for slug in user["teams"]) or "all teams"
            note = "" if user["username"] in loaded else "  (not loaded yet)"
            self.stdout.write(f"  {user['username']:<16} {user['role']:<11} {teams}{note}")

    def _print_summary(self, data: dict) -> None:
        def counts(field_name: str) -> str:
            rows = Case.objects.values_list(field_name).annotate(n=Count("pk")).order_by(field_name)
            return ", ".join(f"{value} {n}" for value, n in rows)

        self.stdout.write(
            f"  teams: {Team.objects.count()}  users: {get_user_model().objects.count()}  "
            f"contacts: {Contact.objects.count()}  cases: {Case.objects.count()}  "
            f"interactions: {Interaction.objects.count()}"
        )
        self.stdout.write(f"  cases by channel: {counts('channel')}")
        self.stdout.write(f"  cases by status:  {counts('status')}")
        self.stdout.write(
            f"  logins: {', '.join(u['username'] for u in data['users'])} "
            f"(password {data['password']!r}; list them with --list)"
        )


def load_demo_macros(data: dict) -> int:
    """The composer's canned answers (fixtures/demo.json "macros"): shared ones, each team's,
    a supervisor's personal one. Made once by title; a macro edited in the admin is kept."""
    from apps.macros.models import Macro

    existing = set(Macro.objects.values_list("title", flat=True))
    teams = {team.slug: team for team in Team.objects.all()}
    owners = {user.username: user for user in get_user_model().objects.all()}
    made = [
        Macro(
            title=spec["title"],
            body=spec["body"],
            kind=spec.get("kind", ""),
            scope=spec["scope"],
            team=teams[spec["team"]] if spec.get("team") else None,
            owner=owners[spec["owner"]] if spec.get("owner") else None,
            set_status=spec.get("set_status", ""),
            set_priority=spec.get("set_priority", ""),
            add_tags=spec.get("add_tags", ""),
            set_team=teams[spec["set_team"]] if spec.get("set_team") else None,
            assign=spec.get("assign", ""),
        )
        for spec in data.get("macros", [])
        if spec["title"] not in existing and (not spec.get("owner") or spec["owner"] in owners)
    ]
    Macro.objects.bulk_create(made)
    return len(made)


class DemoLoader:
    def __init__(self, data: dict, *, rng: random.Random):
        self.data, self.rng = data, rng
        # Planned times all lie before this moment; rows stamped at or after it are ours.
        self.now = timezone.now()
        self.limit = self.now - timedelta(minutes=1)
        self.auto_close = timedelta(days=settings.CXDESK_AUTO_CLOSE_AFTER_DAYS)
        self.company = data["company"]
        self.texts = data["texts"]
        self.used: set[str] = set()  # identity values handed out, so people stay distinct

    # --- teams and logins ------------------------------------------------------------------

    def load(self, *, cases: int) -> None:
        self._load_teams_and_users()
        self._load_sla()
        load_demo_macros(self.data)
        plans = self._plan(cases)
        for plan in plans:
            self._write_case(plan)
        self._backdate_people(plans)
        self._load_feedback()
        self._load_nps()
        self._mark_history_sent()

    def _load_feedback(self) -> None:
        """The satisfaction surveys of the history, as they went: each solved case's survey
        sent an hour after its solve (by the service, with the rules that suppress some),
        some answered — mostly good, some bad with the follow-up they opened, the older of
        those worked by a supervisor. A survey due after now is left to the beat sweep: the
        demo sends the newest ones while it runs."""
        from apps.feedback import services as feedback
        from apps.feedback.models import FollowUp, Survey
        from apps.notifications.models import Notification

        texts = self.data.get("feedback")
        if not texts:
            return
        rng = self.rng
        supervisors = list(
            get_user_model().objects.filter(profile__role="supervisor").order_by("pk")
        )
        scheduled = Survey.objects.filter(state=Survey.State.SCHEDULED).select_related("case")
        opted_out = False
        for survey in scheduled.order_by("case__solved_at", "pk"):
            solved = survey.case.solved_at if survey.case else None
            if solved is None:
                continue
            sent_at = solved + timedelta(hours=1)
            Survey.objects.filter(pk=survey.pk).update(due_at=sent_at)
            if sent_at >= self.limit:
                continue
            sent = feedback.survey_send(survey_id=survey.pk, now=sent_at)
            if sent is None or sent.state != Survey.State.SENT or sent.interaction_id is None:
                continue
            Interaction.objects.filter(pk=sent.interaction_id).update(
                occurred_at=sent_at, created_at=sent_at
            )
            answered_at = sent_at + timedelta(hours=rng.uniform(0.2, 30))
            if rng.random() >= texts["answer_rate"] or answered_at >= self.limit:
                if not opted_out and answered_at < self.limit:  # one asks for no more
                    feedback.survey_opt_out(survey_id=sent.pk, now=answered_at)
                    opted_out = True
                continue
            good = rng.random() < texts["good_rate"]
            comment = ""
            if rng.random() < texts["comment_rate"]:
                comment = rng.choice(texts["good_comments" if good else "bad_comments"])
            answer = feedback.survey_answer(
                survey_id=sent.pk,
                rating=(1 if good else 0),
                effort=rng.choice([5, 6, 7, 7] if good else [1, 2, 3, 4]),
                comment=comment,
                now=answered_at,
            )
            follow_up = FollowUp.objects.filter(survey_id=answer.pk).first()
            if follow_up is None or not supervisors:
                continue
            Notification.objects.filter(source=f"follow-up:{follow_up.pk}").update(
                created_at=answered_at, email_status=Notification.Email.NONE
            )
            worked_at = answered_at + timedelta(hours=rng.uniform(1, 40))
            if worked_at < self.limit - timedelta(days=1) and rng.random() < 0.7:
                feedback.follow_up_advance(
                    follow_up_id=follow_up.pk,
                    to=FollowUp.State.RESOLVED,
                    actor=rng.choice(supervisors),
                    note=rng.choice(texts["follow_up_notes"]),
                    now=worked_at,
                )

    def _load_nps(self) -> None:
        """The NPS question of the history, as beat asked it: a batch a week over the last
        twelve weeks (the service's own choice of contacts and rules), each sent at once,
        some answered — mostly promoters, some detractors with the follow-up they opened."""
        from apps.feedback import services as feedback
        from apps.feedback.models import FollowUp, Survey
        from apps.notifications.models import Notification

        texts = self.data.get("feedback") or {}
        if "nps_mix" not in texts or not settings.CXDESK_NPS_ENABLED:
            return
        rng = self.rng
        # A shuffled deck of ten answers in the mix's proportions, dealt in turn: the demo
        # shows every kind whatever the dice say about how many answer.
        deck = [kind for kind, share in texts["nps_mix"].items() for _ in range(round(10 * share))]
        rng.shuffle(deck)
        dealt = 0
        ratings = {"promoter": [9, 10, 10], "passive": [7, 8], "detractor": [0, 2, 4, 5, 6, 6]}
        for weeks_ago in range(12, 0, -1):
            asked_at = self.now - timedelta(weeks=weeks_ago, hours=rng.uniform(0, 24))
            for survey_id in feedback.nps_surveys_schedule(limit=15, now=asked_at):
                sent = feedback.survey_send(survey_id=survey_id, now=asked_at)
                if sent is None or sent.state != Survey.State.SENT or sent.interaction_id is None:
                    continue
                Interaction.objects.filter(pk=sent.interaction_id).update(
                    occurred_at=asked_at, created_at=asked_at
                )
                Survey.objects.filter(pk=sent.pk).update(created_at=asked_at)
                answered_at = asked_at + timedelta(hours=rng.uniform(0.5, 48))
                if rng.random() >= texts["nps_answer_rate"] or answered_at >= self.limit:
                    continue
                kind = deck[dealt % len(deck)]
                dealt += 1
                comment = ""
                if rng.random() < texts["comment_rate"]:
                    comment = rng.choice(texts["nps_comments"][kind])
                answer = feedback.survey_answer(
                    survey_id=sent.pk,
                    rating=rng.choice(ratings[kind]),
                    comment=comment,
                    now=answered_at,
                )
                follow_up = FollowUp.objects.filter(survey_id=answer.pk).first()
                if follow_up is not None:  # a detractor: its notices are history too
                    Notification.objects.filter(source=f"follow-up:{follow_up.pk}").update(
                        created_at=answered_at, email_status=Notification.Email.NONE
                    )

    def _mark_history_sent(self) -> None:
        """The demo's replies are history, not messages to send now: mark them sent before the
        load commits, so the send tasks queued by case_reply find nothing pending."""
        Interaction.objects.filter(
            delivery_status__in=[Interaction.Delivery.PENDING, Interaction.Delivery.FAILED],
            occurred_at__lt=self.now,
        ).update(
            delivery_status=Interaction.Delivery.SENT,
            sent_at=F("occurred_at"),
            delivery_error="",
            next_attempt_at=None,
        )

    # --- SLA: one calendar and one policy, so every case has clocks ----------------------------

    def _load_sla(self) -> None:
        """Office hours in London with England's public holidays, and targets per priority
        (the worker computes each case's clocks once the load commits)."""
        from apps.sla import services as sla_services
        from apps.sla.models import BusinessCalendar, SlaPolicy

        if SlaPolicy.objects.exists():
            return
        weekday = [["08:00", "18:00"]]
        calendar = BusinessCalendar.objects.filter(name="London office hours").first()
        if calendar is None:
            calendar = sla_services.calendar_save(
                name="London office hours",
                timezone="Europe/London",
                weekly_hours={day: weekday for day in ("mon", "tue", "wed", "thu", "fri")},
                holiday_country="GB",
                holiday_subdivision="ENG",
            )
        # (first response, next response, resolution) in minutes; urgent counts all hours.
        targets = {
            "urgent": (30, 30, 8 * 60, False),
            "high": (2 * 60, 2 * 60, 2 * 600, True),
            "normal": (8 * 60, 4 * 60, 5 * 600, True),
            "low": (2 * 600, 600, 10 * 600, True),
        }
        sla_services.policy_save(
            name="Standard",
            description="Every case: response and resolution targets per priority.",
            position=10,
            calendar=calendar,
            escalate_priority="high",
            targets=[
                {"priority": priority, "metric": metric, "minutes": minutes, "business_hours": b}
                for priority, (first, following, resolution, b) in targets.items()
                for metric, minutes in (
                    ("first_response", first),
                    ("next_response", following),
                    ("resolution", resolution),
                )
            ],
        )

    def _load_teams_and_users(self) -> None:
        self.teams: dict[str, Team] = {}
        new_teams = []
        for spec in self.data["teams"]:
            team, created = Team.objects.get_or_create(
                slug=spec["slug"],
                defaults={"name": spec["name"], "description": spec["description"]},
            )
            self.teams[spec["slug"]] = team
            if created:
                new_teams.append(team.pk)
        Team.objects.filter(pk__in=new_teams).update(created_at=self.now - timedelta(days=120))

        User = get_user_model()
        existing = set(
            User.objects.filter(
                username__in=[u["username"] for u in self.data["users"]]
            ).values_list("username", flat=True)
        )
        new_users = []
        for spec in self.data["users"]:
            if spec["username"] in existing:
                continue  # kept as it is (say an `admin` made with createsuperuser)
            user = agent_create(
                username=spec["username"],
                email=f"{spec['username']}@{self.data['user_email_domain']}",
                role=AgentProfile.Role(spec["role"]),
                teams=[self.teams[slug] for slug in spec["teams"]],
                password=self.data["password"],
                first_name=spec["first_name"],
                last_name=spec["last_name"],
            )
            if "max_open_cases" in spec:  # the console's workload shows who is over it
                agent_set_capacity(user=user, max_open_cases=spec["max_open_cases"])
            new_users.append(user.pk)
        User.objects.filter(pk__in=new_users).update(date_joined=self.now - timedelta(days=90))

        # Who works each team's cases: its members as the database has them. A login with a
        # larger "share" gets more of them (the one the Makefile shows gets a fuller queue).
        self.share = Counter({u.username: 1 for u in User.objects.all()})
        self.share.update({u["username"]: u.get("share", 1) - 1 for u in self.data["users"]})
        self.workers: dict[str, list] = {}
        self.supervisors: dict[str, list] = {}
        for slug, team in self.teams.items():
            members = list(
                team.members.filter(is_active=True).select_related("profile").order_by("username")
            )
            self.workers[slug] = [u for u in members if role_of(u) == AgentProfile.Role.AGENT]
            self.supervisors[slug] = [
                u for u in members if role_of(u) == AgentProfile.Role.SUPERVISOR
            ]

    # --- the plan: when, which channel, which problem, which person, which status ---------------

    def _plan(self, n: int) -> list[CasePlan]:
        rng = self.rng
        teams = self.data["teams"]
        topics_by_team: dict[str, list[dict]] = {}
        for topic in self.data["topics"]:
            topics_by_team.setdefault(topic["team"], []).append(topic)
        channels = self._channel_deck(n)

        plans = []
        for i in range(n):
            # Stratified over the last DAYS days, so even a small load covers the whole span.
            created = self.now - timedelta(days=(i + rng.random()) * DAYS / n)
            if created.hour < 7 and rng.random() < 0.8:  # most people write during the day
                created = created.replace(hour=rng.randint(8, 19))
            created = min(created, self.now - timedelta(minutes=rng.randint(3, 30)))
            created = max(created, self.now - timedelta(days=DAYS) + timedelta(minutes=5))
            team = rng.choices(teams, weights=[t["weight"] for t in teams])[0]
            topic = rng.choice(topics_by_team[team["slug"]])
            plans.append(
                CasePlan(
                    created_at=created,
                    channel=channels[i],
                    topic=topic,
                    values=self._values(created),
                )
            )

        for plan in plans:
            age = (self.now - plan.created_at).total_seconds() / 86400
            weights = next(w for max_age, w in STATUS_BY_AGE if age < max_age)
            plan.status = rng.choices(list(weights), weights=list(weights.values()))[0]
        self._ensure_every_status(plans)

        plans.sort(key=lambda p: p.created_at)
        self._assign_people(plans)
        return plans

    def _channel_deck(self, n: int) -> list[str]:
        weights = self.data["channels"]["weights"]
        total = sum(weights.values())
        deck: list[str] = []
        for channel, weight in weights.items():
            deck += [channel] * max(round(n * weight / total), 1 if channel in MAIN_CHANNELS else 0)
        while len(deck) > n:
            deck.remove(Counter(deck).most_common(1)[0][0])
        deck += [Channel.EMAIL] * (n - len(deck))
        self.rng.shuffle(deck)
        return deck

    def _ensure_every_status(self, plans: list[CasePlan]) -> None:
        counts = Counter(p.status for p in plans)
        for status, ideal in IDEAL_AGE_DAYS.items():
            spare = [p for p in plans if counts[p.status] > 1]
            if counts[status] or not spare:
                continue
            ages = [abs((self.now - p.created_at).total_seconds() / 86400 - ideal) for p in spare]
            chosen = spare[ages.index(min(ages))]
            counts[chosen.status] -= 1
            chosen.status = status
            counts[status] += 1

    def _assign_people(self, plans: list[CasePlan]) -> None:
        """Who writes each case: mostly new people, some coming back (often on another channel)."""
        rng = self.rng
        people: list[Person] = []
        for plan in plans:
            recent = [
                p for p in people if plan.created_at - p.plans[-1].created_at < timedelta(days=10)
            ]
            if people and rng.random() < 0.25:
                if recent and rng.random() < 0.6:
                    person = rng.choice(recent)
                    if rng.random() < 0.6:
                        self._repeat(plan, person.plans[-1])
                else:
                    person = rng.choice(people)
            else:
                person = self._new_person()
                people.append(person)
            plan.person = person
            person.plans.append(plan)

        # The unification story must show even in a small load: someone writes an email and
        # then calls about it. Prefer an email followed by a call, else any two channels.
        if any(len({p.channel for p in person.plans}) > 1 for person in people):
            return
        pairs = [
            (a, b)
            for i, a in enumerate(plans)
            for b in plans[i + 1 :]
            if a.channel != b.channel and len(b.person.plans) == 1
        ]
        if not pairs:
            return
        first, later = max(
            pairs, key=lambda ab: (ab[0].channel == Channel.EMAIL, ab[1].channel == Channel.PHONE)
        )
        later.person.plans.remove(later)
        later.person = first.person
        first.person.plans.append(later)
        first.person.plans.sort(key=lambda p: p.created_at)
        self._repeat(later, first)

    def _repeat(self, plan: CasePlan, previous: CasePlan) -> None:
        plan.repeat_of = previous
        plan.topic = previous.topic
        plan.values = {**previous.values, "date": plan.values["date"]}

    def _new_person(self) -> Person:
        rng, people = self.rng, self.data["people"]
        first, last = rng.choice(people["first_names"]), rng.choice(people["last_names"])
        f, la = _ascii(first), _ascii(last)
        email = self._unique(
            lambda: (
                rng.choice(
                    [f"{f}.{la}", f"{f[0]}{la}", f"{f}{la[0]}", f"{f}.{la}{rng.randint(1, 99)}"]
                )
                + "@"
                + rng.choice(people["email_domains"])
            )
        )
        handle = self._unique(
            lambda: rng.choice(
                [f"{f}_{la}", f"{f}{la}{rng.randint(1, 99)}", f"{f[0]}{la}", f"the.{f}.{la}"]
            )
        )
        return Person(
            name=f"{first} {last}",
            first_name=first,
            email=email,
            phone=self._unique(self._phone_number),
            network=rng.choice(people["social_networks"]),
            handle=handle,
            visitor=f"v-{rng.getrandbits(48):012x}",
        )

    def _phone_number(self) -> str:
        """A number from a fiction-friendly range that phonenumbers accepts as valid."""
        for _ in range(50):
            pattern = self.rng.choice(self.data["people"]["phone_patterns"])
            raw = "".join(str(self.rng.randint(0, 9)) if c == "#" else c for c in pattern)
            number = phonenumbers.parse(raw)
            if phonenumbers.is_valid_number(number):
                return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
        raise CommandError("fixtures/demo.json: no valid phone number in phone_patterns")

    def _unique(self, make) -> str:
        for _ in range(1000):
            value = make()
            if value not in self.used:
                self.used.add(value)
                return value
        raise CommandError("demo data: ran out of distinct customer addresses")

    def _values(self, created: datetime) -> dict:
        """The {placeholders} of one case's texts."""
        rng = self.rng
        values = {key: rng.choice(options) for key, options in self.data["values"].items()}
        earlier = created - timedelta(days=rng.randint(1, 6))
        values.update(
            brand=self.company["brand"],
            website=self.company["website"],
            order=f"BC-{rng.randint(100000, 999999)}",
            invoice=f"INV-{earlier.year}-{rng.randint(10000, 99999)}",
            amount=f"${rng.randint(9, 249)}.{rng.choice(['00', '49', '90', '99'])}",
            last4=f"{rng.randint(0, 9999):04d}",
            tracking=f"1Z{rng.getrandbits(40):010X}",
            date=f"{earlier:%B} {earlier.day}",
            days=rng.randint(4, 9),
            points=rng.choice([120, 250, 480, 900]),
            crm_ref=f"ACC-{rng.randint(1000, 9999)}",
        )
        return values

    # --- one case's story -----------------------------------------------------------------

    def _write_case(self, plan: CasePlan) -> None:
        team = self.teams[plan.topic["team"]]
        rng = self.rng
        supervisors = self.supervisors[team.slug]
        workers = self.workers[team.slug] or supervisors
        agent = (
            rng.choice(supervisors)
            if supervisors and rng.random() < 0.1
            else rng.choices(workers, weights=[self.share[u.username] for u in workers])[0]
        )
        boss = rng.choice(supervisors) if supervisors else agent
        values = {
            **plan.values,
            "first_name": plan.person.first_name,
            "name": plan.person.name,
            "agent_first": agent.first_name,
            "agent_initial": agent.first_name[:1],
        }
        story = Story(self, plan, team=team, agent=agent, boss=boss, values=values)
        steps = story.build()
        self._fit_times(plan, steps)
        contact = self._requester(plan)
        self._run(plan, steps, contact)

    def _fit_times(self, plan: CasePlan, steps: list[Step]) -> None:
        """Give every step a time: in order, after the case opened, and before now."""
        closing = steps[-1] if plan.status == Status.CLOSED else None
        if closing is not None:
            before_close = plan.created_at + timedelta(seconds=sum(s.gap for s in steps[:-1]))
            if before_close + self.auto_close + timedelta(minutes=15) <= self.limit:
                closing.gap = self.auto_close.total_seconds() + self.rng.uniform(60, 600)
            else:  # too recent for the sweep: the agent closed it by hand
                closing.gap = self.rng.uniform(5 * MINUTE, HOUR)
                closing.args["actor"] = closing.args.pop("agent_if_manual")
        span = sum(s.gap for s in steps)
        room = (self.limit - plan.created_at).total_seconds()
        scale = min(1.0, room / span) if span else 1.0
        at = plan.created_at
        for step in steps:
            at += timedelta(seconds=step.gap * scale)
            step.at = at
        # A solved case stays solved in the demo only if the auto-close sweep has not reached it.
        last, swept_before = steps[-1], self.now - self.auto_close
        if plan.status == Status.SOLVED and last.at < swept_before + timedelta(hours=1):
            earliest = max(steps[-2].at, swept_before + timedelta(hours=2))
            if earliest < self.limit:
                last.at = earliest + (self.limit - earliest) * self.rng.random()

    def _requester(self, plan: CasePlan) -> Contact:
        """The contact an ingester would find for this channel's address, as a service call."""
        person, at = plan.person, plan.created_at
        kind, value, network = _identity_for(person, plan.channel)
        if person.contact is None:
            contact, created = contact_services.contact_find_or_create(
                kind=kind, value=value, network=network, name=person.name
            )
            person.contact, person.created_here, person.first_at = contact, created, at
        else:
            # The agent recognised the person and linked their new address to them.
            # IdentityTaken only in a top-up load: another demo person has this address.
            with contextlib.suppress(contact_services.IdentityTaken):
                contact_services.contact_add_identity(
                    contact=person.contact, kind=kind, value=value, network=network
                )
            contact, _ = contact_services.contact_find_or_create(
                kind=kind, value=value, network=network
            )
        if plan.channel == Channel.CHAT:
            with contextlib.suppress(contact_services.IdentityTaken):
                contact_services.contact_add_identity(
                    contact=contact, kind=Kind.CHAT, value=person.visitor
                )
        person.last_at = at
        ContactIdentity.objects.filter(contact=contact, created_at__gte=self.now).update(
            created_at=at
        )
        return contact

    def _run(self, plan: CasePlan, steps: list[Step], contact: Contact) -> None:
        case = None
        first_response = solved = closed = None
        for step in steps:
            args, at = step.args, step.at
            if step.kind == "open":
                case = case_services.case_open(
                    requester=contact, channel=plan.channel, occurred_at=at, **args
                ).case
            elif step.kind == "inbound":
                case_services.interaction_add(
                    case_id=case.pk, direction=IN, author_contact=contact, occurred_at=at, **args
                )
                solved = None  # a customer writing after a solve reopens the case
            elif step.kind in ("reply", "note"):
                if step.kind == "reply":
                    interaction = case_services.case_reply(case_id=case.pk, **args)
                    first_response = first_response or at
                    solved = at if args.get("then_status") == Status.SOLVED else solved
                else:
                    interaction = case_services.case_note(case_id=case.pk, **args)
                Interaction.objects.filter(pk=interaction.pk).update(occurred_at=at)
            elif step.kind == "assign":
                case_services.case_assign(case_id=case.pk, **args)
            elif step.kind == "tags":
                case_services.case_set_tags(case_id=case.pk, **args)
            elif step.kind == "priority":
                case_services.case_set_priority(case_id=case.pk, **args)
            elif step.kind == "transition":
                args.pop("agent_if_manual", None)
                case_services.case_transition(case_id=case.pk, **args)
                solved = at if args["to"] == Status.SOLVED else solved
                closed = at if args["to"] == Status.CLOSED else closed
            else:
                raise ValueError(f"unknown step {step.kind!r}")
            CaseEvent.objects.filter(case_id=case.pk, at__gte=self.now).update(at=at)
        Interaction.objects.filter(case_id=case.pk, created_at__gte=self.now).update(
            created_at=F("occurred_at")
        )
        Case.objects.filter(pk=case.pk).update(
            first_response_at=first_response,
            solved_at=solved,
            closed_at=closed,
            updated_at=steps[-1].at,
        )

    def _backdate_people(self, plans: list[CasePlan]) -> None:
        people = {id(p.person): p.person for p in plans}.values()
        contacts = [
            Contact(pk=p.contact.pk, created_at=p.first_at, updated_at=p.last_at)
            for p in people
            if p.created_here
        ]
        Contact.objects.bulk_update(contacts, ["created_at", "updated_at"], batch_size=500)


class Story:
    """The steps of one case, by channel and by the status it should end in."""

    def __init__(self, loader: DemoLoader, plan: CasePlan, *, team, agent, boss, values):
        self.loader, self.plan, self.rng = loader, plan, loader.rng
        self.team, self.agent, self.boss, self.values = team, agent, boss, values
        self.topic, self.channel = plan.topic, plan.channel
        self.texts, self.company = loader.texts, loader.company
        self.steps: list[Step] = []
        self.subject = self.fmt(self.topic["subject"])
        self.call_sid = ""
        self.chat_seq = 0
        self.chat_session = f"chat-{self.rng.getrandbits(48):012x}"

    def fmt(self, template: str, **extra) -> str:
        return template.format_map({**self.values, **extra})

    def last_reply_status(self) -> str | None:
        replies = [step for step in self.steps if step.kind == "reply"]
        return replies[-1].args.get("then_status") if replies else None

    def add(self, kind: str, gap: float, **args) -> None:
        self.steps.append(Step(kind=kind, gap=gap, args=args))

    def uniform(self, low: float, high: float) -> float:
        return self.rng.uniform(low, high)

    # --- the whole story -------------------------------------------------------------------

    def build(self) -> list[Step]:
        status, rng = self.plan.status, self.rng
        self.opening()
        if status == Status.NEW:
            if self.channel not in (Channel.PHONE, Channel.CHAT) and rng.random() < 0.25:
                self.customer(rng.choice(self.texts["nudges"]), gap=self.uniform(2, 20) * HOUR)
            return self.steps

        # Written cases are triaged before the answer; calls and chats are wrapped up after.
        live = self.channel in (Channel.PHONE, Channel.CHAT)
        fcr = status in (Status.SOLVED, Status.CLOSED) and rng.random() < 0.4
        if not live:
            self.triage(escalate=True)
        if not self.first_answer(live=live, fcr=fcr):
            return self.steps
        if live:
            self.triage(escalate=not fcr)
        self.towards_status(fcr=fcr)
        if status == Status.CLOSED:
            self.closing()
        return self.steps

    def first_answer(self, *, live: bool, fcr: bool) -> bool:
        """The agent's first answer; False when the case was only picked up (open, unanswered)."""
        status, rng = self.plan.status, self.rng
        if self.channel == Channel.CHAT:
            self.chat_session_steps(solve=fcr)
        elif fcr:
            self.agent_reply("solve", then=Status.SOLVED)
        elif status == Status.OPEN and rng.random() < 0.4 and not live:
            self.picked_up()
            return False
        else:
            self.agent_reply(
                "ask", then=Status.PENDING if status != Status.OPEN or rng.random() < 0.5 else None
            )
        return True

    def picked_up(self) -> None:
        """Assigned (unless it already is) and maybe noted, not answered yet."""
        if not any(step.kind == "assign" for step in self.steps):
            self.add("assign", self.uniform(5, 60) * MINUTE, assignee=self.agent, actor=self.agent)
        if self.rng.random() < 0.5:
            self.add(
                "note",
                self.uniform(5, 90) * MINUTE,
                agent=self.agent,
                body_text=self.fmt(self.topic["note"]),
            )

    def towards_status(self, *, fcr: bool) -> None:
        """After the first answer: the steps that leave the case in its planned status."""
        status, rng = self.plan.status, self.rng
        if status == Status.OPEN:
            if self.last_reply_status() == Status.PENDING or rng.random() < 0.5:
                self.customer(self.fmt(self.topic["follow_up"]), gap=self.uniform(1, 30) * HOUR)
        elif status == Status.PENDING:
            if self.last_reply_status() != Status.PENDING:
                self.agent_reply("update", then=Status.PENDING)
        elif status == Status.ON_HOLD:
            if rng.random() < 0.5:
                self.customer(self.fmt(self.topic["follow_up"]), gap=self.uniform(1, 30) * HOUR)
                self.agent_reply("update")
            self.add(
                "note",
                self.uniform(5, 60) * MINUTE,
                agent=self.agent,
                body_text=self.fmt(self.topic["hold"]),
            )
            self.add("transition", self.uniform(1, 5) * MINUTE, to=Status.ON_HOLD, actor=self.agent)
        elif not fcr:  # solved or closed after some back and forth
            self.customer(self.fmt(self.topic["follow_up"]), gap=self.uniform(1, 30) * HOUR)
            if rng.random() < 0.4:
                self.add(
                    "note",
                    self.uniform(10, 120) * MINUTE,
                    agent=self.agent,
                    body_text=self.fmt(self.topic["note"]),
                )
            self.agent_reply("solve", then=Status.SOLVED, gap=self.uniform(1, 48) * HOUR)

    def closing(self) -> None:
        if self.rng.random() < 0.1:  # it came back: the customer wrote again after the solve
            self.customer(self.fmt(self.topic["reopen"]), gap=self.uniform(6, 60) * HOUR)
            self.agent_reply("solved_again", then=Status.SOLVED, gap=self.uniform(1, 24) * HOUR)
        # By the auto-close sweep (no actor) unless too recent, then by hand (see _fit_times).
        self.add("transition", 0, to=Status.CLOSED, actor=None, agent_if_manual=self.agent)

    # --- the first contact -------------------------------------------------------------------

    def opening(self) -> None:
        plan, topic, rng = self.plan, self.topic, self.rng
        repeat = rng.choice(self.texts["repeat_prefix"]) + " " if plan.repeat_of else ""
        tags = ["repeat-contact"] if plan.repeat_of else []
        common = {"team": self.team, "priority": topic["priority"], "tags": tags}
        channel, person = self.channel, plan.person
        if channel == Channel.EMAIL:
            self.add(
                "open",
                0,
                subject=self.subject,
                body_text=repeat + self.fmt(topic["message"]),
                external_id=self.message_id(person.email),
                metadata={"from": person.email, "to": self.company["support_email"]},
                **common,
            )
        elif channel == Channel.WEB:
            body = f"{repeat}{self.fmt(topic['message'])}\n\n{self.fmt(self.texts['web_form'])}"
            self.add(
                "open",
                0,
                subject=self.subject,
                body_text=body,
                **common,
                metadata={
                    "form": "contact",
                    "email": person.email,
                    "page_url": f"{self.company['website']}/help/{self.team.slug}",
                },
            )
        elif channel == Channel.API:
            self.add(
                "open",
                0,
                subject=self.subject,
                **common,
                body_text=f"{repeat}{self.fmt(topic['message'])}\n\n"
                f"{self.fmt(self.texts['api_note'])}",
                metadata={"source": "crm", "crm_ref": self.values["crm_ref"]},
            )
        elif channel == Channel.SOCIAL:
            post = self.fmt(topic["post"])
            subject = post if len(post) <= 80 else post[:77].rstrip() + "…"
            self.add(
                "open",
                0,
                subject=subject,
                body_text=repeat + post,
                **common,
                external_id=f"{person.network}:{rng.getrandbits(60)}",
                metadata=self.social_meta("mention"),
            )
        elif channel == Channel.PHONE:
            answered = plan.status != Status.NEW
            duration = rng.randint(150, 900) if answered else rng.randint(15, 60)
            self.call_sid = f"CA{rng.getrandbits(128):032x}"
            body = (
                f"{repeat}{self.fmt(topic['call'])}"
                if answered
                else "Voicemail (transcribed): "
                + repeat
                + ". ".join(self.fmt(line) for line in topic["chat"])
                + "."
            )
            staff = {"actor": self.agent, "assignee": self.agent} if answered else {}
            self.add(
                "open",
                0,
                subject=self.subject,
                body_text=body,
                **common,
                **staff,
                external_id=self.call_sid,
                metadata={
                    "call_sid": self.call_sid,
                    "direction": "inbound",
                    "from": person.phone,
                    "to": self.support_phone(),
                    "duration_seconds": duration,
                    "wait_seconds": rng.randint(5, 240) if answered else 0,
                    "disposition": "answered" if answered else "voicemail",
                    "queue": self.team.name,
                },
            )
        elif channel == Channel.CHAT:
            lines = [self.fmt(line) for line in topic["chat"]]
            self.add(
                "open",
                0,
                subject=self.subject,
                body_text=repeat + lines[0],
                **common,
                metadata=self.chat_meta(),
            )
            self.add(
                "inbound",
                self.uniform(10, 50),
                channel=Channel.CHAT,
                body_text=lines[1],
                metadata=self.chat_meta(),
            )
            if plan.status == Status.NEW:  # nobody picked the chat up in time
                self.add(
                    "inbound",
                    self.uniform(2, 6) * MINUTE,
                    channel=Channel.CHAT,
                    body_text=self.texts["chat_missed"],
                    metadata=self.chat_meta(),
                )
        else:
            raise ValueError(f"no opening for channel {channel!r}")

    def triage(self, *, escalate: bool) -> None:
        """Tags, an explicit assignment (written channels) and sometimes a higher priority."""
        rng = self.rng
        if self.channel in (Channel.PHONE, Channel.CHAT):
            gap = self.uniform(1, 4) * MINUTE
        else:
            gap = self.uniform(5, 120) * MINUTE
            if rng.random() < 0.5:
                actor = self.boss if rng.random() < 0.5 else self.agent
                self.add("assign", gap, assignee=self.agent, actor=actor)
                gap = self.uniform(1, 10) * MINUTE
        if rng.random() < 0.75:
            tags = list(self.topic["tags"]) + (["repeat-contact"] if self.plan.repeat_of else [])
            if rng.random() < 0.08:
                tags.append("vip")
            self.add("tags", gap, tags=tags, actor=self.agent)
            gap = self.uniform(10, 60)
        if escalate and rng.random() < (0.5 if self.plan.repeat_of else 0.12):
            self.add("priority", gap, priority=PRIORITY_UP[self.topic["priority"]], actor=self.boss)

    # --- what the agent and the customer say, per channel ----------------------------------

    def agent_reply(self, key: str, *, then: str | None = None, gap: float | None = None) -> None:
        """One public answer on the case's channel (email for web, API and finished chats)."""
        if key == "solved_again":
            text = self.fmt(self.rng.choice(self.texts["solved_again"]))
        else:
            text = self.fmt(self.topic["replies"][key])
        channel, first = self.channel, not any(s.kind == "reply" for s in self.steps)
        metadata: dict = {}
        if channel == Channel.SOCIAL:
            body = self.fmt(self.texts["social_reply"], text=text)
            metadata = self.social_meta("reply" if first else "dm")
            default_gap = self.uniform(10, 180) * MINUTE
        elif channel == Channel.PHONE and first:
            # The answer given during the call that opened the case.
            body = self.fmt(self.texts["phone_reply"], text=text)
            metadata = {"call_sid": self.call_sid, "during_call": True}
            default_gap = self.uniform(1, 8) * MINUTE
        elif channel == Channel.PHONE:
            body = self.fmt(self.texts["phone_callback"], text=text)
            metadata = {
                "call_sid": f"CA{self.rng.getrandbits(128):032x}",
                "direction": "outbound",
                "from": self.support_phone(),
                "to": self.plan.person.phone,
                "duration_seconds": self.rng.randint(90, 600),
                "disposition": "answered",
            }
            default_gap = self.uniform(0.5, 24) * HOUR
        else:
            channel = Channel.EMAIL
            body = self.fmt(self.texts["email_reply"], text=text)
            metadata = {"to": self.plan.person.email, "from": self.company["support_email"]}
            default_gap = self.uniform(0.3, 10) * HOUR
        self.add(
            "reply",
            default_gap if gap is None else gap,
            agent=self.agent,
            body_text=body,
            channel=channel,
            then_status=then,
            metadata=metadata,
        )

    def customer(self, text: str, *, gap: float) -> None:
        """The customer again, on the channel they used (email once a chat is over)."""
        person, channel = self.plan.person, self.channel
        if channel == Channel.SOCIAL:
            self.add(
                "inbound",
                gap,
                channel=channel,
                body_text=text,
                external_id=f"{person.network}:{self.rng.getrandbits(60)}",
                metadata=self.social_meta("dm"),
            )
        elif channel == Channel.PHONE:
            sid = f"CA{self.rng.getrandbits(128):032x}"
            self.add(
                "inbound",
                gap,
                channel=channel,
                body_text=f"Caller: {text}",
                external_id=sid,
                metadata={
                    "call_sid": sid,
                    "direction": "inbound",
                    "from": person.phone,
                    "to": self.support_phone(),
                    "duration_seconds": self.rng.randint(60, 420),
                    "wait_seconds": self.rng.randint(5, 300),
                    "disposition": "answered",
                    "queue": self.team.name,
                },
            )
        else:
            self.add(
                "inbound",
                gap,
                channel=Channel.EMAIL,
                subject=f"Re: {self.subject}",
                body_text=text,
                external_id=self.message_id(person.email),
                metadata={"from": person.email, "to": self.company["support_email"]},
            )

    def chat_session_steps(self, *, solve: bool) -> None:
        """The live chat: a greeting, a question, an answer; solved in the chat or followed up."""
        rng, lines = self.rng, [self.fmt(line) for line in self.topic["chat"]]
        agent_lines = [self.fmt(line) for line in self.topic["chat_agent"]]
        chat = {"agent": self.agent, "channel": Channel.CHAT}
        self.add(
            "reply",
            self.uniform(30, 150),
            **chat,
            metadata=self.chat_meta(),
            body_text=self.fmt(rng.choice(self.texts["chat_greeting"])),
        )
        self.add(
            "inbound",
            self.uniform(15, 60),
            channel=Channel.CHAT,
            body_text=lines[2],
            metadata=self.chat_meta(),
        )
        if solve:
            self.add(
                "reply",
                self.uniform(40, 180),
                **chat,
                body_text=agent_lines[0],
                metadata=self.chat_meta(),
            )
            self.add(
                "reply",
                self.uniform(40, 180),
                **chat,
                body_text=agent_lines[1],
                metadata=self.chat_meta(),
            )
            self.add(
                "inbound",
                self.uniform(10, 40),
                channel=Channel.CHAT,
                body_text=rng.choice(self.texts["chat_thanks"]),
                metadata=self.chat_meta(),
            )
            self.add("transition", self.uniform(20, 90), to=Status.SOLVED, actor=self.agent)
        else:
            then = Status.PENDING if self.plan.status == Status.PENDING else None
            self.add(
                "reply",
                self.uniform(40, 180),
                **chat,
                body_text=agent_lines[0],
                then_status=then,
                metadata=self.chat_meta(),
            )

    # --- metadata ------------------------------------------------------------------------------

    def chat_meta(self) -> dict:
        self.chat_seq += 1
        return {
            "chat_session_id": self.chat_session,
            "visitor_id": self.plan.person.visitor,
            "seq": self.chat_seq,
        }

    def social_meta(self, kind: str) -> dict:
        person = self.plan.person
        return {
            "network": person.network,
            "handle": f"@{person.handle}",
            "kind": kind,
            "brand_handle": f"@{self.company['social_handles'][person.network]}",
        }

    def message_id(self, address: str) -> str:
        return f"<{self.rng.getrandbits(64):016x}@{address.split('@', 1)[1]}>"

    def support_phone(self) -> str:
        number = phonenumbers.parse(self.company["support_phone"])
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _identity_for(person: Person, channel: str) -> tuple[str, str, str]:
    """(kind, value, network) by which a message on `channel` names its sender."""
    if channel == Channel.PHONE:
        return Kind.PHONE, person.phone, ""
    if channel == Channel.SOCIAL:
        return Kind.SOCIAL, person.handle, person.network
    return Kind.EMAIL, person.email, ""  # email, web form, API, and the chat pre-chat form


def _ascii(name: str) -> str:
    return "".join(c for c in name.lower() if c.isascii() and c.isalnum())
