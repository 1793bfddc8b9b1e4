"""The agent's queue page: views with counts, filters, sorts, keyset pages and bulk actions.

Thin views: which cases a view holds, counts and pages are apps/cases/queues.py; the filters
apps/cases/filters_web.py; every change a bulk action makes goes through apps/cases/services.py,
one case at a time, so each is checked, audited and announced as if made on the case page.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from apps.accounts.types import User
from apps.rootcauses.selectors import root_cause_nodes

from . import queue_nav, queue_rows, queues
from .filters_web import QueueFilter, SavedViewForm, normalised_query
from .models import Case, SavedView

CURSOR_PARAMS = ("after", "before")


def _user(request: HttpRequest) -> User:
    """The signed-in user of a @login_required view."""
    assert request.user.is_authenticated
    return request.user


def _view_key(request: HttpRequest) -> str:
    key = request.GET.get("view", "")
    if not key and request.GET.get("scope") == "all":  # the old "All cases" link
        key = "all"
    return key if key in queues.VIEWS else queues.DEFAULT_VIEW


def _switcher_context(scope: queues.Scope, view_key: str, query: str = "") -> dict:
    """The views with their counts, and the user's saved views (`query`: the page's own
    normalised filters, to mark the saved view it is showing)."""
    counts = queues.view_counts(scope)
    saved = list(SavedView.objects.filter(owner_id=scope.user.pk).only("pk", "name", "query"))
    current_saved = next((s.pk for s in saved if query and s.query == query), None)
    return {
        "views": [
            {"key": v.key, "label": v.label, "count": counts.label(v.key)}
            for v in queues.VIEWS.values()
        ],
        "view_key": "" if current_saved else view_key,
        "saved_views": saved,
        "current_saved": current_saved,
        "query": query,
    }


def _query_without_cursor(request: HttpRequest) -> QueryDict:
    query = request.GET.copy()
    for name in CURSOR_PARAMS:
        query.pop(name, None)
    return query


def _with(query: QueryDict, **params: str) -> str:
    q = query.copy()
    for name, value in params.items():
        q[name] = value
    return "?" + q.urlencode()


@login_required
@require_safe
def queue(request: HttpRequest) -> HttpResponse:
    scope = queues.Scope.of(request.user)
    now = timezone.now()
    view_key = _view_key(request)
    if request.GET.get("view") and request.GET["view"] not in queues.VIEWS:
        messages.error(request, f"There is no view {request.GET['view']!r}: showing your queue.")
    # The filters alone (over every case): ANDed with the view below, and with each of its
    # parts (queues.view_parts), so that a filter's own lookups (a tag's id) run once.
    nodes = root_cause_nodes()  # the filter's choices; the current ones are the bulk form's
    filterset = QueueFilter(
        request.GET, queryset=Case.objects.all(), scope=scope, now=now, root_causes=nodes
    )
    base = _query_without_cursor(request)
    query = normalised_query(request.GET)
    switcher = _switcher_context(scope, view_key, query)
    context = {
        **switcher,
        "save_form": SavedViewForm(owner=request.user, query_data=request.GET, scope=scope),
        "view": queues.VIEWS[view_key],
        "filter": filterset,
        "heading": next(
            (v.name for v in switcher["saved_views"] if v.pk == switcher["current_saved"]),
            queues.VIEWS[view_key].label,
        ),
        "filtered": any(
            request.GET.get(name) for name in filterset.filters if name not in ("sort",)
        ),
        "page": None,
        "next_url": None,
        "previous_url": None,
        "first_url": None,
        "here": request.get_full_path(),
        "assignees": filterset.assignees,
        "statuses": Case.Status.choices,
        "priorities": Case.Priority.choices,
        "root_causes": [(pk, path) for pk, path, retired in nodes if not retired],
    }
    if not filterset.is_valid():
        # The form shows each bad value and what is expected; nothing is listed meanwhile.
        return render(request, "cases/queue.html", context, status=400)
    sort = queues.SORTS[filterset.sort_key()]
    after = before = None
    try:
        if request.GET.get("before"):
            before = queues.Cursor.decode(request.GET["before"], sort)
        elif request.GET.get("after"):
            after = queues.Cursor.decode(request.GET["after"], sort)
    except queues.BadCursor:
        messages.error(request, "That page link is broken or out of date: here is the first page.")
    filtered = filterset.qs
    parts = queues.view_parts(scope, view_key, now=now)
    page = queues.page_of(
        queues.view_cases(scope, view_key, now=now) & filtered,
        sort,
        after=after,
        before=before,
        parts=[queues.open_cases(part) & filtered for part in parts] if parts else None,
    )
    context.update(
        page=page,
        rows=queue_rows.queue_rows(page.rows, now=now),
        sort=sort,
        next_url=_with(base, after=page.next_cursor) if page.next_cursor else None,
        previous_url=_with(base, before=page.previous_cursor) if page.previous_cursor else None,
        first_url=("?" + base.urlencode()) if (after or before) else None,
    )
    response = render(request, "cases/queue.html", context)
    # The case page's next / previous case ("]" / "["): this page's cases, in order.
    queue_nav.remember(request, response, ids=[c.pk for c in page.rows], url=context["here"])
    return response


@login_required
@require_safe
def queue_counts(request: HttpRequest) -> HttpResponse:
    """The view switcher with fresh counts: what the page polls (htmx) every 30 s."""
    scope = queues.Scope.of(request.user)
    return render(request, "cases/queue/_views.html", _switcher_context(scope, _view_key(request)))


def _back(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def queue_bulk(request: HttpRequest) -> HttpResponse:
    from . import bulk

    scope = queues.Scope.of(request.user)
    form = bulk.BulkForm(request.POST, scope=scope)
    if not form.is_valid():
        return render(
            request,
            "cases/queue/bulk_refused.html",
            {"form": form, "next": _back(request)},
            status=400,
        )
    data = form.cleaned_data
    cases = bulk.visible_cases(scope, data["case_ids"])
    if cases is None:  # one of them is another team's, or no case at all: nothing is done
        raise Http404("No such case")
    if data["action"] == "merge" and not data.get("target"):
        return render(
            request,
            "cases/queue/merge_confirm.html",
            {"cases": cases, "next": _back(request)},
        )
    result = bulk.apply(action=data["action"], cases=cases, data=data, actor=_user(request))
    if result.changed:
        messages.success(request, result.changed_message)
    if result.unchanged:
        messages.info(request, result.unchanged_message)
    for failure in result.failed:
        messages.error(request, failure)
    return redirect(_back(request))


@login_required
@require_POST
def saved_view_create(request: HttpRequest) -> HttpResponse:
    """Save the filters and sort the queue page shows (posted as `query`) under a name."""
    scope = queues.Scope.of(request.user)
    query_data = QueryDict(request.POST.get("query", "")[:2000])
    form = SavedViewForm(request.POST, owner=request.user, query_data=query_data, scope=scope)
    if not form.is_valid():
        return render(
            request,
            "cases/queue/saved_view_refused.html",
            {"form": form, "back": "/?" + normalised_query(query_data)},
            status=400,
        )
    saved = form.save()
    messages.success(request, f"Saved the view “{saved.name}”.")
    return redirect("/?" + saved.query)


@login_required
@require_POST
def saved_view_delete(request: HttpRequest, view_id: int) -> HttpResponse:
    deleted, _ = SavedView.objects.filter(pk=view_id, owner=_user(request)).delete()
    if not deleted:  # another agent's, or gone
        raise Http404("No such view")
    messages.success(request, "The saved view was deleted.")
    return redirect(_back(request))
