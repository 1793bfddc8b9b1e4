"""The agents' chat console, under /chats/: see chats arrive, take one, talk in the case page.

    GET  /chats/                       the console page: waiting chats, mine, who holds how many
    GET  /chats/panel/                 the console's content (htmx polls it every 3 s)
    GET  /chats/badge/                 the header's badge: how many chats wait (every 5 s)
    POST /chats/<id>/take/             take a waiting chat → its case page
    GET  /chats/<id>/messages/?after=  the case page's poll (htmx, every 2 s): new messages
    POST /chats/<id>/messages/         an agent's chat message (the case page's chat box)
    POST /chats/<id>/end/              end the chat as an agent

Polling, not a socket, for the reason apps/chat/views.py gives for the widget (WSGI workers).
Each poll costs a constant few indexed queries: the badge one count, the case page's poll
the messages after the last id it has (204 when there is none, so htmx swaps nothing).

Signed in, or a redirect to the sign-in page (an htmx poll gets HX-Redirect: the whole page
goes, not the badge). A chat on a case the user may not see is a 404 whatever the method,
then a method the URL does not take is a 405 (as the case page's actions).
Without JavaScript every form posts and answers with a redirect (the outcome in a message);
the case page then shows the transcript as it is.
"""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django_htmx.http import HttpResponseClientRedirect, trigger_client_event
from django_htmx.middleware import HtmxDetails

from apps.accounts.types import User
from apps.core.errors import DomainError
from apps.core.ids import MAX_DB_ID

from . import selectors, services
from .forms import ChatMessageForm
from .models import ChatSession

SENT_EVENT = "cx-chat-sent"  # the case page's poller asks again at once (hx-trigger)


class AgentRequest(HttpRequest):
    """A request these views see: signed in (_signed_in_only), with django-htmx's details."""

    htmx: HtmxDetails
    user: User


def _signed_in_only(view):
    @wraps(view)
    def wrapper(request: AgentRequest, *args, **kwargs):
        if request.user.is_authenticated:
            return view(request, *args, **kwargs)
        if request.htmx:
            page = request.htmx.current_url_abs_path or reverse("chat-console")
            return HttpResponseClientRedirect(redirect_to_login(page).url)
        return redirect_to_login(request.get_full_path())

    return wrapper


def console_view(*methods: str):
    def decorate(view):
        @_signed_in_only
        @wraps(view)
        def wrapper(request: AgentRequest, *args, **kwargs):
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


def session_view(*methods: str):
    """A view of one chat: signed in, the chat on a case the user may see (else 404, whatever
    the method), then the method."""

    def decorate(view):
        @_signed_in_only
        @wraps(view)
        def wrapper(request: AgentRequest, session_id: int, *args, **kwargs):
            session = (
                selectors.chat_sessions_for(user=request.user, status=None)
                .filter(pk=session_id)
                .first()
                if session_id <= MAX_DB_ID
                else None
            )
            if session is None:
                raise Http404("No such chat")
            if request.method not in methods:
                return HttpResponseNotAllowed(methods)
            return view(request, session, *args, **kwargs)

        return wrapper

    return decorate


def live_chat_parts(*, case, timeline: list, interactions: list) -> dict:
    """What the case page (apps/cases/views._page_context) adds for a chat under way: the
    session, the timeline entry its poller and chat box go after (the session's last one;
    None when none of its messages is on this case), the id the poll continues from."""
    live_chat = selectors.live_chat_on(case=case)
    if live_chat is None:
        return {"live_chat": None}
    entries = [e for e in timeline if e.chat_session_id == live_chat.pk]
    return {
        "live_chat": live_chat,
        "live_entry": entries[-1] if entries else None,
        "live_after": max((i.pk for i in interactions), default=0),
        "chat_form": ChatMessageForm(),
    }


def _console_context(request: AgentRequest) -> dict:
    user = request.user
    waiting = list(selectors.chats_waiting_for(user=user)[: selectors.WAITING_LIMIT])
    return {
        "waiting": waiting,
        "waiting_capped": len(waiting) >= selectors.WAITING_LIMIT,
        "mine": list(selectors.chats_held_by(user=user)),
        "holders": selectors.chat_holders_for(user=user),
        "now": timezone.now(),
    }


