"""The case page's forms: the shape of what an agent typed, checked before a service runs.

Each header form changes one field of a case through its service (`save`); the service keeps
the rules (which transitions are allowed, who may route where) and raises a DomainError the
view shows beside the field. The composer's form carries what the agent wrote and the id of
the last interaction they saw (the stale-reply check, apps/cases/views.py).
"""

import re

from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import models

from apps.accounts.models import AgentProfile, Team, role_of
from apps.accounts.types import User
from apps.contacts.models import ContactIdentity
from apps.core import widgets
from apps.core.ids import MAX_DB_ID
from apps.core.text import has_hidden, reveal_hidden
from apps.rootcauses.models import RootCause

from . import outbound, services
from .models import Case, Channel, Tag

TAG_MAX_LENGTH: int = Tag._meta.get_field("name").max_length or 64
SUBJECT_MAX_LENGTH: int = Case._meta.get_field("subject").max_length or 255
# Channels whose sender carries files (apps/mail/outbound.py attaches them); chat and social
# senders send text only, so a file there would be stored but never reach the customer.
ATTACHMENT_CHANNELS = frozenset({Channel.EMAIL})
# An identity of the requester lets an agent answer on that channel (when it has a sender).
IDENTITY_CHANNELS: dict[str, str] = {
    ContactIdentity.Kind.EMAIL: Channel.EMAIL,
    ContactIdentity.Kind.SOCIAL: Channel.SOCIAL,
    ContactIdentity.Kind.CHAT: Channel.CHAT,
}
# "Send and set status" (Zendesk's submit-as): the statuses an answer can leave a case in.
THEN_STATUSES = (Case.Status.PENDING, Case.Status.ON_HOLD, Case.Status.SOLVED)


_MARKER = re.compile(r"⟨U\+([0-9A-F]{4,6})⟩")


def shown_for_editing(text: str) -> str:
    """Text for an edit box: hidden characters as "⟨U+XXXX⟩" markers (apps/core/text.py), so
    the agent sees in the box what the page shows everywhere else."""
    return reveal_hidden(text)


def from_editing(text: str) -> str:
    """The inverse of `shown_for_editing`: each marker of a hidden character is that
    character again, so saving an edit box keeps what the agent did not touch as it was
    (deleting a marker deletes the character). Markers of visible characters stay text."""

    def char(match: re.Match[str]) -> str:
        code = int(match.group(1), 16)
        found = chr(code) if code <= 0x10FFFF else ""
        return found if found and has_hidden(found) else match.group(0)

    return _MARKER.sub(char, text)


class CaseFieldForm(forms.Form):
    """One field of the case header; `save` applies it through the field's service."""

    field_name: str = ""

    def __init__(self, *args, case: Case, user: User, **kwargs):
        self.case, self.user = case, user
        super().__init__(*args, **kwargs)

    def save(self) -> Case:
        raise NotImplementedError

    def done_message(self) -> str:
        return f"{self.field_name.capitalize()} saved."


class StatusForm(CaseFieldForm):
    field_name = "status"
    status = forms.ChoiceField(choices=Case.Status.choices, widget=widgets.Select)

    def save(self) -> Case:
        return services.case_transition(
            case_id=self.case.pk, to=self.cleaned_data["status"], actor=self.user
        )

    def done_message(self) -> str:
        return f"Status set to {Case.Status(self.cleaned_data['status']).label.lower()}."


class PriorityForm(CaseFieldForm):
    field_name = "priority"
    priority = forms.ChoiceField(choices=Case.Priority.choices, widget=widgets.Select)

    def save(self) -> Case:
        return services.case_set_priority(
            case_id=self.case.pk, priority=self.cleaned_data["priority"], actor=self.user
        )

    def done_message(self) -> str:
        return f"Priority set to {Case.Priority(self.cleaned_data['priority']).label.lower()}."


