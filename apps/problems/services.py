"""Writes on problems: create, change, move through the statuses, list cases, answer together.

The rules, kept here and nowhere else:

- Supervisors and admins manage problems (create, change, move, answer together:
  `_require_manager`); agents, supervisors and admins list the cases they can see under the
  problems they can see, and take them off (the callers check what is visible:
  apps/problems/selectors.py).
- The status moves only along `Problem.ALLOWED_TRANSITIONS`; becoming fixed needs a fix
  date (given, or set before), never in the future.
- Every change writes a ProblemEvent in its transaction; listing a case under a problem, or
  taking it off, also writes a CaseEvent (kind "problem") and is announced through
  apps/cases/events.py (field "problems").
- A problem can be opened from a candidate cluster (`problem_from_candidate`): the candidate
  merged into the problem's root cause if still open, and its cases listed, audited alike.
- Answering together: `answer_together_start` stores the reply and one ProblemAnswer row per
  open case not answered before (unique per problem and case), and enqueues the task by
  name. `answer_together_run` (the task) claims each row by a conditional UPDATE
  (apps/core/outbox.py) and, in one transaction, writes the reply on the case's own channel
  through apps/cases/services.case_reply (whose outbound send task goes after commit),
  solves the case and marks the row answered — committed only while the claim still holds,
  so a retried, redelivered or swept run answers no case twice. A case that cannot be
  answered (no sender on its channel, a solve its team refuses) fails alone, visibly.
"""

import logging
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Team
from apps.accounts.types import User
from apps.cases import events, outbound
from apps.cases import services as case_services
from apps.cases.models import OPEN_STATUSES, Case, CaseEvent, Interaction
from apps.core.errors import DomainError
from apps.core.outbox import Outbox
from apps.core.queue import enqueue_each, enqueue_on_commit
from apps.macros import placeholders
from apps.macros.selectors import case_for_placeholders, placeholder_values
from apps.rootcauses.models import RootCause
from apps.rootcauses.services import root_cause_assignable

from . import selectors
from .models import Problem, ProblemAnswer, ProblemCase, ProblemEvent

logger = logging.getLogger(__name__)

Status = Problem.Status
Answer = ProblemAnswer.Status
Kind = ProblemEvent.Kind

ANSWER_TASK = "apps.problems.tasks.answer_together"
ANSWER_BATCH = 200  # rows read per round of a run (each then claimed on its own)
ANSWER_LEASE = timedelta(minutes=5)  # a claim older than this: its worker died
SWEEP_GRACE = timedelta(minutes=2)  # a pending row this old: its run's task was lost
SWEEP_PROBLEMS = 100  # problems resumed per sweep

ANSWERS = Outbox(
    model=ProblemAnswer,
    ready=Answer.PENDING,
    claimed=Answer.ANSWERING,
    done=Answer.ANSWERED,
    failed=Answer.FAILED,
    max_attempts=3,
    lease=ANSWER_LEASE,
    next_attempt_field=None,  # every failure is final (and shown); "retry failed" by hand
    due_field="created_at",
    due_grace=SWEEP_GRACE,
    lost_error="the worker answering this case stopped before it finished; claim released",
    gave_up_error="the worker answering this case stopped before it finished, 3 times",
)


class ProblemError(DomainError):
    code = "problem_error"
    status = 400


class ProblemForbidden(ProblemError):
    code = "problem_forbidden"
    status = 403


class InvalidProblemTransition(ProblemError):
    code = "invalid_problem_transition"
    status = 409

    def __init__(self, *, current: str, requested: str):
        self.current, self.requested = current, requested
        allowed = sorted(Problem.ALLOWED_TRANSITIONS.get(current, ()))
        super().__init__(
            f"a {current} problem cannot become {requested} (allowed: {', '.join(allowed)})"
        )


class FixDateRequired(ProblemError):
    code = "fix_date_required"
    field = "fix_date"


class AnswerNotAllowed(ProblemError):
    code = "answer_not_allowed"
    status = 409


class _ClaimLost(Exception):
    """The claim was released and taken by another worker: roll this attempt back."""


class _Skip(Exception):
    """Nothing to answer on this case (solved or closed meanwhile)."""


def _require_manager(actor: User) -> None:
    if not selectors.can_manage(actor):
        raise ProblemForbidden("only supervisors and admins manage problems")


