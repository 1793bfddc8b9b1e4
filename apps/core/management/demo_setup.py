"""What `manage.py demo_data` sets up around the demo cases, so no page of the demo is empty:
the channels as a new user finds them configured (a mailbox, the chat widget, social
accounts), the phone app's record of every demo call, the chat sessions of the demo chats,
an email received through the real ingester with its attachments, files on a few cases,
saved views and notifications for the agents, organizations, and the root-cause taxonomy
with the solved cases tagged and a suggestion model trained on them; a few social messages
through the social webhooks' own ingester (the event log), and the delivery log of the CRM's
webhook subscription up to the failures it was paused for.

Each part is keyed on something stable (an address, a name, a call's sid, a case without a
session yet) and skips what exists, so running `demo_data` again adds nothing. It runs after
the cases are loaded, on every run, in one transaction; it writes through the services where
one exists and in bulk where it records what the load already wrote (calls, chat sessions).
"""

import struct
import zlib
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.http import QueryDict
from django.utils import timezone

from apps.accounts.models import Team
from apps.cases import services as case_services
from apps.cases.filters_web import normalised_query
from apps.cases.models import OPEN_STATUSES, Case, Channel, Interaction, SavedView
from apps.contacts.models import Contact, Organization

DEMO_WIDGET_NAME = "Demo shop"  # the chat widget `make demo` prints the page of

# name → queue page parameters (what the queue's "Save view" keeps), per login.
SAVED_VIEWS = {
    "alex.agent": [
        ("Urgent and high", "view=all&status=new&status=open&priority=urgent&priority=high"),
        ("Waiting on the customer", "view=pending&sort=age"),
        ("Calls and chats", "view=queue&channel=phone&channel=chat"),
    ],
    "priya.patel": [("Refunds", "view=all&tag=refund&sort=activity")],
    "noah.kim": [("Live chats", "view=queue&channel=chat")],
    "sam.super": [("Breached", "view=all&sla=breached"), ("Oldest open", "view=all&sort=age")],
}
ORGANIZATIONS = ["Northwind Traders", "Contoso Retail", "Fabrikam Studio"]

# The demo topics' tag (fixtures/demo.json "topics") → (category, cause, owner team's slug):
# the taxonomy an owner would draw up, teams outside the queues owning what they can fix.
ROOT_CAUSES = {
    "double-charge": ("Billing", "Duplicate charge", "billing"),
    "refund": ("Billing", "Refund not received", "billing"),
    "invoice": ("Billing", "Invoice copy", "billing"),
    "payment-failed": ("Billing", "Card declined", "billing"),
    "cancellation": ("Billing", "Cancellation", "billing"),
    "pricing": ("Billing", "Price increase", "billing"),
    "not-delivered": ("Delivery", "Parcel not delivered", "logistics"),
    "damaged": ("Delivery", "Damaged in transit", "logistics"),
    "wrong-item": ("Delivery", "Wrong item picked", "logistics"),
    "address-change": ("Delivery", "Address change", "logistics"),
    "returns": ("Delivery", "Return label", "logistics"),
    "delay": ("Delivery", "Late shipment", "logistics"),
    "password-reset": ("App and account", "Password reset", "tech-support"),
    "app-crash": ("App and account", "App crash", "tech-support"),
    "login": ("App and account", "Two-factor sign-in", "tech-support"),
    "sync": ("App and account", "Sync broken", "tech-support"),
    "checkout": ("App and account", "Checkout error", "tech-support"),
    "notifications": ("App and account", "Notifications", "tech-support"),
}
TAGGED_SHARE = 4  # one solved case in this many is left untagged, for the suggestions


def demo_setup(*, data: dict, now=None) -> dict[str, int]:
    """Everything around the cases; returns how many rows of each kind it added."""
    now = now or timezone.now()
    added: dict[str, int] = {}
    with transaction.atomic():
        teams = {t.slug: t for t in Team.objects.all()}
        care = teams.get("customer-care")
        widget = chat_widget(team=care)
        added["mailbox"] = _mailbox(data, team=care)
        added["social accounts"] = _social_accounts(data, team=care)
        added["calls"] = _calls()
        added["chat sessions"] = _chat_sessions(widget)
        added["attachments"] = _attachments(data)
        added["saved views"] = _saved_views()
        added["notifications"] = _notifications(now)
        added["organizations"] = _organizations()
        added["integrations"] = _integrations(data)
        added["root causes"], added["cases tagged with a root cause"] = _root_causes(teams)
        added["root-cause spikes"] = _root_cause_spike(now)
        added["problems"] = _problem(now)
    added["received email"] = _received_email(data, now)
    added["social events"] = _social_events(now)
    added["webhook deliveries"] = _webhook_deliveries()
    added["root-cause models"] = _root_cause_model()
    return {kind: n for kind, n in added.items() if n}


