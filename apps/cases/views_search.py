"""The search page: one GET form (the header's box), a redirect for an exact reference."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.views.decorators.http import require_safe

from . import search


@login_required
@require_safe
def case_search(request):
    """Results for `?q=` among what the user may see (apps/cases/search.py); `?after=` pages
    on. An exact reference of a visible case redirects to it; an empty, too short or unknown
    query is the page with a hint, never an error (a bad `after` link is a 400 that says so)."""
    raw = request.GET.get("q", "")
    after = None
    if request.GET.get("after"):
        try:
            after = search.parse_cursor(request.GET["after"])
        except search.InvalidCursor:
            context = {"results": None, "search_query": raw, "bad_cursor": True}
            return render(request, "cases/search.html", context, status=search.InvalidCursor.status)
    results = search.case_search(user=request.user, query=raw, after=after)
    if results.jump_to is not None:
        return redirect("case-detail", case_id=results.jump_to.pk)
    context = {
        "results": results,
        "search_query": results.query.text,
        "after": after,
        "limits": {"min": search.MIN_QUERY_CHARS, "max": search.MAX_QUERY_CHARS},
    }
    return render(request, "cases/search.html", context)