def _clean_title(title: str) -> str:
    title = " ".join((title or "").split())
    if not title:
        raise ProblemError("a problem needs a title", fields={"title": ["Give a title."]})
    return title[:200]


def _clean_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        raise ProblemError(
            "the tracker link must be an http or https address",
            fields={"tracker_url": ["Give an http:// or https:// address."]},
        ) from None
    if len(url) > 500:
        raise ProblemError(
            "the tracker link is too long", fields={"tracker_url": ["500 characters at most."]}
        )
    return url


def _check_fix_date(fix_date: date) -> None:
    if fix_date > timezone.localdate():
        raise FixDateRequired("the fix date cannot be in the future")


def _ref(value: Any) -> Any:
    """A value as an event records it (JSON)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Team):
        return {"id": value.pk, "name": value.name}
    if isinstance(value, RootCause):
        return {"id": value.pk, "path": value.path}
    return value


def _event(
    problem: Problem, kind: str, *, actor: User | None, before: Any = None, after: Any = None
) -> ProblemEvent:
    return ProblemEvent.objects.create(
        problem=problem, kind=kind, actor=actor, before=before, after=after
    )


@transaction.atomic
def problem_create(
    *,
    title: str,
    root_cause: RootCause,
    actor: User,
    owner_team: Team | None = None,
    description: str = "",
    tracker_url: str = "",
    origin: dict[str, Any] | None = None,
) -> Problem:
    """A new open problem of `root_cause`, owned by `owner_team` (default: the root cause's
    owner team). The root cause must be current (not retired). `origin` is recorded on its
    "created" event (the candidate it was opened from)."""
    _require_manager(actor)
    root_cause_assignable(root_cause)
    problem = Problem.objects.create(
        title=_clean_title(title),
        description=description or "",
        root_cause=root_cause,
        owner_team=owner_team or root_cause.owner_team,
        tracker_url=_clean_url(tracker_url),
        created_by=actor,
    )
    _event(
        problem,
        Kind.CREATED,
        actor=actor,
        after={
            "title": problem.title,
            "root_cause": _ref(root_cause),
            "owner_team": _ref(problem.owner_team),
            **(origin or {}),
        },
    )
    return problem


@transaction.atomic
def problem_from_candidate(
    *,
    candidate_id: int,
    title: str,
    actor: User,
    root_cause: RootCause | None = None,
    owner_team: Team | None = None,
    description: str = "",
    tracker_url: str = "",
) -> tuple[Problem, list[int]]:
    """Open a problem from a candidate cluster (apps/rootcauses/candidates.py) and list its
    cases under it; (the problem, the case ids listed). The caller has checked that `actor`
    sees the candidate (every case of it).

    A problem has a root cause: an open candidate is first merged into `root_cause`
    (rootcauses.services.candidate_merge: its untagged cases tagged with it, each audited),
    so its cases count where the problem's verdict looks; an accepted or merged candidate
    keeps its node (`root_cause` may repeat it, not name another); a dismissed one is no
    problem (CandidateDecided). Each listing is audited as problem_link_cases does (a
    CaseEvent per case, one ProblemEvent), and the "created" event names the candidate."""
    from apps.rootcauses import services as rootcause_services
    from apps.rootcauses.models import RootCauseCandidate, RootCauseCandidateCase

    _require_manager(actor)
    candidate = RootCauseCandidate.objects.select_for_update().get(pk=candidate_id)
    State = RootCauseCandidate.State
    if candidate.state == State.DISMISSED:
        raise rootcause_services.CandidateDecided("this candidate was dismissed")
    if candidate.state == State.OPEN:
        if root_cause is None:
            raise ProblemError(
                "choose the root cause of the problem",
                fields={"root_cause": ["Choose a root cause: the candidate's cases get it."]},
            )
        candidate = rootcause_services.candidate_merge(
            candidate_id=candidate.pk, root_cause=root_cause, actor=actor
        )
    elif root_cause is not None and root_cause.pk != candidate.root_cause_id:
        raise ProblemError(
            "this candidate's cases have a root cause already",
            fields={"root_cause": ["Leave it out, or give the candidate's own root cause."]},
        )
    node = candidate.root_cause
    if node is None:  # decided without a node: only a dismissal, refused above
        raise ProblemError("this candidate has no root cause")
    problem = problem_create(
        title=title,
        root_cause=node,
        actor=actor,
        owner_team=owner_team,
        description=description,
        tracker_url=tracker_url,
        origin={"candidate": candidate.pk},
    )
    case_ids = list(
        RootCauseCandidateCase.objects.filter(candidate=candidate)
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )
    linked = problem_link_cases(problem_id=problem.pk, case_ids=case_ids, actor=actor)
    return problem, linked


def _locked(problem_id: int) -> Problem:
    return Problem.objects.select_for_update().get(pk=problem_id)


@transaction.atomic
def problem_update(
    *,
    problem_id: int,
    actor: User,
    title: str | None = None,
    description: str | None = None,
    root_cause: RootCause | None = None,
    owner_team: Team | None = None,
    tracker_url: str | None = None,
    fix_date: date | None = None,
) -> Problem:
    """Change what is given (None: unchanged); one event with what changed, before and after."""
    _require_manager(actor)
    problem = _locked(problem_id)
    new: dict[str, Any] = {}
    if title is not None:
        new["title"] = _clean_title(title)
    if description is not None:
        new["description"] = description
    if root_cause is not None and root_cause.pk != problem.root_cause_id:
        root_cause_assignable(root_cause)
        new["root_cause"] = root_cause
    if owner_team is not None and owner_team.pk != problem.owner_team_id:
        new["owner_team"] = owner_team
    if tracker_url is not None:
        new["tracker_url"] = _clean_url(tracker_url)
    if fix_date is not None:
        _check_fix_date(fix_date)
        new["fix_date"] = fix_date
    changed = {k: v for k, v in new.items() if getattr(problem, k) != v}
    if not changed:
        return problem
    before = {k: _ref(getattr(problem, k)) for k in changed}
    for name, value in changed.items():
        setattr(problem, name, value)
    problem.save(update_fields=[*changed, "updated_at"])
    _event(
        problem,
        Kind.UPDATED,
        actor=actor,
        before=before,
        after={k: _ref(v) for k, v in changed.items()},
    )
    return problem


@transaction.atomic
def problem_transition(
    *, problem_id: int, to: str, actor: User, fix_date: date | None = None
) -> Problem:
    """Move the problem to `to` along Problem.ALLOWED_TRANSITIONS. Becoming fixed needs a
    fix date: `fix_date`, or the one set before."""
    _require_manager(actor)
    if to not in Status.values:
        raise ProblemError(
            f"unknown status {to!r} (one of {', '.join(Status.values)})",
            fields={"to": ["Choose a status."]},
        )
    problem = _locked(problem_id)
    if not problem.can_transition_to(to):
        raise InvalidProblemTransition(current=problem.status, requested=to)
    before: dict[str, Any] = {"status": problem.status}
    after: dict[str, Any] = {"status": to}
    fields = ["status", "updated_at"]
    if fix_date is not None and fix_date != problem.fix_date:
        _check_fix_date(fix_date)
        before["fix_date"], after["fix_date"] = _ref(problem.fix_date), fix_date.isoformat()
        problem.fix_date = fix_date
        fields.append("fix_date")
    if to == Status.FIXED and problem.fix_date is None:
        raise FixDateRequired("give the date the fix shipped to mark the problem fixed")
    problem.status = to
    problem.save(update_fields=fields)
    _event(problem, Kind.STATUS, actor=actor, before=before, after=after)
    return problem


# --- cases under a problem ----------------------------------------------------------------


def _problem_ref(problem: Problem) -> dict[str, Any]:
    return {"id": problem.pk, "title": problem.title}


@transaction.atomic
def problem_link_cases(
    *, problem_id: int, case_ids: Iterable[int], actor: User | None
) -> list[int]:
    """List the cases under the problem (those listed already are left as they are); the
    ids newly listed. The caller has checked that `actor` sees the problem and the cases.
    A constant number of queries, whatever the number of cases."""
    problem = _locked(problem_id)
    ids = list(dict.fromkeys(int(i) for i in case_ids))
    already = set(
        ProblemCase.objects.filter(problem=problem, case_id__in=ids).values_list(
            "case_id", flat=True
        )
    )
    new = [
        i
        for i in Case.objects.filter(pk__in=ids).order_by().values_list("pk", flat=True)
        if i not in already
    ]
    if not new:
        return []
    now = timezone.now()
    ProblemCase.objects.bulk_create(
        [ProblemCase(problem=problem, case_id=i, linked_by=actor, linked_at=now) for i in new]
    )
    ref = _problem_ref(problem)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(case_id=i, kind=CaseEvent.Kind.PROBLEM, actor=actor, after=ref, at=now)
            for i in new
        ]
    )
    Case.objects.filter(pk__in=new).update(updated_at=now)
    _event(problem, Kind.LINKED, actor=actor, after={"cases": sorted(new)})
    problem.save(update_fields=["updated_at"])
    events.announce_many(
        [events.change(i, fields=["problems"], after={"problems": [ref]}, actor=actor) for i in new]
    )
    return sorted(new)


@transaction.atomic
def problem_unlink_case(*, problem_id: int, case_id: int, actor: User | None) -> bool:
    """Take the case off the problem; False when it was not listed under it."""
    problem = _locked(problem_id)
    deleted, _ = ProblemCase.objects.filter(problem=problem, case_id=case_id).delete()
    if not deleted:
        return False
    ref = _problem_ref(problem)
    case = Case.objects.select_for_update().get(pk=case_id)
    CaseEvent.objects.create(case=case, kind=CaseEvent.Kind.PROBLEM, actor=actor, before=ref)
    case.save(update_fields=["updated_at"])
    _event(problem, Kind.UNLINKED, actor=actor, before={"case": case_id})
    problem.save(update_fields=["updated_at"])
    events.announce(case, fields=["problems"], before={"problems": [ref]}, actor=actor)
    return True


# --- answer together ----------------------------------------------------------------------


def _check_body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ProblemError("write the answer first", fields={"body": ["Write the answer."]})
    if unknown := placeholders.unknown_in(body):
        raise ProblemError(
            f"unknown placeholders: {', '.join(unknown)}",
            fields={"body": [f"Unknown placeholders: {', '.join(unknown)}."]},
        )
    return body


@transaction.atomic
def answer_together_start(*, problem_id: int, body: str, actor: User) -> int:
    """Answer the fixed problem's open cases with `body` (placeholders as in macros), each on
    its own channel, solving each; returns how many cases will be answered. Cases answered
    by an earlier start are not answered again; a start while one runs is refused."""
    _require_manager(actor)
    body = _check_body(body)
    problem = _locked(problem_id)
    if problem.status not in Problem.FIXED_STATUSES:
        raise AnswerNotAllowed("only a fixed problem's cases are answered together")
    if ProblemAnswer.objects.filter(
        problem=problem, status__in=[Answer.PENDING, Answer.ANSWERING]
    ).exists():
        raise AnswerNotAllowed("its cases are being answered: wait until that run ends")
    case_ids = list(
        ProblemCase.objects.filter(problem=problem, case__status__in=OPEN_STATUSES)
        .exclude(case__in=ProblemAnswer.objects.filter(problem=problem).values("case"))
        .order_by("case_id")
        .values_list("case_id", flat=True)
    )
    if not case_ids:
        raise AnswerNotAllowed("the problem has no open case left to answer")
    now = timezone.now()
    ProblemAnswer.objects.bulk_create(
        [ProblemAnswer(problem=problem, case_id=i, created_at=now) for i in case_ids],
        batch_size=500,
        ignore_conflicts=True,  # the unique (problem, case): never a second row
    )
    problem.answer_body, problem.answer_by, problem.answer_started_at = body, actor, now
    problem.save(update_fields=["answer_body", "answer_by", "answer_started_at", "updated_at"])
    _event(problem, Kind.ANSWER_STARTED, actor=actor, after={"cases": len(case_ids), "body": body})
    enqueue_on_commit(ANSWER_TASK, problem.pk)
    return len(case_ids)


def answer_together_run(*, problem_id: int) -> dict[str, int]:
    """The task's work: answer every waiting case of the problem, one claim at a time.
    Safe to run twice, or in two workers at once: a row is answered by whoever claims it."""
    done = {"answered": 0, "skipped": 0, "failed": 0}
    seen: set[int] = set()
    while True:
        ids = [
            pk
            for pk in ProblemAnswer.objects.filter(problem_id=problem_id, status=Answer.PENDING)
            .order_by("id")
            .values_list("pk", flat=True)[:ANSWER_BATCH]
            if pk not in seen
        ]
        if not ids:
            return done
        for pk in ids:
            seen.add(pk)
            outcome = answer_one(answer_id=pk)
            if outcome:
                done[outcome] += 1


def answer_one(*, answer_id: int, now: datetime | None = None) -> str | None:
    """Claim one case's row and answer it: "answered", "skipped", "failed", or None when it
    was not ours (answered already, or another worker has it)."""
    now = now or timezone.now()
    claim = ANSWERS.claim(
        answer_id, now=now, queryset=ProblemAnswer.objects.select_related("problem__answer_by")
    )
    if claim is None:
        return None
    row: ProblemAnswer = claim.row
    problem = row.problem
    try:
        with transaction.atomic():
            interaction = _answer_case(problem, row.case_id)
            if not ANSWERS.succeed(claim, interaction=interaction, finished_at=timezone.now()):
                raise _ClaimLost
            _event(
                problem,
                Kind.ANSWERED,
                actor=problem.answer_by,
                after={
                    "case": row.case_id,
                    "interaction": interaction.pk,
                    "channel": interaction.channel,
                },
            )
        return "answered"
    except _ClaimLost:
        return None
    except _Skip as skip:
        ANSWERS.finish(claim, Answer.SKIPPED, error=str(skip), finished_at=timezone.now())
        return "skipped"
    except Exception as exc:  # noqa: BLE001 — a domain refusal, or anything: this case only
        if not isinstance(exc, DomainError):
            logger.exception("answering case %s of problem %s failed", row.case_id, problem.pk)
        message = str(exc) or type(exc).__name__
        if ANSWERS.fail(claim, message, finished_at=timezone.now()):
            with transaction.atomic():
                _event(
                    problem,
                    Kind.ANSWER_FAILED,
                    actor=problem.answer_by,
                    after={"case": row.case_id, "error": message[:500]},
                )
        return "failed"


def _answer_case(problem: Problem, case_id: int) -> Interaction:
    """The reply on the case's own channel, and the solve (inside the caller's transaction)."""
    agent = problem.answer_by
    if agent is None:
        raise ProblemError("the person who started the answer no longer exists")
    case = case_for_placeholders(case_id=case_id)
    if case.status not in OPEN_STATUSES:
        raise _Skip(f"{case.reference} was {case.status} already: not answered")
    if not outbound.has_sender(case.channel):
        raise ProblemError(
            f"{case.reference} came by {case.get_channel_display().lower()}, which has no "
            f"outbound channel: answer it by hand"
        )
    text = placeholders.render(problem.answer_body, placeholder_values(case=case, agent=agent)).text
    return case_services.case_reply(
        case_id=case.pk,
        agent=agent,
        body_text=text,
        channel=case.channel,
        then_status=Case.Status.SOLVED,
        metadata={"problem_id": problem.pk},
    )


def answer_retry_failed(*, problem_id: int, actor: User) -> int:
    """Try the failed cases again (after fixing what stopped them); how many."""
    _require_manager(actor)
    failed = ProblemAnswer.objects.filter(problem_id=problem_id, status=Answer.FAILED)
    ids = ANSWERS.retry_now(list(failed.values_list("pk", flat=True)), error="")
    if ids:
        with transaction.atomic():
            problem = _locked(problem_id)
            _event(
                problem, Kind.ANSWER_STARTED, actor=actor, after={"cases": len(ids), "retry": True}
            )
            enqueue_on_commit(ANSWER_TASK, problem_id)
    return len(ids)


def answers_sweep(*, now: datetime | None = None) -> int:
    """Resume stalled runs: release the claims of dead workers, then enqueue the task for
    each problem with a case waiting longer than SWEEP_GRACE (bounded; safe to run twice).
    Returns how many problems were enqueued."""
    ANSWERS.release_stale(now=now)
    problem_ids = list(
        ANSWERS.due_queryset(now=now)
        .order_by()
        .values_list("problem_id", flat=True)
        .distinct()[:SWEEP_PROBLEMS]
    )
    return enqueue_each(ANSWER_TASK, sorted(problem_ids))