def chat_widget(*, team: Team | None):
    from apps.chat.models import ChatWidget

    widget = ChatWidget.objects.filter(name=DEMO_WIDGET_NAME).first()
    if widget is None:
        widget = ChatWidget.objects.create(name=DEMO_WIDGET_NAME, team=team)
    return widget


def _mailbox(data: dict, *, team: Team | None) -> int:
    """The support address, fed by the provider's inbound webhook (no IMAP server to poll:
    the demo reaches none), as a new installation configures it first."""
    from apps.mail.models import Mailbox

    _, created = Mailbox.objects.get_or_create(
        email_address=data["company"]["support_email"],
        defaults={"name": f"{data['company']['brand']} support", "team": team},
    )
    return int(created)


def _social_accounts(data: dict, *, team: Team | None) -> int:
    """The brand's accounts on the networks the demo's customers write from (no tokens: the
    demo sends nothing to a network)."""
    from apps.social.models import SocialAccount

    created = 0
    for i, (network, handle) in enumerate(sorted(data["company"]["social_handles"].items())):
        _, new = SocialAccount.objects.get_or_create(
            network=network,
            external_id=f"{17841400000000000 + i * 7919}",
            defaults={"name": f"@{handle}", "team": team},
        )
        created += new
    return created


def _calls() -> int:
    """The phone app's record of each demo call: the load wrote the calls' interactions with
    their facts in the metadata, as the call webhook does; this adds the Call rows that the
    webhook keeps beside them (direction, numbers, duration, disposition, agent)."""
    from apps.phone.models import Call

    known = set(Call.objects.values_list("sid", flat=True))
    calls = []
    rows = (
        Interaction.objects.filter(channel=Channel.PHONE, call__isnull=True)
        .exclude(metadata__direction=None)
        .select_related("case")
        .order_by("pk")
    )
    for item in rows:
        meta = item.metadata or {}
        sid = meta.get("call_sid")
        if not sid or sid in known or meta.get("direction") not in Call.Direction.values:
            continue
        known.add(sid)
        duration = int(meta.get("duration_seconds") or 0)
        voicemail = meta.get("disposition") == "voicemail"
        if voicemail:
            disposition = Call.Disposition.VOICEMAIL
        elif meta["direction"] == Call.Direction.OUTBOUND or item.case.status in Case.DONE_STATUSES:
            disposition = Call.Disposition.RESOLVED
        else:
            disposition = Call.Disposition.CALLBACK_NEEDED
        wait = timedelta(seconds=int(meta.get("wait_seconds") or 0))
        calls.append(
            Call(
                sid=sid,
                provider="twilio",
                direction=meta["direction"],
                from_number=meta.get("from", ""),
                to_number=meta.get("to", ""),
                status=Call.Status.COMPLETED,
                started_at=item.occurred_at - wait,
                answered_at=None if voicemail else item.occurred_at,
                ended_at=item.occurred_at + timedelta(seconds=duration),
                duration_seconds=duration,
                disposition=disposition,
                answered_by="" if voicemail else "human",
                agent=item.author_agent or (None if voicemail else item.case.assignee),
                case=item.case,
                interaction=item,
                contact_id=item.case.requester_id,
                created_at=item.occurred_at,
            )
        )
    Call.objects.bulk_create(calls, batch_size=500)
    return len(calls)


