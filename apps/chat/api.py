"""REST API for agents and integrations (scope cases:*): the chats on cases they may see.

    GET  /api/v1/chat/sessions/?status=active|ended   chats, newest first (active by default)
    GET  /api/v1/chat/sessions/{id}/                  one chat
    POST /api/v1/chat/sessions/{id}/end/              end a chat as an agent
    POST /api/v1/chat/sessions/{id}/confirm-claim/    confirm the email the visitor typed

Agents answer a chat like any case: POST /api/v1/cases/{id}/interactions/ with type "reply".
"""

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.api.pagination import CxCursorPagination

from . import selectors, services
from .models import ChatSession
from .serializers import ChatSessionOutput


class ChatSessionPagination(CxCursorPagination):
    ordering = ("-started_at", "-id")


class ChatStatusFilter(serializers.Serializer):
    status = serializers.ChoiceField(
        choices=ChatSession.Status.choices, required=False, default=ChatSession.Status.ACTIVE
    )


@extend_schema_view(
    list=extend_schema(
        summary="Chats on cases you may see, newest first",
        parameters=[
            OpenApiParameter(
                "status",
                str,
                enum=ChatSession.Status.values,
                description="active (default) or ended",
            )
        ],
    ),
    retrieve=extend_schema(summary="One chat"),
)
class ChatSessionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = ChatSessionOutput
    pagination_class = ChatSessionPagination
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return ChatSession.objects.none()
        if self.action == "list":
            params = ChatStatusFilter(
                data={"status": self.request.query_params.get("status", ChatSession.Status.ACTIVE)}
            )
            params.is_valid(raise_exception=True)
            return selectors.chat_sessions_for(
                user=self.request.user, status=params.validated_data["status"]
            )
        return selectors.chat_sessions_for(user=self.request.user, status=None)

    @extend_schema(
        summary="Confirm the email a chat's visitor typed",
        request=None,
        responses={200: ChatSessionOutput},
        description="For an agent who has checked who they are chatting with. The address "
        "joins the visitor: added to the visitor's contact, or — when another "
        "contact has it — the visitor's contact is merged into that one, which "
        "only supervisors and admins may do (403 `merge_not_allowed`). A "
        "visitor's contact that has other addresses already is never joined "
        "(409 `claim_error`: a supervisor merges the contacts). Confirming a "
        "confirmed claim changes nothing; a chat without a typed email is a 409.",
    )
    @action(detail=True, methods=["post"], url_path="confirm-claim")
    def confirm_claim(self, request, pk=None):
        session = self.get_object()
        services.chat_claim_verify(
            session_id=session.pk, actor=request.user, via=ChatSession.ClaimVerifiedVia.AGENT
        )
        return Response(ChatSessionOutput(self.get_object()).data)

    @extend_schema(
        summary="End a chat as an agent",
        request=None,
        responses={200: ChatSessionOutput},
        description="Ending a chat that has ended already changes nothing.",
    )
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None):
        session = self.get_object()
        services.chat_end(session_id=session.pk, by=ChatSession.EndedBy.AGENT)
        return Response(ChatSessionOutput(self.get_object()).data)
