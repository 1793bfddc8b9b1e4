"""REST API for phone calls: scope, validate, call one service, serialize."""

from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from apps.api.pagination import CxCursorPagination
from apps.cases import services as case_services

from . import selectors, services
from .filters import CallFilter
from .models import Call
from .serializers import CallOutput, CallRecordInput


@extend_schema_view(
    list=extend_schema(
        summary="List the calls on cases you may see",
        description="Cursor-paginated, newest first; filters combine with AND.",
    ),
    retrieve=extend_schema(summary="One call"),
)
class CallViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = CallOutput
    filter_backends = [DjangoFilterBackend]
    filterset_class = CallFilter
    pagination_class = CxCursorPagination
    http_method_names = ["get", "post", "head", "options"]

    def get_queryset(self):
        return selectors.call_list_for(user=self.request.user).order_by()

    @extend_schema(
        summary="Record a call, or update it (same sid)",
        request=CallRecordInput,
        responses={201: CallOutput, 200: CallOutput},
        description=(
            "201 when the sid is new: the caller's number finds or creates the contact, the "
            "call joins their open case (any channel) or opens a new one, and shows on it as "
            "one phone interaction. 200 when the sid is known: the report updates that call "
            "(status only moves forward) and its interaction; the same report twice changes "
            "nothing. An outbound call with an `agent` is that agent's reply (the case's "
            "first response); an inbound call counts once it has an `agent` and was answered. "
            "An agent may name as `agent` themselves or a teammate, and as `team` one of "
            "their teams; supervisors and admins anyone (400 otherwise)."
        ),
    )
    def create(self, request):
        data = CallRecordInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        sid = d.pop("sid", None) or services.new_sid()
        if (
            Call.objects.filter(sid=sid).exists()
            and not Call.objects.visible_to(request.user).filter(sid=sid).exists()
        ):
            raise NotFound()  # a call on a case this user may not see: as if it did not exist
        # The call's agent becomes the case's assignee when it is unassigned: the routing
        # rule applies to it as to `assignee` on a case (the team is checked by case_open).
        case_services.routing_check(
            actor=request.user, assignee=d.get("agent"), assignee_field="agent"
        )
        call, created = services.call_record(sid=sid, actor=request.user, **d)
        call = self.get_queryset().filter(pk=call.pk).first() or call
        return Response(
            CallOutput(call).data, status=status.HTTP_201_CREATED if created else status.HTTP_200_OK
        )
