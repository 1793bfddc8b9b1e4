"""REST API for the root-cause taxonomy (`/api/v1/root-causes/`, scopes rootcauses:read /
rootcauses:write).

Anyone signed in, and tokens with rootcauses:read, may read it (agents tag cases with it;
owner teams' tools read it). Adding, changing and retiring nodes is for admins: a signed-in
admin, or a token with rootcauses:write whose owner is an admin. Nodes are never deleted:
`POST /api/v1/root-causes/{id}/retire/` retires one and the nodes under it.

`GET /api/v1/root-causes/spikes/` lists the spikes (rootcauses:read): active, and ended in
the last 30 days.

`GET /api/v1/root-causes/candidates/` lists the candidate new root causes (rootcauses:read;
only those whose every case the caller may see); `POST …/candidates/{id}/accept/` (admins),
`…/merge/` and `…/dismiss/` (supervisors and admins) decide on one (rootcauses:write);
`…/problem/` opens a problem from one (supervisors and admins; rootcauses:write and
problems:write).
`GET /api/v1/root-causes/report/` is the root-cause report (rootcauses:read): per root cause,
the cases of a period, contacts affected, handle time, reopen and FCR rates, the trend
against the period before and active spikes (selectors.top_root_causes).
`GET /api/v1/root-causes/dashboard/` is the owners' dashboard (rootcauses:read;
apps/rootcauses/dashboard.py): the report of the causes an owner team owns, over every case,
with their active spikes and open problems — for stakeholders, supervisors and admins.
"""

import django_filters
from django.db.models import Q
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import SAFE_METHODS, BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import AgentProfile, Team, role_of
from apps.api.filters import IdFilter
from apps.api.models import ApiToken
from apps.api.pagination import CxCursorPagination
from apps.api.permissions import HasScope
from apps.api.serializers import StrictInputSerializer
from apps.problems.api import ProblemOutput

from . import dashboard, selectors, services
from .dashboard import DashboardInput
from .models import RootCause, RootCauseCandidate, RootCauseSpike
from .report import ReportInput, ReportOutput, ReportRowOutput, report_payload


class AdminWrites(BasePermission):
    message = "Only admins may change the root-cause taxonomy."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        return role_of(request.user) == AgentProfile.Role.ADMIN


class RootCauseOutput(serializers.ModelSerializer):
    retired = serializers.BooleanField(source="is_retired")

    class Meta:
        model = RootCause
        fields = [
            "id",
            "name",
            "path",
            "parent",
            "depth",
            "owner_team",
            "description",
            "retired",
            "retired_at",
            "created_at",
            "updated_at",
        ]


class RootCauseInput(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    # A declared field, not DRF's Field.parent (the metaclass takes it off the class).
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=RootCause.objects.all(),
        required=False,
        allow_null=True,
        help_text="The node above (none: a new category); at most 3 levels",
    )
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), help_text="The team that can fix it (any team)"
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class RootCauseUpdateInput(StrictInputSerializer):
    min_fields = 1

    name = serializers.CharField(required=False, max_length=100)
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Nothing to change: give at least one field."]}
            )
        return attrs


class RootCauseFilter(django_filters.FilterSet):
    retired = django_filters.BooleanFilter(
        method="filter_retired", help_text="true: retired nodes only; false: current ones only"
    )
    owner_team = IdFilter(field_name="owner_team_id", help_text="Team id")
    parent = IdFilter(field_name="parent_id", help_text="The nodes directly under this one")
    q = django_filters.CharFilter(method="filter_text", help_text="Text in the path")

    class Meta:
        model = RootCause
        fields: list[str] = []

    def filter_retired(self, queryset, name, value):
        return queryset.filter(retired_at__isnull=not value)

    def filter_text(self, queryset, name, value):
        return queryset.filter(Q(path__icontains=value[:100]))