def assignee_choices(case: Case, user: User):
    """Whom the header offers: active members of the case's team (the service checks again),
    the current assignee, and the agent themselves (one query)."""
    users = get_user_model().objects.filter(is_active=True).exclude(profile__role="stakeholder")
    if case.team_id:
        ids = users.filter(teams=case.team_id)
        users = users.filter(pk__in=ids.values("pk")) | users.filter(
            pk__in=[user.pk, case.assignee_id or user.pk]
        )
    else:
        users = users.filter(pk__in=[user.pk, case.assignee_id or user.pk])
    return users.distinct().order_by("first_name", "last_name", "username")


def team_choices(user: User):
    """Agents route to their own teams; supervisors and admins anywhere (services.routing_check)."""
    if role_of(user) == AgentProfile.Role.AGENT:
        return Team.objects.filter(members=user).order_by("name")
    return Team.objects.order_by("name")


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class AssigneeForm(CaseFieldForm):
    field_name = "assignee"
    assignee = UserChoiceField(
        queryset=None, required=False, empty_label="Unassigned", widget=widgets.Select
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignee_choices(self.case, self.user)
        if self.is_bound and self.data.get("take"):  # the "Take it" button: assign to me
            self.data = self.data.copy()
            self.data["assignee"] = str(self.user.pk)

    def save(self) -> Case:
        return services.case_assign(
            case_id=self.case.pk, assignee=self.cleaned_data["assignee"], actor=self.user
        )

    def done_message(self) -> str:
        assignee = self.cleaned_data["assignee"]
        if assignee is None:
            return "Case unassigned."
        return f"Assigned to {assignee.get_full_name() or assignee.get_username()}."


class TeamForm(CaseFieldForm):
    field_name = "team"
    team: "forms.ModelChoiceField[Team]" = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, empty_label="No team", widget=widgets.Select
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["team"].queryset = team_choices(self.user)

    def save(self) -> Case:
        return services.case_set_team(
            case_id=self.case.pk, team=self.cleaned_data["team"], actor=self.user
        )

    def done_message(self) -> str:
        team = self.cleaned_data["team"]
        return f"Team set to {team}." if team else "Team removed."


class TagsForm(CaseFieldForm):
    field_name = "tags"
    tags = forms.CharField(
        required=False,
        max_length=2000,
        help_text="Separated by commas; an empty box removes every tag.",
    )

    def clean_tags(self) -> list[str]:
        text = from_editing(self.cleaned_data["tags"])
        names = [name.strip() for name in text.split(",") if name.strip()]
        too_long = [name for name in names if len(name) > TAG_MAX_LENGTH]
        if too_long:
            raise forms.ValidationError(
                f"A tag has at most {TAG_MAX_LENGTH} characters: {too_long[0][:80]!r} is longer."
            )
        return names

    def save(self) -> Case:
        return services.case_set_tags(
            case_id=self.case.pk, tags=self.cleaned_data["tags"], actor=self.user
        )

    def done_message(self) -> str:
        return "Tags saved."


class RootCauseChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return str(obj)  # the path; "(retired)" after one the case still has


def root_cause_choices(case: Case):
    """The current nodes of the taxonomy, and the case's own even when retired (one query)."""
    nodes = RootCause.objects.filter(retired_at__isnull=True)
    if case.root_cause_id:
        nodes = RootCause.objects.filter(
            models.Q(retired_at__isnull=True) | models.Q(pk=case.root_cause_id)
        )
    return nodes.order_by("path", "id")


class RootCauseForm(CaseFieldForm):
    """The root cause from the taxonomy; a suggestion's one-click button posts its id here."""

    field_name = "root_cause"
    root_cause = RootCauseChoiceField(
        queryset=RootCause.objects.none(),
        required=False,
        empty_label="Not set",
        widget=widgets.Select,
        error_messages={"invalid_choice": "That root cause is not in the taxonomy any more."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["root_cause"].queryset = root_cause_choices(self.case)

    def save(self) -> Case:
        return services.case_set_root_cause(
            case_id=self.case.pk, root_cause=self.cleaned_data["root_cause"], actor=self.user
        )

    def done_message(self) -> str:
        node = self.cleaned_data["root_cause"]
        return f"Root cause set to {node.path}." if node else "Root cause removed."


class SubjectForm(CaseFieldForm):
    field_name = "subject"
    subject = forms.CharField(max_length=SUBJECT_MAX_LENGTH * 2)  # markers are longer

    def clean_subject(self) -> str:
        subject = from_editing(self.cleaned_data["subject"])
        if len(subject) > SUBJECT_MAX_LENGTH:
            raise forms.ValidationError(f"A subject has at most {SUBJECT_MAX_LENGTH} characters.")
        return subject

    def save(self) -> Case:
        return services.case_set_subject(
            case_id=self.case.pk, subject=self.cleaned_data["subject"], actor=self.user
        )


FIELD_FORMS: dict[str, type[CaseFieldForm]] = {
    form.field_name: form
    for form in (
        StatusForm,
        PriorityForm,
        AssigneeForm,
        TeamForm,
        TagsForm,
        RootCauseForm,
        SubjectForm,
    )
}


def reply_channels(case: Case) -> list[tuple[str, str]]:
    """The channels an answer can go on: the case's own first, then each channel with a
    sender on which the requester has an identity (uses the prefetched identities)."""
    channels = [case.channel]
    for identity in case.requester.identities.all():
        channel = IDENTITY_CHANNELS.get(identity.kind)
        if channel and channel not in channels and outbound.has_sender(channel):
            channels.append(channel)
    return [(channel, Channel(channel).label) for channel in channels]


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(item, initial) for item in data]
        return [single(data, initial)] if data else []


class ComposeForm(forms.Form):
    """A public reply or an internal note, optionally with files and a status to set."""

    REPLY, NOTE = "reply", "note"

    kind = forms.ChoiceField(
        choices=[(REPLY, "Public reply"), (NOTE, "Internal note")],
        initial=REPLY,
        widget=forms.RadioSelect,
    )
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=100_000,
        strip=False,
        error_messages={"required": "Write something before sending."},
    )
    channel = forms.ChoiceField(label="Reply by", required=False, widget=widgets.Select)
    then_status = forms.ChoiceField(
        label="Then set status",
        required=False,
        widget=widgets.Select,
        choices=[("", "Leave as it is")] + [(s.value, s.label) for s in THEN_STATUSES],
    )
    attachments = MultipleFileField(label="Attach files", required=False)
    # The newest interaction the agent had on screen: a newer customer message or another
    # agent's reply makes the page warn before sending (views.case_compose).
    last_seen = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0)
    send_anyway = forms.BooleanField(required=False, widget=forms.HiddenInput)
    # A macro the agent applied (apps/macros): its actions run when this is sent, after
    # the view has checked again that the agent may use it.
    macro = forms.IntegerField(
        widget=forms.HiddenInput, required=False, min_value=1, max_value=MAX_DB_ID
    )

    def __init__(self, *args, case: Case, **kwargs):
        self.case = case
        super().__init__(*args, **kwargs)
        channel = self.fields["channel"]
        assert isinstance(channel, forms.ChoiceField)
        channel.choices = reply_channels(case)
        self.fields["channel"].initial = case.channel

    def clean_body(self) -> str:
        body = self.cleaned_data["body"]
        if not body.strip():
            raise forms.ValidationError("Write something before sending.")
        return body

    def clean(self):
        data = super().clean()
        kind = data.get("kind")
        channel = data.get("channel") or self.case.channel
        data["channel"] = channel
        files = data.get("attachments") or []
        if kind == self.NOTE and data.get("then_status"):
            self.add_error("then_status", "A note does not change the status; send a reply.")
        if kind == self.REPLY and files and channel not in ATTACHMENT_CHANNELS:
            self.add_error(
                "attachments",
                f"Files go out by email only: a {Channel(channel).label.lower()} reply cannot "
                "carry them. Choose email, or add them to an internal note.",
            )
        cap = settings.CXDESK_MAX_ATTACHMENTS_PER_MESSAGE
        if len(files) > cap:
            self.add_error("attachments", f"At most {cap} files on one message.")
        return data

    def attachment_files(self) -> list[services.AttachmentFile]:
        return [
            {
                "filename": upload.name,
                "content": upload.read(),
                "content_type": upload.content_type or "application/octet-stream",
            }
            for upload in self.cleaned_data.get("attachments") or []
        ]
