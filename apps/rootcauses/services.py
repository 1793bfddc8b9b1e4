"""Writes on the root-cause taxonomy: add, change and retire nodes.

The rules, kept here and nowhere else:

- A node is a category (no parent), a cause (under a category) or a detail (under a cause):
  at most MAX_DEPTH levels. Names are unique among siblings.
- A node stays where it was made: its parent never changes (the reports of its cases would
  change meaning); to move a cause, retire it and add it where it belongs.
- Retiring a node retires the nodes under it, at the same instant. Retired nodes keep their
  cases and the cases' history; no case can be newly given one, and no node added under one.
- Renaming a node rewrites the `path` of the nodes under it (a handful of rows).
"""

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from apps.accounts.models import Team
from apps.core.errors import DomainError

from .models import MAX_DEPTH, PATH_SEPARATOR, RootCause


class RootCauseError(DomainError):
    code = "root_cause_error"
    status = 400


class RootCauseTooDeep(RootCauseError):
    code = "root_cause_too_deep"
    field = "parent"


class RootCauseNameTaken(RootCauseError):
    code = "root_cause_name_taken"
    status = 409
    field = "name"


class RootCauseRetired(RootCauseError):
    """A retired node was named for a case or as a parent (`field` says which)."""

    code = "root_cause_retired"

    def __init__(self, message: str, *, field: str = "root_cause"):
        self.field = field
        super().__init__(message)


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not name:
        raise RootCauseError("a root cause needs a name", fields={"name": ["Give a name."]})
    if PATH_SEPARATOR.strip() in name:
        raise RootCauseError(
            f"a name cannot contain {PATH_SEPARATOR.strip()!r}",
            fields={"name": [f"Remove {PATH_SEPARATOR.strip()!r} from the name."]},
        )
    return name[:100]


def _path(parent: RootCause | None, name: str) -> str:
    return f"{parent.path}{PATH_SEPARATOR}{name}" if parent else name


def _name_taken(name: str, parent: RootCause | None) -> RootCauseNameTaken:
    where = f"under {parent.path}" if parent else "among the categories"
    return RootCauseNameTaken(f"{name!r} exists already {where}")


def _check_name_free(name: str, parent: RootCause | None, *, exclude: int | None = None) -> None:
    siblings = RootCause.objects.filter(
        Q(parent=parent) if parent else Q(parent__isnull=True), name__iexact=name
    )
    if exclude is not None:
        siblings = siblings.exclude(pk=exclude)
    if siblings.exists():
        raise _name_taken(name, parent)


@transaction.atomic
def root_cause_create(
    *, name: str, owner_team: Team, parent: RootCause | None = None, description: str = ""
) -> RootCause:
    """Add a node under `parent` (None: a new category), owned by `owner_team`."""
    name = _clean_name(name)
    if parent is not None:
        parent = RootCause.objects.select_for_update().get(pk=parent.pk)
        if parent.is_retired:
            raise RootCauseRetired(
                f"{parent.path} is retired: nothing can be added under it", field="parent"
            )
        if parent.depth >= MAX_DEPTH:
            raise RootCauseTooDeep(
                f"{parent.path} is a detail already: the tree is category › cause › detail "
                f"({MAX_DEPTH} levels at most)"
            )
    _check_name_free(name, parent)
    node = RootCause(
        name=name,
        parent=parent,
        owner_team=owner_team,
        description=description,
        depth=parent.depth + 1 if parent else 1,
        path=_path(parent, name),
    )
    try:
        with transaction.atomic():
            node.save()
    except IntegrityError:  # a concurrent twin won the race
        raise _name_taken(name, parent) from None
    return node


@transaction.atomic
def root_cause_update(
    *,
    root_cause_id: int,
    name: str | None = None,
    owner_team: Team | None = None,
    description: str | None = None,
) -> RootCause:
    """Rename a node, give it another owner or description; a rename rewrites the paths of
    the nodes under it. A retired node may still be corrected (its history reads better)."""
    node = RootCause.objects.select_for_update().select_related("parent").get(pk=root_cause_id)
    changed: list[str] = []
    if name is not None:
        name = _clean_name(name)
        if name != node.name:
            _check_name_free(name, node.parent, exclude=node.pk)
            old_path, node.name = node.path, name
            node.path = _path(node.parent, name)
            changed += ["name", "path"]
            _rewrite_paths_below(node, old_path)
    if owner_team is not None and owner_team.pk != node.owner_team_id:
        node.owner_team = owner_team
        changed.append("owner_team")
    if description is not None and description != node.description:
        node.description = description
        changed.append("description")
    if changed:
        node.save(update_fields=[*changed, "updated_at"])
    return node


def _rewrite_paths_below(node: RootCause, old_path: str) -> None:
    """The paths under a renamed node: its children and their children (depth ≤ 3)."""
    below = list(
        RootCause.objects.select_for_update().filter(Q(parent=node) | Q(parent__parent=node))
    )
    for child in below:
        child.path = node.path + child.path[len(old_path) :]
    RootCause.objects.bulk_update(below, ["path"])


@transaction.atomic
def root_cause_retire(*, root_cause_id: int) -> RootCause:
    """Retire a node and the nodes under it (already retired ones keep their date)."""
    node = RootCause.objects.select_for_update().get(pk=root_cause_id)
    if node.is_retired:
        return node
    now = timezone.now()
    RootCause.objects.filter(
        Q(pk=node.pk) | Q(parent=node) | Q(parent__parent=node), retired_at__isnull=True
    ).update(retired_at=now, updated_at=now)
    node.refresh_from_db()
    return node


def root_cause_assignable(root_cause: RootCause) -> None:
    """Raise RootCauseRetired unless a case may be newly given `root_cause`."""
    if root_cause.is_retired:
        raise RootCauseRetired(
            f"{root_cause.path} is retired: choose a current root cause", field="root_cause"
        )