@extend_schema_view(
    list=extend_schema(summary="The root-cause taxonomy, by path"),
    retrieve=extend_schema(summary="One root cause"),
    create=extend_schema(
        summary="Add a root cause", request=RootCauseInput, responses={201: RootCauseOutput}
    ),
    partial_update=extend_schema(
        summary="Rename a root cause, or change its owner or description",
        request=RootCauseUpdateInput,
        responses={200: RootCauseOutput},
    ),
)
class RootCauseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "rootcauses"
    permission_classes = [IsAuthenticated, HasScope, AdminWrites]
    serializer_class = RootCauseOutput
    pagination_class = CxCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = RootCauseFilter
    queryset = RootCause.objects.order_by()
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "head", "options"]

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("path", "id")
        return super().paginate_queryset(queryset)

    def create(self, request):
        data = RootCauseInput(data=request.data)
        data.is_valid(raise_exception=True)
        node = services.root_cause_create(**data.validated_data)
        return Response(RootCauseOutput(node).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        node = self.get_object()
        data = RootCauseUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        node = services.root_cause_update(root_cause_id=node.pk, **data.validated_data)
        return Response(RootCauseOutput(node).data)

    @extend_schema(
        summary="Retire a root cause and the nodes under it",
        request=None,
        responses={200: RootCauseOutput},
        description="Its cases keep it and their history; no case can be newly given it.",
    )
    @action(detail=True, methods=["post"])
    def retire(self, request, pk=None):
        node = services.root_cause_retire(root_cause_id=self.get_object().pk)
        return Response(RootCauseOutput(node).data)


class RootCauseSpikeOutput(serializers.ModelSerializer):
    path = serializers.CharField(source="root_cause.path", help_text="The root cause's path")
    owner_team = serializers.IntegerField(
        source="root_cause.owner_team_id", help_text="The team told of it"
    )

    class Meta:
        model = RootCauseSpike
        fields = [
            "id",
            "root_cause",
            "path",
            "owner_team",
            "state",
            "first_day",
            "last_day",
            "observed",
            "expected",
            "p_value",
            "first_seen_at",
            "last_seen_at",
            "ended_at",
            "alerted_at",
        ]


class RootCauseSpikeFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(choices=RootCauseSpike.State.choices)
    root_cause = IdFilter(field_name="root_cause_id", help_text="Root cause id")
    owner_team = IdFilter(field_name="root_cause__owner_team_id", help_text="Team id")

    class Meta:
        model = RootCauseSpike
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Root-cause spikes: the active ones and those ended in the last 30 days",
        description=(
            "A spike is a root cause's cases on one day far above its 28 days before "
            "(day-of-week adjusted; an exact test of two Poisson rates, Bonferroni-corrected "
            "over the root causes tested). `observed` / `expected` / `p_value` are those of "
            "`last_day`, the latest day it fired. Newest first."
        ),
    ),
)
class RootCauseSpikeViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_resource = "rootcauses"
    permission_classes = [IsAuthenticated, HasScope]
    serializer_class = RootCauseSpikeOutput
    pagination_class = CxCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = RootCauseSpikeFilter

    def get_queryset(self):
        return selectors.spikes_recent().order_by()

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-first_seen_at", "-id")
        return super().paginate_queryset(queryset)


# --- Candidates -----------------------------------------------------------------------------


class CandidateDeciders(BasePermission):
    """Accepting a candidate adds a node: admins, as for the taxonomy. Merging one into a
    node and dismissing one: supervisors and admins. Reading: anyone signed in."""

    message = "Only supervisors and admins decide on candidates; only admins accept them."

    def has_permission(self, request, view):
        if request.method in SAFE_METHODS:
            return True
        role = role_of(request.user)
        if getattr(view, "action", None) == "accept":
            return role == AgentProfile.Role.ADMIN
        return role in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN)


class RootCauseCandidateOutput(serializers.ModelSerializer):
    cases = serializers.SerializerMethodField(help_text="Its cases' ids, most central first")
    path = serializers.CharField(
        source="root_cause.path",
        default=None,
        help_text="The node it was accepted as or merged into",
    )

    class Meta:
        model = RootCauseCandidate
        fields = [
            "id",
            "state",
            "size",
            "top_terms",
            "sample_subjects",
            "cohesion",
            "cases",
            "root_cause",
            "path",
            "created_at",
            "refreshed_at",
            "decided_at",
        ]

    def get_cases(self, candidate) -> list[int]:
        return [m.case_id for m in candidate.memberships.all()]