def _chat_sessions(widget) -> int:
    """A chat session (ended) per demo chat case, through the demo widget; its messages name
    the session by id, as the widget's own do."""
    from apps.chat.models import ChatSession

    unlinked = Case.objects.filter(channel=Channel.CHAT, chat_sessions__isnull=True)
    cases = list(unlinked.order_by("pk"))
    if not cases:
        return 0
    messages: dict[int, list[Interaction]] = {}
    for item in Interaction.objects.filter(case__in=cases, channel=Channel.CHAT).order_by("pk"):
        messages.setdefault(item.case_id, []).append(item)
    sessions = []
    for case in cases:
        chat = messages.get(case.pk, [])
        visitor = next((m.metadata.get("visitor_id") for m in chat if m.metadata), "") or ""
        customer = [m.occurred_at for m in chat if m.direction == Interaction.Direction.INBOUND]
        first = min((m.occurred_at for m in chat), default=case.created_at)
        last = max((m.occurred_at for m in chat), default=case.created_at)
        sessions.append(
            ChatSession(
                widget=widget,
                case=case,
                contact_id=case.requester_id,
                visitor_id=visitor or f"v-demo-{case.pk}",
                status=ChatSession.Status.ENDED,
                started_at=first,
                ended_at=last,
                last_customer_activity=max(customer, default=first),
                answered=any(m.direction == Interaction.Direction.OUTBOUND for m in chat),
                ended_by=ChatSession.EndedBy.AGENT,
            )
        )
    ChatSession.objects.bulk_create(sessions, batch_size=500)
    # bulk_create sets pks on SQLite and PostgreSQL alike.
    by_case = {s.case_id: s.pk for s in sessions}
    changed = []
    for case_id, chat in messages.items():
        for item in chat:
            if (item.metadata or {}).get("chat_session_id") is not None:
                item.metadata = {**item.metadata, "chat_session_id": by_case[case_id]}
                changed.append(item)
    Interaction.objects.bulk_update(changed, ["metadata"], batch_size=500)
    return len(sessions)


def _attachments(data: dict) -> int:
    """An invoice (PDF) and a screenshot (PNG) on the first message of a few open email cases,
    and a file on an internal note, through the case services."""
    # By opening, not by last change: a later write (a root cause set) must not pick others.
    email = Case.objects.filter(channel=Channel.EMAIL).order_by("-created_at", "pk")
    cases = list(email.filter(status__in=OPEN_STATUSES).exclude(assignee=None)[:4])
    if len(cases) < 4:  # a small load: any email cases, the most recent first
        cases += list(email.exclude(pk__in=[c.pk for c in cases])[: 4 - len(cases)])
    added = 0
    for n, case in enumerate(cases):
        first = case.interactions.filter(direction=Interaction.Direction.INBOUND).order_by("pk")
        message = first.first()
        if message is None or message.attachments.exists():
            continue
        invoice = f"INV-{timezone.now().year}-{40100 + case.pk}"
        case_services.attachment_add(
            interaction=message,
            filename=f"{invoice}.pdf",
            content=pdf_document(
                f"{data['company']['brand']} - Invoice {invoice}",
                [f"Case {case.reference}", f"Billed to: {case.requester}", "Total: $49.90"],
            ),
            content_type="application/pdf",
        )
        added += 1
        if n % 2 == 0:
            case_services.attachment_add(
                interaction=message,
                filename="screenshot.png",
                content=png_image(240, 140, seed=case.pk),
                content_type="image/png",
            )
            added += 1
    notes = Interaction.objects.filter(is_public=False).exclude(author_agent=None)
    note = (
        notes.filter(case__status__in=OPEN_STATUSES).order_by("-occurred_at", "pk").first()
        or notes.order_by("-occurred_at", "pk").first()
    )
    if note is not None and not note.attachments.exists():
        case_services.attachment_add(
            interaction=note,
            filename="ledger-export.csv",
            content=b"date,reference,amount\n2026-03-03,PAY-88121,49.90\n2026-03-03,PAY-88122,49.90\n",
            content_type="text/csv",
        )
        added += 1
    return added


def _saved_views() -> int:
    users = {u.username: u for u in get_user_model().objects.filter(username__in=SAVED_VIEWS)}
    created = 0
    for username, views in SAVED_VIEWS.items():
        if username not in users:
            continue
        for name, query in views:
            _, new = SavedView.objects.get_or_create(
                owner=users[username],
                name=name,
                defaults={"query": normalised_query(QueryDict(query))},
            )
            created += new
    return created


