"""Bulk actions on the queue's selected cases: each one a service call per case.

A case the user may not see refuses the whole request before anything changes (the view
answers 404). After that each case is changed on its own through apps/cases/services.py —
its own transaction, checks and audit event — so one refused change (a solved case cannot
become pending, an agent cannot assign outside their teams) is reported and the others done.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from django import forms
from django.contrib.auth import get_user_model

from apps.accounts.types import User
from apps.api.filters import parse_id
from apps.core.errors import DomainError
from apps.rootcauses.models import RootCause

from . import queues, services
from .filters_web import assignee_choices
from .models import Case

MAX_SELECTED = 100
ACTIONS = [
    ("assign_me", "Assign to me"),
    ("assign", "Assign"),
    ("status", "Set status"),
    ("priority", "Set priority"),
    ("tag", "Add tag"),
    ("root_cause", "Set root cause"),
    ("merge", "Merge"),
]


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=ACTIONS)
    assignee = forms.TypedChoiceField(choices=[], coerce=int, required=False, empty_value=None)
    status = forms.ChoiceField(choices=[("", "—"), *Case.Status.choices], required=False)
    priority = forms.ChoiceField(choices=[("", "—"), *Case.Priority.choices], required=False)
    tag = forms.CharField(max_length=64, required=False, strip=True)
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.active(),
        required=False,
        error_messages={"invalid_choice": "That root cause is retired or not in the taxonomy."},
    )
    target = forms.IntegerField(required=False, min_value=1)

    def __init__(self, *args, scope: queues.Scope, **kwargs):
        super().__init__(*args, **kwargs)
        self.scope = scope
        self.fields["assignee"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *((str(pk), name) for pk, name in assignee_choices(scope)),
        ]

    def clean(self):
        data = super().clean()
        raw = self.data.getlist("case") if hasattr(self.data, "getlist") else []
        ids = [parse_id(v) for v in raw]
        if not ids:
            raise forms.ValidationError("Select at least one case.")
        if None in ids:
            raise forms.ValidationError("A selected case id is not a case id.")
        if len(ids) > MAX_SELECTED:
            raise forms.ValidationError(f"Select at most {MAX_SELECTED} cases at once.")
        data["case_ids"] = list(dict.fromkeys(ids))
        action = data.get("action")
        needed = {
            "assign": "assignee",
            "status": "status",
            "priority": "priority",
            "tag": "tag",
            "root_cause": "root_cause",
        }
        if action in needed and not data.get(needed[action]):
            self.add_error(needed[action], "Choose a value for this action.")
        if action == "merge":
            if len(data["case_ids"]) < 2:
                raise forms.ValidationError("Select two cases or more to merge.")
            target = data.get("target")
            if target is not None and target not in data["case_ids"]:
                self.add_error("target", "Merge into one of the selected cases.")
        return data


def visible_cases(scope: queues.Scope, ids: list[int]) -> list[Case] | None:
    """The cases `ids`, in that order, when the user may see every one of them; else None."""
    found = {c.pk: c for c in scope.visible().filter(pk__in=ids).prefetch_related("tags")}
    if len(found) != len(ids):
        return None
    return [found[i] for i in ids]


@dataclass
class Result:
    what: str
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)

    @property
    def changed_message(self) -> str:
        n = len(self.changed)
        return f"{self.what}: {n} case{'s' if n != 1 else ''} changed ({', '.join(self.changed)})."

    @property
    def unchanged_message(self) -> str:
        return f"Already so, left as they were: {', '.join(self.unchanged)}."


@dataclass(frozen=True)
class _Plan:
    what: str
    unchanged: Callable[[Case], bool]
    change: Callable[[Case], object]


def _plan(action: str, data: dict, actor: User) -> _Plan:
    if action in ("assign", "assign_me"):
        who = actor if action == "assign_me" else get_user_model().objects.get(pk=data["assignee"])
        return _Plan(
            f"Assigned to {who.get_full_name() or who.get_username()}",
            lambda case: case.assignee_id == who.pk,
            lambda case: services.case_assign(case_id=case.pk, assignee=who, actor=actor),
        )
    if action == "status":
        to = data["status"]
        return _Plan(
            f"Status set to {Case.Status(to).label}",
            lambda case: case.status == to,
            lambda case: services.case_transition(case_id=case.pk, to=to, actor=actor),
        )
    if action == "priority":
        priority = data["priority"]
        return _Plan(
            f"Priority set to {Case.Priority(priority).label}",
            lambda case: case.priority == priority,
            lambda case: services.case_set_priority(
                case_id=case.pk, priority=priority, actor=actor
            ),
        )
    if action == "tag":
        tag = data["tag"].strip().lower()
        return _Plan(
            f"Tag “{tag}” added",
            lambda case: any(t.name == tag for t in case.tags.all()),
            lambda case: services.case_set_tags(
                case_id=case.pk, tags=[*(t.name for t in case.tags.all()), tag], actor=actor
            ),
        )
    if action == "root_cause":
        node = data["root_cause"]
        return _Plan(
            f"Root cause set to {node.path}",
            lambda case: case.root_cause_id == node.pk,
            lambda case: services.case_set_root_cause(
                case_id=case.pk, root_cause=node, actor=actor
            ),
        )
    raise ValueError(action)  # pragma: no cover - the form allows no other action


def apply(*, action: str, cases: list[Case], data: dict, actor: User) -> Result:
    """Apply `action` to each of `cases` (visible to `actor`: see visible_cases)."""
    if action == "merge":
        return _merge(cases, target_id=data["target"], actor=actor)
    plan = _plan(action, data, actor)
    result = Result(plan.what)
    for case in cases:
        if plan.unchanged(case):
            result.unchanged.append(case.reference)
            continue
        try:
            plan.change(case)
        except DomainError as error:
            result.failed.append(f"{case.reference} not changed: {error}")
        else:
            result.changed.append(case.reference)
    return result


def _merge(cases: list[Case], *, target_id: int, actor: User) -> Result:
    target = next(c for c in cases if c.pk == target_id)
    result = Result(f"Merged into {target.reference}")
    for case in cases:
        if case.pk == target_id:
            continue
        try:
            services.case_merge(source_id=case.pk, target_id=target_id, actor=actor)
        except DomainError as error:
            result.failed.append(f"{case.reference} not merged: {error}")
        else:
            result.changed.append(case.reference)
    return result