@console_view("GET", "HEAD")
def console(request: AgentRequest) -> HttpResponse:
    context = {
        **_console_context(request),
        "try_widget": selectors.widget_to_try_for(user=request.user),
    }
    return render(request, "chat/console/page.html", context)


@console_view("GET", "HEAD")
def console_panel(request: AgentRequest) -> HttpResponse:
    return render(request, "chat/console/_panel.html", _console_context(request))


@console_view("GET", "HEAD")
def console_badge(request: AgentRequest) -> HttpResponse:
    # Rendered without the request: every open agent page asks every 5 s, and the context
    # processors (the header's unread notifications) would add their queries to the count.
    summary = selectors.chats_waiting_summary(user=request.user)
    return HttpResponse(render_to_string("chat/console/_badge.html", summary))


@session_view("POST")
def take(request: AgentRequest, session: ChatSession) -> HttpResponse:
    try:
        services.chat_take(session_id=session.pk, agent=request.user)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("chat-console")
    messages.success(request, f"You have the chat with {session.contact}.")
    return redirect(reverse("case-detail", args=[session.case_id]) + "#live-chat")


def _after(request: AgentRequest) -> int | None:
    try:
        after = int(request.GET.get("after", "0"))
    except ValueError:
        return None
    return after if 0 <= after <= MAX_DB_ID else None


def _case_page(session: ChatSession) -> str:
    return reverse("case-detail", args=[session.case_id]) + "#live-chat"


def _controls(request: AgentRequest, session: ChatSession, form=None, status=200, **extra):
    context = {"live_chat": session, "chat_form": form or ChatMessageForm(), **extra}
    return render(request, "chat/console/_controls.html", context, status=status)


@session_view("GET", "HEAD", "POST")
def chat_messages(request: AgentRequest, session: ChatSession) -> HttpResponse:
    if request.method == "POST":
        return _send(request, session)
    if not request.htmx:
        return redirect(_case_page(session))
    after = _after(request)
    if after is None:
        return HttpResponse("after: a message id (a whole number, 0 or more).", status=400)
    new = selectors.chat_messages_after(session=session, after=after)
    if not new and session.is_active:
        return HttpResponse(status=204)  # nothing new: htmx keeps the poller as it is
    context = {
        "case": session.case,
        "live_chat": session,
        "new_messages": new,
        "live_after": new[-1].pk if new else after,
    }
    return render(request, "chat/console/_messages.html", context)


def _send(request: AgentRequest, session: ChatSession) -> HttpResponse:
    form = ChatMessageForm(request.POST)
    status = 400
    if form.is_valid():
        try:
            services.chat_agent_message(
                session_id=session.pk, agent=request.user, body=form.cleaned_data["text"]
            )
        except DomainError as exc:
            form.add_error("text", exc.message)
            status = exc.status
        else:
            if request.htmx:
                response = _controls(request, session, autofocus=True)
                return trigger_client_event(response, SENT_EVENT)
            return redirect(_case_page(session))
    if request.htmx:
        return _controls(request, session, form=form, status=status, autofocus=True)
    # Without JavaScript: the case page again, the message as typed and why it was refused.
    from apps.cases.views import _page_context

    context = _page_context(request, session.case_id, chat_form=form, autofocus=True)
    if context["live_chat"] is None:  # ended meanwhile: no chat box to show the error in
        messages.error(request, " ".join(str(e) for e in form.errors.get("text", [])))
        return redirect(_case_page(session))
    return render(request, "cases/case_detail.html", context, status=status)


@session_view("POST")
def end(request: AgentRequest, session: ChatSession) -> HttpResponse:
    session = services.chat_end(session_id=session.pk, by=ChatSession.EndedBy.AGENT)
    if request.htmx:
        return _controls(request, session)
    messages.success(request, "Chat ended.")
    return redirect(_case_page(session))