def _root_causes(teams: dict[str, Team]) -> tuple[int, int]:
    """The taxonomy (once), and most solved cases of its topics tagged as an agent would
    (through the case service: audited); a demo already tagged is left as it is."""
    from apps.rootcauses import services as rootcause_services
    from apps.rootcauses.models import RootCause

    if RootCause.objects.exists():
        return 0, 0
    nodes: dict[str, RootCause] = {}
    categories: dict[str, RootCause] = {}
    for tag, (category, cause, slug) in ROOT_CAUSES.items():
        owner = teams.get(slug)
        if owner is None:
            continue
        if category not in categories:
            categories[category] = rootcause_services.root_cause_create(
                name=category, owner_team=owner
            )
        nodes[tag] = rootcause_services.root_cause_create(
            name=cause, owner_team=owner, parent=categories[category]
        )
    tagged = 0
    solved = (
        Case.objects.filter(status__in=[Case.Status.SOLVED, Case.Status.CLOSED], root_cause=None)
        .prefetch_related("tags")
        .order_by("pk")
    )
    for n, case in enumerate(solved):
        node = next((nodes[t.name] for t in case.tags.all() if t.name in nodes), None)
        if node is None or n % TAGGED_SHARE == 0:
            continue
        case_services.case_set_root_cause(case_id=case.pk, root_cause=node)
        tagged += 1
    return len(categories) + len(nodes), tagged


def _root_cause_spike(now) -> int:
    """A spike of the most tagged root cause, as the test finds 24 cases in a day after 28
    days of 2, told to its owner team. The real test waits until a node has existed for a
    whole baseline (28 days), which the demo's fresh taxonomy has not."""
    from django.db.models import Count

    from apps.rootcauses import services as rootcause_services
    from apps.rootcauses import spikes
    from apps.rootcauses.models import RootCause, RootCauseSpike

    if RootCauseSpike.objects.exists():
        return 0
    busiest = (
        RootCause.objects.annotate(tagged=Count("cases")).filter(tagged__gt=0).order_by("-tagged")
    ).first()
    if busiest is None:
        return 0
    test = spikes.spike_test([2] * spikes.BASELINE_DAYS, 24, min_cases=5, alpha=1e-4)
    spike = rootcause_services.spike_record(
        root_cause_id=busiest.pk, day=timezone.localdate(now), test=test, now=now
    )
    rootcause_services.spike_alert(spike_id=spike.pk, now=now)
    return 1


