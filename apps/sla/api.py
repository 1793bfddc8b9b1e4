"""REST API for business calendars and SLA policies (scopes sla:read / sla:write), and the
SLA summary (`GET /api/v1/sla/summary/`, sla:read).

Anyone signed in, and tokens with sla:read, may read them (agents see what they are promised
against). Changing them is for admins: a signed-in admin, or a token with sla:write whose
owner is an admin. A change applies to open cases: the sweep recomputes their clocks.

The summary is for supervisors and admins over every team; an agent (signed in, or a token
they own) gets the figures of their own teams' cases only, and naming another team is a 400.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.pagination import CxCursorPagination
from apps.api.permissions import HasScope
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case, Channel
from apps.contacts.models import Organization

from . import services, summary
from .models import PAUSABLE_STATUSES, BusinessCalendar, Metric, SlaPolicy
from .serializers import SlaSummaryInput, SlaSummaryOutput


class AdminWrites(BasePermission):
    message = "Only admins may change SLA calendars and policies."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return role_of(request.user) == AgentProfile.Role.ADMIN


class CalendarOutput(serializers.ModelSerializer):
    class Meta:
        model = BusinessCalendar
        fields = [
            "id",
            "name",
            "timezone",
            "weekly_hours",
            "holidays",
            "holiday_country",
            "holiday_subdivision",
            "holidays_ics",
            "created_at",
            "updated_at",
        ]


class CalendarInput(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    timezone = serializers.CharField(max_length=64, help_text="IANA name, e.g. Europe/London")
    weekly_hours = serializers.DictField(
        child=serializers.ListField(
            child=serializers.ListField(child=serializers.CharField(max_length=5), max_length=2),
            max_length=24,
        ),
        help_text='{"mon": [["09:00", "12:30"], ["13:30", "17:00"]], …}; "24:00" ends a day',
    )
    holidays = serializers.ListField(
        child=serializers.DateField(), required=False, max_length=2000, default=list
    )
    holiday_country = serializers.CharField(required=False, allow_blank=True, max_length=8)
    holiday_subdivision = serializers.CharField(required=False, allow_blank=True, max_length=16)
    holidays_ics = serializers.CharField(
        required=False, allow_blank=True, max_length=1_000_000, help_text="An iCalendar file"
    )

    def validate_holidays(self, value):
        return [day.isoformat() for day in value]


class CalendarUpdateInput(CalendarInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False


class TargetInput(StrictInputSerializer):
    priority = serializers.ChoiceField(choices=Case.Priority.choices)
    metric = serializers.ChoiceField(choices=Metric.choices)
    minutes = serializers.IntegerField(min_value=0, max_value=10 * 365 * 24 * 60)
    business_hours = serializers.BooleanField(default=True)


class TargetOutput(serializers.Serializer):
    priority = serializers.CharField()
    metric = serializers.CharField()
    minutes = serializers.IntegerField()
    business_hours = serializers.BooleanField()


class PolicyOutput(serializers.ModelSerializer):
    targets = TargetOutput(many=True, read_only=True)
    match_teams = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )
    match_organizations = serializers.ManyRelatedField(
        child_relation=serializers.PrimaryKeyRelatedField(read_only=True), read_only=True
    )

    class Meta:
        model = SlaPolicy
        fields = [
            "id",
            "name",
            "description",
            "position",
            "is_active",
            "calendar",
            "match_priorities",
            "match_channels",
            "match_teams",
            "match_organizations",
            "match_tags",
            "warning_percent",
            "pause_statuses",
            "escalate_priority",
            "escalate_team",
            "targets",
            "created_at",
            "updated_at",
        ]


class PolicyInput(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    position = serializers.IntegerField(required=False, min_value=0, max_value=1_000_000)
    is_active = serializers.BooleanField(required=False)
    calendar = serializers.PrimaryKeyRelatedField(
        queryset=BusinessCalendar.objects.all(), required=False, allow_null=True
    )
    match_priorities = serializers.ListField(
        child=serializers.ChoiceField(choices=Case.Priority.choices), required=False
    )
    match_channels = serializers.ListField(
        child=serializers.ChoiceField(choices=Channel.choices), required=False
    )
    match_teams = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), many=True, required=False
    )
    match_organizations = serializers.PrimaryKeyRelatedField(
        queryset=Organization.objects.all(), many=True, required=False
    )
    match_tags = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, max_length=100
    )
    warning_percent = serializers.IntegerField(required=False, min_value=1, max_value=99)
    pause_statuses = serializers.DictField(
        child=serializers.ListField(child=serializers.ChoiceField(choices=PAUSABLE_STATUSES)),
        required=False,
    )
    escalate_priority = serializers.ChoiceField(
        choices=Case.Priority.choices, required=False, allow_blank=True
    )
    escalate_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, allow_null=True
    )
    targets = serializers.ListField(
        child=TargetInput(), required=False, max_length=len(Case.Priority) * 3
    )


class PolicyUpdateInput(PolicyInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["name"].required = False


@extend_schema_view(
    list=extend_schema(summary="Business calendars"),
    retrieve=extend_schema(summary="One business calendar"),
    create=extend_schema(
        summary="Add a business calendar", request=CalendarInput, responses={201: CalendarOutput}
    ),
    partial_update=extend_schema(
        summary="Change a business calendar",
        request=CalendarUpdateInput,
        responses={200: CalendarOutput},
    ),
)
class BusinessCalendarViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    scope_resource = "sla"
    permission_classes = [IsAuthenticated, HasScope, AdminWrites]
    serializer_class = CalendarOutput
    pagination_class = CxCursorPagination
    queryset = BusinessCalendar.objects.order_by()
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def create(self, request):
        data = CalendarInput(data=request.data)
        data.is_valid(raise_exception=True)
        calendar = services.calendar_save(**data.validated_data)
        return Response(CalendarOutput(calendar).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        calendar = self.get_object()
        data = CalendarUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        calendar = services.calendar_save(calendar_id=calendar.pk, **data.validated_data)
        return Response(CalendarOutput(calendar).data)


@extend_schema_view(
    list=extend_schema(summary="SLA policies, in the order they are tried"),
    retrieve=extend_schema(summary="One SLA policy with its targets"),
    create=extend_schema(
        summary="Add an SLA policy", request=PolicyInput, responses={201: PolicyOutput}
    ),
    partial_update=extend_schema(
        summary="Change an SLA policy (targets, when given, replace its targets)",
        request=PolicyUpdateInput,
        responses={200: PolicyOutput},
    ),
    destroy=extend_schema(summary="Retire a policy (it stops applying; kept for the record)"),
)
class SlaPolicyViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_resource = "sla"
    permission_classes = [IsAuthenticated, HasScope, AdminWrites]
    serializer_class = PolicyOutput
    pagination_class = CxCursorPagination
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return SlaPolicy.objects.prefetch_related(
            "targets", "match_teams", "match_organizations"
        ).order_by()

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("position", "id")  # the order policies are tried in
        return super().paginate_queryset(queryset)

    def create(self, request):
        data = PolicyInput(data=request.data)
        data.is_valid(raise_exception=True)
        policy = services.policy_save(**data.validated_data)
        return Response(PolicyOutput(self._reload(policy.pk)).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        policy = self.get_object()
        data = PolicyUpdateInput(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.policy_save(policy_id=policy.pk, **data.validated_data)
        return Response(PolicyOutput(self._reload(policy.pk)).data)

    def perform_destroy(self, instance):
        services.policy_retire(policy_id=instance.pk)

    def _reload(self, pk: int) -> SlaPolicy:
        return self.get_queryset().get(pk=pk)


class SlaSummaryView(APIView):
    scope_resource = "sla"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="SLA attainment, response times and FCR over a period",
        parameters=[SlaSummaryInput],
        responses={200: SlaSummaryOutput},
        description="Attainment per target of the clocks started in the period (met ÷ met + "
        "breached); median and p90 business first-response time of the cases opened in it "
        "and resolution time of those solved in it; FCR of the solved ones, final and "
        "provisional apart. Agents get their own teams' cases only.",
    )
    def get(self, request):
        data = SlaSummaryInput(data=request.query_params.dict(), context={"user": request.user})
        data.is_valid(raise_exception=True)
        d = data.validated_data
        agent = role_of(request.user) == AgentProfile.Role.AGENT
        figures = summary.sla_summary(
            period=summary.Period(start=d["from"], end=d["to"]),
            team_id=d.get("team"),
            channel=d.get("channel"),
            priority=d.get("priority"),
            teams=request.user.teams.values("pk") if agent else None,
        )
        return Response(SlaSummaryOutput(figures).data)
