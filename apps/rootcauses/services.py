"""Writes on the root-cause taxonomy: add, change and retire nodes.

And the suggestions: training the model from tagged cases (`suggestion_model_train`), the
one model in use per process (`suggestion_model_active`), a case's top three
(`case_suggest`). The model's life is in docs/architecture.md ("Root causes").

And spikes: `spikes_detect` (the beat task's run: test, record, end, alert),
`spike_record`, `spike_alert` (once per spike, claimed by a conditional UPDATE).

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
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, connection, transaction
from django.db.models import Max, Q
from django.urls import reverse
from django.utils import timezone

from apps.accounts.models import AgentProfile, Team, role_of
from apps.cases.models import Case
from apps.core.errors import DomainError
from apps.core.queue import enqueue_each
from apps.notifications import services as notifications
from apps.notifications.models import Notification
from apps.webhooks import services as webhooks

from . import candidates, selectors, spikes, suggest
from .models import (
    MAX_DEPTH,
    PATH_SEPARATOR,
    RootCause,
    RootCauseCandidate,
    RootCauseCandidateCase,
    RootCauseSpike,
    RootCauseSuggestion,
    SuggestionModel,
)

User = get_user_model()

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


# --- Spikes ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpikeRun:
    """What one detection run did: causes tested, spikes found or continued (ids), spikes
    ended, and owner teams alerted (one per new spike)."""

    tested: int
    firing: list[int]
    ended: int
    alerted: int


def spikes_detect(*, now: datetime | None = None) -> SpikeRun:
    """Test every current root cause's count today (so far) against its 28 days before
    (apps/rootcauses/spikes.py), record what fires, end what stopped, alert the new ones.

    Idempotent, safe on two workers at once: one active spike per root cause (a unique
    index), an alert claimed by a conditional UPDATE. A cause is tested once it has existed
    for the whole baseline (a new node's first cases are not a spike, nor is the volume a
    reorganised taxonomy moves onto it). Costs four queries when nothing fires, whatever
    the size of the taxonomy (the causes, their counts, ending, the alerts waiting).
    """
    now = now or timezone.now()
    today = timezone.localdate(now)
    first_day = today - timedelta(days=spikes.BASELINE_DAYS)
    causes = list(
        RootCause.objects.active()
        .filter(created_at__lt=selectors.day_start(first_day))
        .order_by("pk")
        .only("pk")
    )
    counts = selectors.daily_counts(
        root_cause_ids=[c.pk for c in causes], first_day=first_day, last_day=today
    )
    alpha = spikes.corrected_alpha(settings.CXDESK_SPIKE_P_VALUE, len(causes))
    fired: list[tuple[int, spikes.SpikeTest]] = []
    for cause in causes:
        days = counts.get(cause.pk, {})
        if days.get(today, 0) < settings.CXDESK_SPIKE_MIN_CASES:
            continue  # cannot fire: no test needed
        baseline = [days.get(first_day + timedelta(days=i), 0) for i in range(spikes.BASELINE_DAYS)]
        test = spikes.spike_test(
            baseline,
            days.get(today, 0),
            min_cases=settings.CXDESK_SPIKE_MIN_CASES,
            alpha=alpha,
        )
        if test.is_spike:
            fired.append((cause.pk, test))
    # A whole day (yesterday) without firing ends a spike; one that fired yesterday lives on.
    ended = RootCauseSpike.objects.filter(
        state=RootCauseSpike.State.ACTIVE, last_day__lt=today - timedelta(days=1)
    ).update(state=RootCauseSpike.State.ENDED, ended_at=now)
    firing = [
        spike_record(root_cause_id=pk, day=today, test=test, now=now).pk for pk, test in fired
    ]
    return SpikeRun(tested=len(causes), firing=firing, ended=ended, alerted=spikes_alert(now=now))


@transaction.atomic
def spike_record(
    *, root_cause_id: int, day: date, test: spikes.SpikeTest, now: datetime
) -> RootCauseSpike:
    """The root cause's active spike, now with `day`'s figures; a new one when it has none.
    Two workers recording at once write one row (the partial unique index)."""
    active = RootCauseSpike.objects.select_for_update().filter(
        root_cause_id=root_cause_id, state=RootCauseSpike.State.ACTIVE
    )
    spike = active.first()
    if spike is None:
        try:
            with transaction.atomic():
                return RootCauseSpike.objects.create(
                    root_cause_id=root_cause_id,
                    first_day=day,
                    last_day=day,
                    observed=test.observed,
                    expected=round(test.expected, 3),
                    p_value=test.p_value,
                    first_seen_at=now,
                    last_seen_at=now,
                )
        except IntegrityError:  # another worker recorded it first: update theirs
            spike = active.get()
    if day >= spike.last_day:
        spike.last_day = day
        spike.observed = test.observed
        spike.expected = round(test.expected, 3)
        spike.p_value = test.p_value
        spike.last_seen_at = now
        spike.save(update_fields=["last_day", "observed", "expected", "p_value", "last_seen_at"])
    return spike


def spikes_alert(*, now: datetime | None = None) -> int:
    """Alert the owner team of each active spike not alerted yet: returns how many."""
    pending = RootCauseSpike.objects.filter(
        state=RootCauseSpike.State.ACTIVE, alerted_at__isnull=True
    ).values_list("pk", flat=True)
    return sum(spike_alert(spike_id=pk, now=now) for pk in list(pending))


@transaction.atomic
def spike_alert(*, spike_id: int, now: datetime | None = None) -> bool:
    """Tell the spike's owner team, once: a notification to each active member (e-mailed
    to those with an address) and the `rootcause.spike` webhook event. The claim is a
    conditional UPDATE of `alerted_at`, in the transaction of what it sends: a second
    worker, or a second run, claims nothing (False)."""
    now = now or timezone.now()
    claimed = RootCauseSpike.objects.filter(
        pk=spike_id, state=RootCauseSpike.State.ACTIVE, alerted_at__isnull=True
    ).update(alerted_at=now)
    if not claimed:
        return False
    spike = RootCauseSpike.objects.select_related("root_cause", "root_cause__owner_team").get(
        pk=spike_id
    )
    members = User.objects.filter(
        teams=spike.root_cause.owner_team_id, is_active=True
    ).select_related("profile")
    text = spike_text(spike)
    # Stakeholders open their dashboard (the spikes page is not theirs:
    # apps/accounts/confinement.py); everyone else the spikes page.
    dashboard_url = f"{reverse('rootcauses:dashboard')}?owner_team={spike.root_cause.owner_team_id}"
    notifications.notify_many(
        [
            notifications.Notice(
                member,
                Notification.Kind.ROOT_CAUSE_SPIKE,
                None,
                text,
                f"spike:{spike.pk}",
                dashboard_url
                if role_of(member) == AgentProfile.Role.STAKEHOLDER
                else reverse("rootcauses:spikes"),
            )
            for member in members.order_by("pk")
        ],
        email=True,
    )
    webhooks.event_emit(event="rootcause.spike", data={"spike": spike_data(spike)})
    return True


def spike_text(spike: RootCauseSpike) -> str:
    """What the owner team reads: the cause, the day's count and what was expected."""
    return (
        f"Spike in {spike.root_cause.path}: {spike.observed} cases on {spike.last_day:%Y-%m-%d}"
        f" where {spike.expected:.1f} were expected (p = {spike.p_value:.1e})"
    )