class CandidateAcceptInput(StrictInputSerializer):
    name = serializers.CharField(max_length=100)
    # A declared field, not DRF's Field.parent (the metaclass takes it off the class).
    parent = serializers.PrimaryKeyRelatedField(  # type: ignore[assignment]
        queryset=RootCause.objects.all(),
        required=False,
        allow_null=True,
        help_text="The node to add it under (none: a new category)",
    )
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), help_text="The team that can fix it"
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)


class CandidateMergeInput(StrictInputSerializer):
    root_cause = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.all(), help_text="The existing node its cases get"
    )


class CandidateProblemInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    root_cause = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.all(),
        required=False,
        help_text="The problem's root cause; an open candidate is merged into it (required)",
    )
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text="Default: the root cause's"
    )
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    tracker_url = serializers.CharField(required=False, allow_blank=True, max_length=500)


class ProblemFromCandidateOutput(serializers.Serializer):
    problem = ProblemOutput()
    cases = serializers.ListField(
        child=serializers.IntegerField(), help_text="The case ids listed under it"
    )


class RootCauseCandidateFilter(django_filters.FilterSet):
    state = django_filters.ChoiceFilter(
        choices=RootCauseCandidate.State.choices, help_text="Default: open"
    )

    class Meta:
        model = RootCauseCandidate
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(
        summary="Candidate new root causes: groups of similar cases no root cause fits",
        description=(
            "Cases without a root cause whose best suggestion is weak, clustered by text "
            "(apps/rootcauses/candidates.py). Only candidates whose every case you may see; "
            "open ones unless `?state=` says otherwise; largest first."
        ),
    ),
    retrieve=extend_schema(summary="One candidate"),
)
class RootCauseCandidateViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    scope_resource = "rootcauses"
    permission_classes = [IsAuthenticated, HasScope, CandidateDeciders]
    serializer_class = RootCauseCandidateOutput
    pagination_class = CxCursorPagination
    lookup_value_regex = r"\d+"

    def get_queryset(self):
        state = self.request.query_params.get("state") if self.action == "list" else None
        if state is not None and state not in RootCauseCandidate.State.values:
            raise serializers.ValidationError(
                {"state": [f"One of {', '.join(RootCauseCandidate.State.values)}."]}
            )
        if self.action != "list":
            return selectors.candidate_list_for(self.request.user, state=None).order_by()
        return selectors.candidate_list_for(
            self.request.user, state=state or RootCauseCandidate.State.OPEN
        ).order_by()

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-size", "-id")
        return super().paginate_queryset(queryset)

    def _answer(self, candidate_id: int) -> Response:
        candidate = self.get_queryset().get(pk=candidate_id)
        return Response(RootCauseCandidateOutput(candidate).data)

    @extend_schema(
        summary="Accept a candidate as a new root cause (admins); its cases are tagged with it",
        request=CandidateAcceptInput,
        responses={200: RootCauseCandidateOutput},
    )
    @action(detail=True, methods=["post"])
    def accept(self, request, pk=None):
        candidate = self.get_object()
        data = CandidateAcceptInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.candidate_accept(
            candidate_id=candidate.pk, actor=request.user, **data.validated_data
        )
        return self._answer(candidate.pk)

    @extend_schema(
        summary="Merge a candidate into an existing root cause: its cases are tagged with it",
        request=CandidateMergeInput,
        responses={200: RootCauseCandidateOutput},
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        candidate = self.get_object()
        data = CandidateMergeInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.candidate_merge(
            candidate_id=candidate.pk,
            root_cause=data.validated_data["root_cause"],
            actor=request.user,
        )
        return self._answer(candidate.pk)

    @extend_schema(
        summary="Open a problem from a candidate, listing its cases under it",
        description=(
            "Supervisors and admins; scopes rootcauses:write and problems:write. An open "
            "candidate is merged into `root_cause` first (its untagged cases are tagged with "
            "it); an accepted or merged one keeps its node. Each case listed is audited."
        ),
        request=CandidateProblemInput,
        responses={201: ProblemFromCandidateOutput},
    )
    @action(detail=True, methods=["post"])
    def problem(self, request, pk=None):
        from apps.problems import services as problem_services

        token = request.auth
        if isinstance(token, ApiToken) and not token.has_scope("problems:write"):
            raise PermissionDenied("This token lacks the problems:write scope.")
        candidate = self.get_object()
        data = CandidateProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem, linked = problem_services.problem_from_candidate(
            candidate_id=candidate.pk, actor=request.user, **data.validated_data
        )
        body = {"problem": problem, "cases": linked}
        return Response(ProblemFromCandidateOutput(body).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Dismiss a candidate: its cases are not proposed again",
        request=None,
        responses={200: RootCauseCandidateOutput},
    )
    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        candidate = self.get_object()
        services.candidate_dismiss(candidate_id=candidate.pk, actor=request.user)
        return self._answer(candidate.pk)


class RootCauseReportView(APIView):
    """`GET /api/v1/root-causes/report/`: the top root causes of a period (rootcauses:read)."""

    scope_resource = "rootcauses"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="Top root causes of a period: volume, contacts, handle time, rates, trend",
        parameters=[ReportInput],
        responses={200: ReportOutput},
        description=(
            "Per root cause, the cases opened in [from, to) with it (merged cases left out): "
            "how many, distinct customers, handle time, reopen and FCR rates, cases in the "
            "period of the same length just before and the change, and whether a spike is "
            "active. Most cases first. Admins count every case; others their teams' only."
        ),
    )
    def get(self, request):
        data = ReportInput(data=request.query_params.dict(), context={"user": request.user})
        data.is_valid(raise_exception=True)
        period = data.validated_data["period"]
        rows = selectors.top_root_causes(
            period=period, filters=data.validated_data["filters"], user=request.user
        )
        return Response(ReportOutput(report_payload(rows, period)).data)


