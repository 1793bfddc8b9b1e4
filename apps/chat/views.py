"""The chat channel's web endpoints, under /channels/chat/: the widget's public JSON API, the
demo page and the email-claim confirmation page (no login), and agents' confirm button.

    GET     widgets/<key>/                  the widget's name and whether it takes chats
    POST    widgets/<key>/sessions/         start a chat → session, token, first message
    GET     sessions/<id>/messages/?after=  poll: the transcript's messages after an id
    POST    sessions/<id>/messages/         the customer's next message
    POST    sessions/<id>/end/              the customer ends the chat
    OPTIONS any of them                     CORS preflight
    GET     demo/<key>/                     a page showing the widget (HTML)
    GET/POST confirm/<token>/               the page the claim link opens; POST confirms (HTML)
    POST    sessions/<id>/confirm-claim/    signed-in agents: confirm a claim (case page button)

Session endpoints need the token `start` returned, in the `X-Chat-Token` header (tokens.py).
Bodies are capped at CXDESK_MAX_REQUEST_BYTES (413) and JSON nesting at 64 levels (400
json_too_deep) before a view runs (apps/api/limits.py).

CORS: a browser request carrying an Origin other than cxdesk's own is answered only when the
origin is in the widget's allowed_origins; otherwise 403 without CORS headers, before anything
is written (a form-encoded POST needs no preflight, so refusing only in headers would still
open cases). Requests without Origin (not from a browser page) are not CORS and pass; the
origin list keeps other websites from embedding a widget, it does not authenticate anyone.

Why polling and not server-sent events: cxdesk runs on WSGI workers (gunicorn), where an
open SSE stream holds a whole worker for as long as the chat lasts, so a few dozen open chats
would starve the agents' own requests. A poll is two indexed queries answered in milliseconds,
works through every proxy and with Django's test client, and the server steers its rate
(`poll_after_ms`). The widget polls every 3 s while visible, slower when hidden or failing.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.templatetags.static import static
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_http_methods, require_POST
from rest_framework import status
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.errors import ApiError
from apps.contacts import services as contact_services
from apps.core.ids import MAX_DB_ID

from . import selectors, services, tokens
from .models import ChatSession, ChatWidget
from .serializers import (
    ChatMessageInput,
    ChatMessageOutput,
    ChatPollInput,
    ChatSessionPublicOutput,
    ChatStartInput,
)
from .throttling import ChatAddressThrottle, ChatSessionThrottle, ChatStartThrottle

POLL_AFTER_MS = 3000
CORS_ALLOW_HEADERS = "Content-Type, X-Chat-Token"
CORS_MAX_AGE = "600"


def _same_origin(request, origin: str) -> bool:
    """Is the page on cxdesk itself (the demo page)? Compared by host, so a TLS proxy that
    forwards plain HTTP does not make cxdesk refuse its own pages."""
    host = origin.split("://", 1)[-1].rstrip("/").lower()
    return host == request.get_host().lower()


class _WidgetEndpoint(APIView):
    """What every public widget endpoint shares: no login, JSON only, CORS per widget,
    throttles, the API's error envelope. Not part of the integration API's schema."""

    authentication_classes: list = []
    permission_classes: list = []
    throttle_classes = [ChatAddressThrottle]
    parser_classes = [JSONParser]
    renderer_classes = [JSONRenderer]
    schema = None
    cors_methods = "POST, OPTIONS"
    cors_origin: str | None = None

    def check_permissions(self, request):
        # DRF runs this before the throttles: resolve the widget and check the origin first,
        # so that every later answer (a 429 too) carries CORS headers the widget can read.
        self.resolve(request, **self.kwargs)

    def resolve(self, request, **kwargs) -> None:
        raise NotImplementedError

    def check_origin(self, request, widget: ChatWidget) -> None:
        origin = request.headers.get("Origin")
        if origin is None or _same_origin(request, origin):
            return
        if not widget.allows_origin(origin):
            raise ApiError(
                "This website is not allowed to use this chat widget.",
                status_code=403,
                code="origin_not_allowed",
            )
        self.cors_origin = origin

    def options(self, request, *args, **kwargs):
        """CORS preflight: resolve() has checked the origin by now."""
        response = Response(status=status.HTTP_204_NO_CONTENT)
        if self.cors_origin:
            response["Access-Control-Allow-Methods"] = self.cors_methods
            response["Access-Control-Allow-Headers"] = CORS_ALLOW_HEADERS
            response["Access-Control-Max-Age"] = CORS_MAX_AGE
        return response

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        patch_vary_headers(response, ["Origin"])
        if self.cors_origin:
            response["Access-Control-Allow-Origin"] = self.cors_origin
            response["Access-Control-Expose-Headers"] = "Retry-After"
        return response


class _WidgetKeyEndpoint(_WidgetEndpoint):
    widget: ChatWidget

    def resolve(self, request, widget_key: str) -> None:
        widget = ChatWidget.objects.select_related("team").filter(public_key=widget_key).first()
        if widget is None:
            raise ApiError("No chat widget has this key.", status_code=404, code="unknown_widget")
        self.check_origin(request, widget)
        self.widget = widget


class ChatWidgetView(_WidgetKeyEndpoint):
    cors_methods = "GET, OPTIONS"

    def get(self, request, widget_key: str):
        return Response(
            {
                "name": self.widget.name,
                "accepting_chats": self.widget.is_active,
                "poll_after_ms": POLL_AFTER_MS,
            }
        )


class ChatStartView(_WidgetKeyEndpoint):
    throttle_classes = [ChatAddressThrottle, ChatStartThrottle]

    def post(self, request, widget_key: str):
        data = ChatStartInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        session = services.chat_start(
            widget=self.widget,
            message=d["message"],
            visitor_id=d.get("visitor_id", ""),
            name=d.get("name", ""),
            email=d.get("email", ""),
        )
        messages = selectors.chat_transcript(session=session)
        return Response(
            {
                "session": ChatSessionPublicOutput(session).data,
                "token": tokens.token_for(session),
                "visitor_id": session.visitor_id,
                "messages": ChatMessageOutput(messages, many=True).data,
                "poll_after_ms": POLL_AFTER_MS,
                # The same answer whether or not anyone has this address (no enumeration).
                "email_claim": {
                    "email": session.claimed_email,
                    "verified": session.claim_verified_at is not None,
                    "confirmation_mailed": session.claim_pending and services.claim_links_enabled(),
                }
                if session.claimed_email
                else None,
            },
            status=status.HTTP_201_CREATED,
        )


class _SessionEndpoint(_WidgetEndpoint):
    throttle_classes = [ChatAddressThrottle, ChatSessionThrottle]
    session: ChatSession | None = None

    def resolve(self, request, session_id: int) -> None:
        session = (
            selectors.chat_session_for_widget(session_id=session_id)
            if session_id <= MAX_DB_ID
            else None
        )
        if session is None:
            raise ApiError("No such chat.", status_code=404, code="unknown_chat")
        self.check_origin(request, session.widget)
        if request.method == "OPTIONS":
            return  # preflights carry no token
        # A refused token (tokens.TokenError) and the services' ChatErrors are DomainErrors:
        # the API's exception handler answers them in the envelope.
        token_session_id, visitor_id = tokens.session_id_from(request.META.get(tokens.HEADER, ""))
        if token_session_id != session.pk or visitor_id != session.visitor_id:
            raise ApiError(
                "This chat token belongs to another chat.",
                status_code=403,
                code="chat_token_mismatch",
            )
        self.session = session

    def session_data(self, session: ChatSession) -> dict:
        return ChatSessionPublicOutput(session).data


class ChatMessagesView(_SessionEndpoint):
    cors_methods = "GET, POST, OPTIONS"

    def get(self, request, session_id: int):
        """Poll: messages after `after` (at most 100; `has_more` says to ask again now)."""
        data = ChatPollInput(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        session = self.session
        messages = selectors.chat_transcript(session=session, after=data.validated_data["after"])
        services.chat_touch(session=session)
        return Response(
            {
                "session": self.session_data(session),
                "messages": ChatMessageOutput(messages, many=True).data,
                "has_more": len(messages) >= selectors.TRANSCRIPT_PAGE,
                "poll_after_ms": POLL_AFTER_MS if session.is_active else None,
            }
        )

    def post(self, request, session_id: int):
        data = ChatMessageInput(data=request.data)
        data.is_valid(raise_exception=True)
        interaction = services.chat_customer_message(
            session_id=self.session.pk, body=data.validated_data["text"]
        )
        return Response(ChatMessageOutput(interaction).data, status=status.HTTP_201_CREATED)


class ChatEndView(_SessionEndpoint):
    def post(self, request, session_id: int):
        session = services.chat_end(session_id=self.session.pk, by=ChatSession.EndedBy.CUSTOMER)
        if session.case_id == self.session.case_id:
            session.case = self.session.case  # loaded already: no query for the reference
        return Response({"session": self.session_data(session)})


@require_http_methods(["GET", "POST"])
def confirm_claim(request, token: str):
    """The page the confirmation link opens, for the customer (no login): GET shows what
    confirming does and a button; POST confirms. A GET alone never confirms, so mail
    scanners that open every link cannot confirm a claim for the customer."""
    try:
        session = services.claim_link_session(token=token)
    except services.ClaimLinkInvalid as exc:
        return render(request, "chat/confirm_claim.html", {"error": str(exc)}, status=400)
    if request.method == "POST" and session.claim_verified_at is None:
        try:
            session = services.chat_claim_verify(
                session_id=session.pk, via=ChatSession.ClaimVerifiedVia.EMAIL
            )
        except (services.ClaimError, contact_services.ContactError):
            # This browser's contact holds other addresses (or a merge raced): an agent
            # decides. The customer learns nothing about other contacts.
            return render(
                request,
                "chat/confirm_claim.html",
                {"session": session, "widget_name": session.widget.name, "not_linked": True},
                status=409,
            )
    return render(
        request,
        "chat/confirm_claim.html",
        {
            "session": session,
            "widget_name": session.widget.name,
            "confirmed": session.claim_verified_at is not None,
        },
    )


@login_required
@require_POST
def agent_confirm_claim(request, session_id: int):
    """An agent who checked who they are chatting with confirms the visitor's email claim
    (a button on the case page). 404 for a chat on a case the agent may not see."""
    session = get_object_or_404(
        selectors.chat_sessions_for(user=request.user, status=None), pk=session_id
    )
    try:
        services.chat_claim_verify(
            session_id=session.pk, actor=request.user, via=ChatSession.ClaimVerifiedVia.AGENT
        )
    except (services.ClaimError, contact_services.ContactError) as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"Confirmed: the visitor is {session.claimed_email}.")
    return redirect("case-detail", session.case_id)


def demo(request, widget_key: str):
    """A plain page with the widget embedded, for trying a widget out (and the browser test)."""
    widget = get_object_or_404(ChatWidget, public_key=widget_key, is_active=True)
    script_url = request.build_absolute_uri(static("chat/widget.js"))
    snippet = f'<script src="{script_url}" data-widget-key="{widget.public_key}" async></script>'
    return render(request, "chat/demo.html", {"widget": widget, "snippet": snippet})