def spike_data(spike: RootCauseSpike) -> dict[str, Any]:
    """A spike as the API and the webhook show it (its root cause loaded)."""
    return {
        "id": spike.pk,
        "root_cause_id": spike.root_cause_id,
        "path": spike.root_cause.path,
        "owner_team_id": spike.root_cause.owner_team_id,
        "state": spike.state,
        "first_day": spike.first_day,
        "last_day": spike.last_day,
        "observed": spike.observed,
        "expected": spike.expected,
        "p_value": spike.p_value,
        "first_seen_at": spike.first_seen_at,
        "api_url": reverse("api:root-cause-spike-list"),
    }


# --- Candidates -----------------------------------------------------------------------------


class CandidateDecided(RootCauseError):
    """The candidate was accepted, merged or dismissed already."""

    code = "candidate_decided"
    status = 409


@dataclass(frozen=True)
class CandidateRun:
    """What one refresh did: cases clustered, candidates now open, and how many of them
    were new, refreshed, or dropped (their group gone); busy: another run was writing."""

    pool: int
    open: int
    created: int
    refreshed: int
    dropped: int
    busy: bool = False


def _refresh_lock() -> bool:
    """One refresh writes at a time (PostgreSQL: a transaction advisory lock; SQLite writes
    one at a time anyway)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(hashtext('cxdesk.rootcauses.candidates'))")
        return bool(cursor.fetchone()[0])


def candidates_refresh(*, now: datetime | None = None) -> CandidateRun:
    """Cluster the cases the taxonomy does not explain (selectors.candidate_pool) and keep
    one open candidate per cluster of CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES cases or more.

    Idempotent: a cluster holding at least half the cases of an open candidate refreshes it
    (same id: its cases, terms and samples now); other clusters are new candidates; open
    candidates no cluster matches are dropped (their cases were tagged, or drifted apart).
    The same cases give the same candidates, so a second run changes nothing. Decided
    candidates are never touched. The clustering runs outside the transaction; the writes
    take the refresh lock (a second worker at once writes nothing: busy)."""
    now = now or timezone.now()
    pool = selectors.candidate_pool(
        since=now - timedelta(days=settings.CXDESK_ROOTCAUSE_CANDIDATE_DAYS),
        max_score=settings.CXDESK_ROOTCAUSE_CANDIDATE_MAX_SCORE,
        limit=candidates.MAX_POOL,
    )
    clusters = candidates.cluster_texts(
        [text for _, text, _ in pool],
        min_cases=settings.CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES,
        distance=settings.CXDESK_ROOTCAUSE_CANDIDATE_DISTANCE,
    )
    with transaction.atomic():
        if not _refresh_lock():
            return CandidateRun(len(pool), 0, 0, 0, 0, busy=True)
        current: dict[int, set[int]] = {}
        for candidate_id, case_id in RootCauseCandidateCase.objects.filter(
            candidate__state=RootCauseCandidate.State.OPEN
        ).values_list("candidate_id", "case_id"):
            current.setdefault(candidate_id, set()).add(case_id)
        opened = list(
            RootCauseCandidate.objects.select_for_update()
            .filter(state=RootCauseCandidate.State.OPEN)
            .order_by("pk")
        )
        by_id = {c.pk: c for c in opened}
        kept: list[RootCauseCandidate] = []
        created = 0
        memberships: list[RootCauseCandidateCase] = []
        for cluster in clusters:
            case_ids = [pool[m][0] for m in cluster.members]
            members = set(case_ids)
            match = max(
                (
                    pk
                    for pk in by_id
                    if len(current.get(pk, set()) & members) * 2 >= len(current.get(pk, ())) > 0
                ),
                key=lambda pk: (len(current[pk] & members), -pk),
                default=None,
            )
            fields = {
                "top_terms": cluster.top_terms,
                "sample_subjects": _samples(pool, cluster.members),
                "size": len(case_ids),
                "cohesion": cluster.cohesion,
                "refreshed_at": now,
            }
            if match is None:
                candidate = RootCauseCandidate.objects.create(created_at=now, **fields)
                created += 1
            else:
                candidate = by_id.pop(match)
                for name, value in fields.items():
                    setattr(candidate, name, value)
                kept.append(candidate)
            memberships += [
                RootCauseCandidateCase(candidate=candidate, case_id=pk, similarity=similarity)
                for pk, similarity in zip(case_ids, cluster.similarities, strict=True)
            ]
        if kept:
            RootCauseCandidate.objects.bulk_update(
                kept, ["top_terms", "sample_subjects", "size", "cohesion", "refreshed_at"]
            )
        RootCauseCandidateCase.objects.filter(
            candidate__in=[c.pk for c in kept] + list(by_id)
        ).delete()
        RootCauseCandidate.objects.filter(pk__in=list(by_id)).delete()
        RootCauseCandidateCase.objects.bulk_create(memberships)
    return CandidateRun(
        pool=len(pool),
        open=len(clusters),
        created=created,
        refreshed=len(kept),
        dropped=len(by_id),
    )


SAMPLE_SUBJECTS = 5


def _samples(pool: list[tuple[int, str, str]], members: list[int]) -> list[str]:
    """The subjects (their text's first line when blank) of the most central cases, each
    once."""
    samples: list[str] = []
    for m in members:
        subject = (pool[m][2] or pool[m][1].split("\n", 1)[0]).strip()[:200]
        if subject and subject.lower() not in (s.lower() for s in samples):
            samples.append(subject)
        if len(samples) == SAMPLE_SUBJECTS:
            break
    return samples


def _candidate_open(candidate_id: int) -> RootCauseCandidate:
    candidate = RootCauseCandidate.objects.select_for_update().get(pk=candidate_id)
    if candidate.state != RootCauseCandidate.State.OPEN:
        raise CandidateDecided(f"this candidate was {candidate.get_state_display().lower()}")
    return candidate


def _candidate_tag(candidate: RootCauseCandidate, node: RootCause, actor: Any) -> int:
    """Give `node` to the candidate's cases that still have no root cause (each through the
    tagging service: audited, announced); returns how many were tagged."""
    from apps.cases import services as cases  # it imports this module: late

    ids = list(
        Case.objects.filter(
            pk__in=candidate.memberships.values("case_id"),
            root_cause__isnull=True,
            merged_into__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    for pk in ids:
        cases.case_set_root_cause(case_id=pk, root_cause=node, actor=actor)
    return len(ids)


def _candidate_decide(
    candidate: RootCauseCandidate, state: str, actor: Any, node: RootCause | None = None
) -> RootCauseCandidate:
    candidate.state = state
    candidate.root_cause = node
    candidate.decided_at = timezone.now()
    candidate.decided_by = actor
    candidate.save(update_fields=["state", "root_cause", "decided_at", "decided_by"])
    return candidate


@transaction.atomic
def candidate_accept(
    *,
    candidate_id: int,
    name: str,
    owner_team: Team,
    parent: RootCause | None = None,
    description: str = "",
    actor: Any = None,
) -> RootCauseCandidate:
    """Make the candidate a new node under `parent` (the tree's rules apply: a retired or
    too deep parent, a name taken → the RootCauseError of root_cause_create) owned by
    `owner_team`, and tag its untagged cases with it. Decided already → CandidateDecided."""
    candidate = _candidate_open(candidate_id)
    if not description:
        description = "Proposed from cases about: " + ", ".join(candidate.top_terms[:5])
    node = root_cause_create(
        name=name, owner_team=owner_team, parent=parent, description=description
    )
    _candidate_tag(candidate, node, actor)
    return _candidate_decide(candidate, RootCauseCandidate.State.ACCEPTED, actor, node)


@transaction.atomic
def candidate_merge(
    *, candidate_id: int, root_cause: RootCause, actor: Any = None
) -> RootCauseCandidate:
    """Tag the candidate's untagged cases with an existing current node (a retired one →
    RootCauseRetired); decided already → CandidateDecided."""
    candidate = _candidate_open(candidate_id)
    root_cause = RootCause.objects.get(pk=root_cause.pk)
    root_cause_assignable(root_cause)
    _candidate_tag(candidate, root_cause, actor)
    return _candidate_decide(candidate, RootCauseCandidate.State.MERGED, actor, root_cause)


@transaction.atomic
def candidate_dismiss(*, candidate_id: int, actor: Any = None) -> RootCauseCandidate:
    """Not a new cause: its cases are left as they are and never proposed again."""
    candidate = _candidate_open(candidate_id)
    return _candidate_decide(candidate, RootCauseCandidate.State.DISMISSED, actor)