# --- the owners' dashboard ----------------------------------------------------------------


class DashboardProblemOutput(serializers.Serializer):
    id = serializers.IntegerField()
    reference = serializers.CharField()
    title = serializers.CharField()
    status = serializers.CharField()
    root_cause = serializers.IntegerField(source="root_cause_id")
    path = serializers.CharField(source="root_cause.path")
    owner_team = serializers.IntegerField(source="owner_team_id")
    cases = serializers.IntegerField(source="case_count", help_text="Cases listed under it")
    updated_at = serializers.DateTimeField()


class DashboardTotalsOutput(serializers.Serializer):
    cases = serializers.IntegerField()
    handle_seconds = serializers.IntegerField()
    previous_cases = serializers.IntegerField()
    trend_percent = serializers.FloatField(allow_null=True)


class DashboardOutput(serializers.Serializer):
    period = serializers.DictField()
    previous_period = serializers.DictField()
    owner_teams = serializers.ListField(
        child=serializers.IntegerField(), allow_null=True, help_text="null: every team"
    )
    totals = DashboardTotalsOutput()
    results = ReportRowOutput(many=True)
    active_spikes = RootCauseSpikeOutput(many=True)
    open_problems = DashboardProblemOutput(many=True)


class RootCauseDashboardView(APIView):
    """`GET /api/v1/root-causes/dashboard/`: the owners' dashboard (rootcauses:read)."""

    scope_resource = "rootcauses"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="The root-cause owners' dashboard: their causes, spikes and open problems",
        parameters=[DashboardInput],
        responses={200: DashboardOutput},
        description=(
            "For the owner teams you may see (stakeholders: theirs; supervisors and admins: "
            "every team, or `owner_team`): the top root causes they own over every case "
            "opened in [from, to) (as the report's rows), the totals and their trend against "
            "the period just before, the active spikes of those causes and the problems not "
            "fixed yet. Agents: 403. No customer data."
        ),
    )
    def get(self, request):
        teams = dashboard.dashboard_teams(request.user)
        data = DashboardInput(data=request.query_params.dict(), context={"teams": teams})
        data.is_valid(raise_exception=True)
        board = dashboard.owners_dashboard(
            user=request.user,
            period=data.validated_data["period"],
            owner_team_ids=data.validated_data["owner_team_ids"],
        )
        payload = report_payload(board.rows, board.period)
        payload.update(
            owner_teams=None if board.owner_team_ids is None else list(board.owner_team_ids),
            totals=board.totals,
            active_spikes=board.spikes,
            open_problems=board.open_problems,
        )
        return Response(DashboardOutput(payload).data)
