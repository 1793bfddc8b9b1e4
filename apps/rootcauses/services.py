"""Writes on the root-cause taxonomy: add, change and retire nodes.

And the suggestions: training the model from tagged cases (`suggestion_model_train`), the
one model in use per process (`suggestion_model_active`), a case's top three
(`case_suggest`). The model's life is in docs/architecture.md ("Root causes").

The rules, kept here and nowhere else:

- A node is a category (no parent), a cause (under a category) or a detail (under a cause):
  at most MAX_DEPTH levels. Names are unique among siblings.
- A node stays where it was made: its parent never changes (the reports of its cases would
  change meaning); to move a cause, retire it and add it where it belongs.
- Retiring a node retires the nodes under it, at the same instant. Retired nodes keep their
  cases and the cases' history; no case can be newly given one, and no node added under one.
- Renaming a node rewrites the `path` of the nodes under it (a handful of rows).
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max, Q
from django.utils import timezone

from apps.accounts.models import Team
from apps.cases.models import Case
from apps.core.errors import DomainError
from apps.core.queue import enqueue_each

from . import selectors, suggest
from .models import MAX_DEPTH, PATH_SEPARATOR, RootCause, RootCauseSuggestion, SuggestionModel

logger = logging.getLogger(__name__)

TOP_K = 3
MODELS_KEPT = 2  # the newest and the one before it (a worker may still be loading it)
SWEEP_BATCH = 1000  # open cases without suggestions of the newest model, per training run


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
    # The row locked is the node only (of="self"): its parent is an outer join, which
    # PostgreSQL cannot lock.
    node = (
        RootCause.objects.select_for_update(of=("self",))
        .select_related("parent")
        .get(pk=root_cause_id)
    )
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


# --- Suggestions ---------------------------------------------------------------------------


@dataclass(frozen=True)
class LoadedModel:
    version: int
    pipeline: Any


_loaded: dict[int, LoadedModel] = {}  # per process, by version: loaded once, never retrained


def suggestion_model_train(*, min_cases: int | None = None) -> SuggestionModel | None:
    """Train a new model from the cases tagged with a current root cause and store it as the
    newest version; None (and nothing stored) with fewer than `min_cases` such cases
    (CXDESK_ROOTCAUSE_MIN_TRAINING_CASES) or fewer than two root causes among them."""
    minimum = settings.CXDESK_ROOTCAUSE_MIN_TRAINING_CASES if min_cases is None else min_cases
    texts, labels = selectors.training_cases()
    if len(texts) < max(minimum, 2) or len(set(labels)) < 2:
        logger.info("root-cause model not trained: %d tagged cases", len(texts))
        return None
    started = time.perf_counter()
    pipeline = suggest.train(texts, labels)
    seconds = time.perf_counter() - started
    blob, signature = suggest.dumps(pipeline)
    with transaction.atomic():
        newest = SuggestionModel.objects.select_for_update().aggregate(v=Max("version"))["v"]
        model = SuggestionModel.objects.create(
            version=(newest or 0) + 1,
            algorithm=suggest.ALGORITHM,
            cases=len(texts),
            classes=len(set(labels)),
            figures={
                "train_seconds": round(seconds, 2),
                "features": int(len(pipeline.named_steps["classifier"].coef_[0])),
                "stored_bytes": len(blob),
            },
            blob=blob,
            signature=signature,
        )
        keep = list(SuggestionModel.objects.order_by("-version").values_list("pk", flat=True))
        SuggestionModel.objects.exclude(pk__in=keep[:MODELS_KEPT]).delete()
    _loaded[model.version] = LoadedModel(model.version, pipeline)
    return model


def suggestion_model_active() -> LoadedModel | None:
    """The newest stored model, unpickled once per process (one query when it is cached);
    None when there is none, or when it cannot be loaded (logged: never an error)."""
    version = SuggestionModel.objects.order_by("-version").values_list("version", flat=True).first()
    if version is None:
        return None
    if version not in _loaded:
        row = SuggestionModel.objects.only("version", "blob", "signature").get(version=version)
        try:
            pipeline = suggest.loads(row.blob, row.signature)
        except Exception:  # a refused signature, or a blob another sklearn cannot read
            logger.exception("root-cause model v%s could not be loaded", version)
            return None
        _loaded.clear()  # an older version is not used again in this process
        _loaded[version] = LoadedModel(version, pipeline)
    return _loaded[version]


def case_suggest(*, case_id: int) -> list[RootCauseSuggestion]:
    """Store the case's top three root causes, from the newest model and the case's text.

    Idempotent: when the stored suggestions come from the same model version and the same
    text (subject and first customer message, by digest) nothing is written. No model, or a
    case gone: nothing, never an error. A root cause retired since the training is left out.
    """
    found = selectors.case_text(case_id=case_id)
    if found is None:
        return []
    model = suggestion_model_active()
    if model is None:
        return []
    digest = hashlib.sha256(found.encode("utf-8", "surrogatepass")).hexdigest()
    stored = list(RootCauseSuggestion.objects.filter(case_id=case_id).order_by("rank"))
    if stored and all(s.model_version == model.version and s.text_digest == digest for s in stored):
        return stored
    [ranked] = suggest.top_k(model.pipeline, [found], k=TOP_K + 3)
    current = set(
        RootCause.objects.active()
        .filter(pk__in=[pk for pk, _ in ranked])
        .values_list("pk", flat=True)
    )
    now = timezone.now()
    rows = [
        RootCauseSuggestion(
            case_id=case_id,
            root_cause_id=pk,
            rank=rank,
            score=round(score, 4),
            model_version=model.version,
            text_digest=digest,
            computed_at=now,
        )
        for rank, (pk, score) in enumerate((r for r in ranked if r[0] in current), start=1)
        if rank <= TOP_K
    ]
    with transaction.atomic():
        RootCauseSuggestion.objects.filter(case_id=case_id).delete()
        return RootCauseSuggestion.objects.bulk_create(rows)


def cases_to_suggest(*, limit: int = SWEEP_BATCH) -> int:
    """The sweep: enqueue the open cases that have no suggestion of the newest model (a lost
    task, a case opened before the first model); bounded per run, safe to run twice."""
    version = SuggestionModel.objects.order_by("-version").values_list("version", flat=True).first()
    if version is None:
        return 0
    ids = list(
        Case.objects.open()
        .exclude(root_cause_suggestions__model_version=version)
        .order_by("-created_at", "-id")
        .values_list("pk", flat=True)[:limit]
    )
    return enqueue_each("apps.rootcauses.tasks.suggest_case", ids)