def _problem(now) -> int:
    """A problem of the most tagged root cause, fixed ten days ago, listing its cases (its
    page shows the verdict), made by a supervisor through the services (audited)."""
    from datetime import timedelta

    from django.db.models import Count

    from apps.accounts.models import AgentProfile
    from apps.problems import services as problem_services
    from apps.problems.models import Problem
    from apps.rootcauses.models import RootCause

    if Problem.objects.exists():
        return 0
    busiest = (
        RootCause.objects.annotate(tagged=Count("cases")).filter(tagged__gt=0).order_by("-tagged")
    ).first()
    boss = (
        AgentProfile.objects.filter(role=AgentProfile.Role.SUPERVISOR)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    if busiest is None or boss is None:
        return 0
    problem = problem_services.problem_create(
        title=f"{busiest.name}: a fault since the last release",
        root_cause=busiest,
        actor=boss.user,
        description="Many customers wrote about it; the owner team shipped a fix.",
        tracker_url="https://tracker.example/DEMO-1",
    )
    for status in ("investigating", "fix_in_progress"):
        problem_services.problem_transition(problem_id=problem.pk, to=status, actor=boss.user)
    problem_services.problem_transition(
        problem_id=problem.pk,
        to="fixed",
        actor=boss.user,
        fix_date=timezone.localdate(now) - timedelta(days=10),
    )
    ids = list(busiest.cases.order_by("pk").values_list("pk", flat=True)[:50])
    problem_services.problem_link_cases(problem_id=problem.pk, case_ids=ids, actor=boss.user)
    return 1


def _root_cause_model() -> int:
    """A suggestion model trained on the tagged cases, so open ones get suggestions."""
    from apps.rootcauses import services as rootcause_services
    from apps.rootcauses.models import SuggestionModel

    if SuggestionModel.objects.exists():
        return 0
    model = rootcause_services.suggestion_model_train(min_cases=10)
    if model is None:
        return 0
    rootcause_services.cases_to_suggest()
    return 1


def _notifications(now) -> int:
    """SLA warnings and breaches on the open cases of the agents the README names."""
    from apps.notifications.models import Notification
    from apps.notifications.services import notify_many

    items = []
    for user in get_user_model().objects.filter(username__in=["alex.agent", "sam.super"]):
        if Notification.objects.filter(recipient=user).exists():
            continue
        cases = Case.objects.open().filter(assignee=user).order_by("next_breach_at", "pk")[:3]
        if not cases:
            cases = Case.objects.open().filter(team__members=user).order_by("pk")[:3]
        for i, case in enumerate(cases):
            kind = Notification.Kind.SLA_BREACHED if i == 0 else Notification.Kind.SLA_WARNING
            text = (
                f"{case.reference}: first response overdue"
                if i == 0
                else f"{case.reference}: response due within the hour"
            )
            items.append((user, kind, case, text))
    created = notify_many(items)
    # One of each user's read already (the last), so the list shows both states, as long as
    # one stays unread for the header's count.
    last: dict[int, list[int]] = {}
    for notification in created:
        last.setdefault(notification.recipient_id, []).append(notification.pk)
    read = [pks[-1] for pks in last.values() if len(pks) > 1]
    Notification.objects.filter(pk__in=read).update(read_at=now)
    return len(created)


def _organizations() -> int:
    """A few business customers, each with the people who write for it."""
    created = 0
    unorganized = Contact.objects.filter(organization=None).order_by("pk")
    contacts = list(unorganized[: 4 * len(ORGANIZATIONS)])
    for i, name in enumerate(ORGANIZATIONS):
        org, new = Organization.objects.get_or_create(name=name)
        created += new
        if new:
            ids = [c.pk for c in contacts[i :: len(ORGANIZATIONS)]]
            Contact.objects.filter(pk__in=ids).update(organization=org)
    return created


def _integrations(data: dict) -> int:
    """An API token for the shop's CRM and its webhook subscription, paused (the demo's
    machine reaches no CRM: an active one would log a failed delivery per case change)."""
    from apps.api.models import ApiToken
    from apps.api.services import api_token_create
    from apps.webhooks.models import WebhookSubscription
    from apps.webhooks.services import subscription_create

    admin = get_user_model().objects.filter(username="admin").first()
    if admin is None or ApiToken.objects.filter(name="CRM sync").exists():
        return 0
    api_token_create(owner=admin, name="CRM sync", scopes=list(ApiToken.Scope.values))
    if not WebhookSubscription.objects.exists():
        subscription_create(
            owner=admin,
            name="CRM: case updates (paused)",
            url=f"{data['company']['website']}/hooks/cxdesk",
            events=["case.created", "case.updated"],
            is_active=False,
        )
    return 2


def _received_email(data: dict, now) -> int:
    """One customer email through the real ingester (MIME, HTML and two attachments), so the
    mailbox and the received-email admin show what arrives, and a case shows it parsed."""
    from email.message import EmailMessage
    from email.utils import format_datetime

    from apps.mail.models import InboundEmail, Mailbox
    from apps.mail.services import email_receive

    message_id = "<demo-first-email@example.org>"
    if InboundEmail.objects.filter(message_id__icontains="demo-first-email").exists():
        return 0
    mailbox = Mailbox.objects.filter(email_address=data["company"]["support_email"]).first()
    msg = EmailMessage()
    msg["From"] = "Grace Hopper <grace.hopper@example.org>"
    msg["To"] = data["company"]["support_email"]
    msg["Subject"] = "Damaged parcel — photo and receipt attached"
    msg["Message-ID"] = message_id
    msg["Date"] = format_datetime(now - timedelta(minutes=25))
    text = (
        "Hello,\n\nmy parcel arrived today with the box crushed and the lamp inside broken. "
        "I attach a photo and the receipt. Could you send a replacement?\n\nThanks,\nGrace"
    )
    msg.set_content(text)
    msg.add_alternative(
        "<p>Hello,</p><p>my parcel arrived today with the box <strong>crushed</strong> and the "
        "lamp inside broken. I attach a photo and the receipt. Could you send a replacement?"
        "</p><p>Thanks,<br>Grace</p>",
        subtype="html",
    )
    msg.add_attachment(
        png_image(320, 200, seed=7), maintype="image", subtype="png", filename="parcel.png"
    )
    msg.add_attachment(
        pdf_document("Receipt", ["Desk lamp, brass", "Paid: $89.00"]),
        maintype="application",
        subtype="pdf",
        filename="receipt.pdf",
    )
    inbound = email_receive(raw=msg.as_bytes(), source="upload", mailbox=mailbox)
    if inbound.case_id:  # its history at the time it was sent, as the load's cases have theirs
        from apps.cases.models import CaseEvent

        at = now - timedelta(minutes=25)
        Case.objects.filter(pk=inbound.case_id).update(created_at=at, updated_at=at)
        CaseEvent.objects.filter(case_id=inbound.case_id).update(at=at)
        Interaction.objects.filter(case_id=inbound.case_id).update(occurred_at=at, created_at=at)
    return 1


# Customers writing to the demo's social accounts, as the networks' webhooks deliver them:
# (network, kind, sender id, handle, name, text, minutes ago). Messenger carries no name.
SOCIAL_MESSAGES = [
    (
        "facebook",
        "dm",
        "24000000000000101",
        "",
        "",
        "Hi! My order BC-20417 says delivered but there is nothing at my door.",
        34,
    ),
    (
        "facebook",
        "dm",
        "24000000000000101",
        "",
        "",
        "I asked the neighbours too, nobody has it.",
        31,
    ),
    (
        "instagram",
        "comment",
        "9800000000000107",
        "yuki.t",
        "",
        "@brightcart.shop still waiting for the refund for the jacket I sent back 3 weeks ago",
        22,
    ),
    (
        "x",
        "mention",
        "2244990000000113",
        "omar_h",
        "Omar Haddad",
        "@brightcart the app logs me out every time I open it since the update. Anyone else?",
        14,
    ),
    (
        "x",
        "dm",
        "2244990000000127",
        "chloe_dupont",
        "Chloe Dupont",
        "Hello, can I still change the delivery address of order BC-20533? It ships tomorrow.",
        6,
    ),
]


def _social_events(now) -> int:
    """A few customer messages sent to the demo's social accounts, through the social
    webhooks' reader and `events_receive` (what the webhook views call after the signature
    check): the event log shows them processed into cases, threaded per conversation."""
    from apps.cases.models import CaseEvent
    from apps.social import inbound
    from apps.social.models import SocialAccount, SocialEvent
    from apps.social.services import events_receive

    if SocialEvent.objects.exists():
        return 0
    accounts = {a.network: a for a in SocialAccount.objects.filter(is_active=True)}
    received = 0
    for n, (network, kind, sender, handle, name, text, ago) in enumerate(SOCIAL_MESSAGES):
        account = accounts.get(network)
        if account is None:
            continue
        at = now - timedelta(minutes=ago)
        at = at.replace(microsecond=0)  # what every network's timestamp can carry
        body = _social_body(account, kind, f"{n + 1:04d}", sender, handle, name, text, at)
        read = inbound.x_pieces(body) if network == "x" else inbound.meta_pieces(body)
        step = timezone.now()
        received += events_receive(batch=read).processed
        # What this message wrote, at the time it was sent (as the load does for its cases).
        events = SocialEvent.objects.filter(received_at__gte=step)
        case_ids = list(events.values_list("case_id", flat=True))
        events.update(received_at=at, processed_at=at)
        Case.objects.filter(pk__in=case_ids, created_at__gte=step).update(created_at=at)
        Case.objects.filter(pk__in=case_ids).update(updated_at=at)
        CaseEvent.objects.filter(case_id__in=case_ids, at__gte=step).update(at=at)
        Interaction.objects.filter(case_id__in=case_ids, created_at__gte=step).update(created_at=at)
    return received


def _social_body(account, kind, serial, sender, handle, name, text, at) -> dict:
    """One webhook body of the account's network carrying one customer message."""
    ms = int(at.timestamp() * 1000)
    me = account.external_id
    if account.network == "x":
        if kind == "dm":
            return {
                "for_user_id": me,
                "direct_message_events": [
                    {
                        "type": "message_create",
                        "id": f"18000000000000{serial}",
                        "created_timestamp": str(ms),
                        "message_create": {
                            "target": {"recipient_id": me},
                            "sender_id": sender,
                            "message_data": {"text": text, "entities": {}},
                        },
                    }
                ],
                "users": {
                    sender: {"id": sender, "name": name, "screen_name": handle},
                    me: {"id": me, "name": account.name, "screen_name": account.name[1:]},
                },
            }
        user = {"id": int(sender), "id_str": sender, "name": name, "screen_name": handle}
        mention = {"screen_name": account.name[1:], "id": int(me), "id_str": me}
        return {
            "for_user_id": me,
            "tweet_create_events": [
                {
                    "id": int(f"18100000000000{serial}"),
                    "id_str": f"18100000000000{serial}",
                    "text": text,
                    "user": user,
                    "entities": {"user_mentions": [mention]},
                    "timestamp_ms": str(ms),
                }
            ],
        }
    obj = "instagram" if account.network == "instagram" else "page"
    if kind == "comment":
        change = {
            "field": "comments",
            "value": {
                "id": f"17900000000000{serial}",
                "from": {"id": sender, "username": handle},
                "media": {"id": "18000000000000777", "media_product_type": "FEED"},
                "text": text,
            },
        }
        return {"object": obj, "entry": [{"id": me, "time": ms // 1000, "changes": [change]}]}
    item = {
        "sender": {"id": sender},
        "recipient": {"id": me},
        "timestamp": ms,
        "message": {"mid": f"m_demo_{serial}", "text": text},
    }
    return {"object": obj, "entry": [{"id": me, "time": ms, "messaging": [item]}]}


def _webhook_deliveries() -> int:
    """The CRM subscription's delivery log up to its pause: the newest cases' events
    delivered (2xx), then the CRM answering 503 until the last one gave up — why an admin
    paused it. Recorded in bulk, as the delivery task would have left them, with the real
    payloads (apps/webhooks/payloads.py); nothing is sent."""
    import json
    import uuid

    from django.core.serializers.json import DjangoJSONEncoder

    from apps.webhooks.models import WebhookDelivery, WebhookSubscription
    from apps.webhooks.payloads import case_data
    from apps.webhooks.services import MAX_ATTEMPTS

    subscription = WebhookSubscription.objects.filter(name__startswith="CRM").first()
    if subscription is None or WebhookDelivery.objects.exists():
        return 0
    Status = WebhookDelivery.Status
    cases = list(Case.objects.prefetch_related("tags").order_by("-created_at", "-pk")[:8])[::-1]
    rows = []
    for n, case in enumerate(cases):
        failed = n >= len(cases) - 2
        event = "case.created"
        data = {"case": case_data(case), "tags": sorted(t.name for t in case.tags.all())}
        event_id = uuid.uuid4()
        at = case.created_at
        payload = {
            "id": str(event_id),
            "event": event,
            "created_at": at.isoformat(),
            "data": json.loads(json.dumps(data, cls=DjangoJSONEncoder)),
        }
        rows.append(
            WebhookDelivery(
                subscription=subscription,
                event=event,
                event_id=event_id,
                payload=payload,
                status=Status.FAILED if failed else Status.DELIVERED,
                attempts=MAX_ATTEMPTS if failed else 1,
                next_attempt_at=None,
                last_status_code=503 if failed else 200,
                last_error="HTTP 503 Service Unavailable" if failed else "",
                response_excerpt=(
                    '{"error": "maintenance"}' if failed else '{"ok": true, "synced": 1}'
                ),
                created_at=at,
                delivered_at=None if failed else at + timedelta(milliseconds=240),
            )
        )
    WebhookDelivery.objects.bulk_create(rows)
    return len(rows)


# --- small generated files ---------------------------------------------------------------


def pdf_document(title: str, lines: list[str]) -> bytes:
    """A one-page PDF with a title and a few lines of text (Helvetica), valid for a viewer."""

    def escape(s: str) -> str:
        s = s.encode("latin-1", "replace").decode("latin-1")
        return s.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")

    text = [f"BT /F1 18 Tf 72 760 Td ({escape(title)}) Tj ET"]
    for i, line in enumerate(lines):
        text.append(f"BT /F1 12 Tf 72 {720 - 20 * i} Td ({escape(line)}) Tj ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] "
        b"/Resources << /Font << /F1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def png_image(width: int, height: int, *, seed: int = 0) -> bytes:
    """An RGB PNG: a light page with a header bar and a few grey lines, like a screenshot."""
    hue = (seed * 47) % 160
    rows = []
    for y in range(height):
        if y < 24:
            pixel = bytes((37, 87 + hue // 4, 214))
            row = pixel * width
        elif y % 18 in (8, 9, 10) and y < height - 12:
            length = width - 24 - ((y * 31 + seed) % (width // 2))
            row = bytes((247, 248, 250)) * 12 + bytes((190, 195, 205)) * length
            row += bytes((247, 248, 250)) * (width - 12 - length)
        else:
            row = bytes((247, 248, 250)) * width
        rows.append(b"\x00" + row)

    def chunk(kind: bytes, body: bytes) -> bytes:
        crc = struct.pack(">I", zlib.crc32(kind + body))
        return struct.pack(">I", len(body)) + kind + body + crc

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"".join(rows), 9))
        + chunk(b"IEND", b"")
    )
