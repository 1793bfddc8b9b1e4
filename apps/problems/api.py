"""REST API for problems (`/api/v1/problems/`, scopes problems:read / problems:write).

A token acts as its owner: what it sees is what its owner sees (apps/problems/selectors.py:
the problems of their teams, those they created, those listing a case they can see; admins
every one), and another team's problem is a 404. Creating, changing, moving a problem and
answering its cases together are for supervisors and admins (403 otherwise); listing cases
under a problem and taking them off is for anyone who sees the problem and the cases.
"""

import math

import django_filters
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.models import Team
from apps.api.filters import ID_SCHEMA, IdFilter
from apps.api.pagination import CxCursorPagination
from apps.api.permissions import HasScope
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case
from apps.rootcauses.models import RootCause

from . import selectors, services
from .models import Problem

MAX_CASES = 500


class ProblemOutput(serializers.ModelSerializer):
    root_cause_path = serializers.CharField(source="root_cause.path", read_only=True)

    class Meta:
        model = Problem
        fields = [
            "id",
            "reference",
            "title",
            "description",
            "root_cause",
            "root_cause_path",
            "owner_team",
            "status",
            "tracker_url",
            "fix_date",
            "created_at",
            "updated_at",
        ]


class ProgressOutput(serializers.Serializer):
    total = serializers.IntegerField()
    remaining = serializers.IntegerField()
    answered = serializers.IntegerField()
    skipped = serializers.IntegerField()
    failed = serializers.IntegerField()
    undelivered = serializers.IntegerField()


class ProblemDetailOutput(ProblemOutput):
    answer_progress = serializers.SerializerMethodField()

    class Meta(ProblemOutput.Meta):
        fields = [*ProblemOutput.Meta.fields, "answer_progress"]

    @extend_schema_field(ProgressOutput)
    def get_answer_progress(self, problem) -> dict:
        return ProgressOutput(selectors.answer_progress(problem=problem)).data


class LinkedOutput(serializers.Serializer):
    cases = serializers.ListField(
        child=serializers.IntegerField(), help_text="The cases newly listed (not those already)"
    )


class WindowOutput(serializers.Serializer):
    days = serializers.IntegerField()
    cases = serializers.IntegerField(help_text="Cases of the root cause (and the nodes under it)")
    all_cases = serializers.IntegerField()
    per_day = serializers.FloatField(allow_null=True)
    per_1000_cases = serializers.FloatField(allow_null=True)


class VerdictOutput(serializers.Serializer):
    verdict = serializers.CharField(
        allow_null=True, help_text="Null until the problem is fixed with a fix date"
    )
    reason = serializers.CharField(required=False)
    window_days = serializers.IntegerField(required=False)
    before = WindowOutput(required=False)
    after = WindowOutput(required=False)
    rate_ratio = serializers.FloatField(
        allow_null=True, required=False, help_text="After / before, per day; null: none before"
    )
    rate_ratio_ci95 = serializers.ListField(
        child=serializers.FloatField(allow_null=True), required=False
    )
    p_value = serializers.FloatField(allow_null=True, required=False)


class ProblemInput(StrictInputSerializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    root_cause = serializers.PrimaryKeyRelatedField(queryset=RootCause.objects.all())
    owner_team = serializers.PrimaryKeyRelatedField(
        queryset=Team.objects.all(), required=False, help_text="Default: the root cause's owner"
    )
    tracker_url = serializers.CharField(
        required=False, allow_blank=True, max_length=500, help_text="http:// or https://"
    )


class ProblemUpdateInput(StrictInputSerializer):
    title = serializers.CharField(required=False, max_length=200)
    description = serializers.CharField(required=False, allow_blank=True, max_length=10000)
    root_cause = serializers.PrimaryKeyRelatedField(
        queryset=RootCause.objects.all(), required=False
    )
    owner_team = serializers.PrimaryKeyRelatedField(queryset=Team.objects.all(), required=False)
    tracker_url = serializers.CharField(required=False, allow_blank=True, max_length=500)
    fix_date = serializers.DateField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Nothing to change: give at least one field."]}
            )
        return attrs


class TransitionInput(StrictInputSerializer):
    to = serializers.ChoiceField(choices=Problem.Status.choices)
    fix_date = serializers.DateField(required=False, help_text="Needed to become fixed")


class CasesInput(StrictInputSerializer):
    cases = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=2**63 - 1),
        min_length=1,
        max_length=MAX_CASES,
    )


class AnswerInput(StrictInputSerializer):
    body = serializers.CharField(max_length=20000, help_text="Placeholders as in macros")


class ProblemFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=Problem.Status.choices)
    owner_team = IdFilter(field_name="owner_team_id", help_text="Team id")
    root_cause = IdFilter(field_name="root_cause_id", help_text="Root cause id")

    class Meta:
        model = Problem
        fields: list[str] = []


@extend_schema_view(
    list=extend_schema(summary="The problems you may see, newest activity first"),
    retrieve=extend_schema(summary="One problem, with the progress of its answer together"),
    create=extend_schema(
        summary="Add a problem", request=ProblemInput, responses={201: ProblemOutput}
    ),
    partial_update=extend_schema(
        summary="Change a problem", request=ProblemUpdateInput, responses={200: ProblemOutput}
    ),
)
class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "problems"
    permission_classes = [IsAuthenticated, HasScope]
    serializer_class = ProblemOutput
    pagination_class = CxCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = ProblemFilter
    lookup_value_regex = r"\d+"
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        return selectors.problems_visible_to(user=self.request.user).order_by()

    def get_serializer_class(self):
        return ProblemDetailOutput if self.action == "retrieve" else ProblemOutput

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-updated_at", "-id")
        return super().paginate_queryset(queryset)

    def create(self, request):
        data = ProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_create(actor=request.user, **data.validated_data)
        return Response(ProblemOutput(problem).data, status=status.HTTP_201_CREATED)

    def partial_update(self, request, pk=None):
        problem = self.get_object()
        data = ProblemUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_update(
            problem_id=problem.pk, actor=request.user, **data.validated_data
        )
        return Response(ProblemOutput(problem).data)

    @extend_schema(
        summary="Move a problem to another status",
        request=TransitionInput,
        responses={200: ProblemOutput},
        description="open → investigating → fix_in_progress → fixed → verified; fixed and "
        "verified may be reopened. Becoming fixed needs a fix_date (given here or set before).",
    )
    @action(detail=True, methods=["post"])
    def transition(self, request, pk=None):
        problem = self.get_object()
        data = TransitionInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem = services.problem_transition(
            problem_id=problem.pk, actor=request.user, **data.validated_data
        )
        return Response(ProblemOutput(problem).data)

    def _visible_cases(self, ids: list[int]) -> list[int]:
        ids = list(dict.fromkeys(ids))
        found = set(
            Case.objects.visible_to(self.request.user)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if len(found) != len(ids):
            raise Http404("No such case")  # another team's case reads like a missing one
        return ids

    @extend_schema(
        summary="List cases under the problem",
        request=CasesInput,
        responses={200: LinkedOutput},
        description="Answers with the cases newly listed (those listed already are left).",
    )
    @action(detail=True, methods=["post"], url_path="cases")
    def link(self, request, pk=None):
        problem = self.get_object()
        data = CasesInput(data=request.data)
        data.is_valid(raise_exception=True)
        ids = self._visible_cases(data.validated_data["cases"])
        linked = services.problem_link_cases(
            problem_id=problem.pk, case_ids=ids, actor=request.user
        )
        return Response({"cases": linked})

    @extend_schema(
        summary="Take a case off the problem",
        request=None,
        responses={204: None},
        parameters=[
            OpenApiParameter("case_id", ID_SCHEMA, OpenApiParameter.PATH, description="The case")
        ],
    )
    @action(detail=True, methods=["delete"], url_path=r"cases/(?P<case_id>\d+)")
    def unlink(self, request, pk=None, case_id=None):
        problem = self.get_object()
        (case_pk,) = self._visible_cases([int(case_id)])
        if not services.problem_unlink_case(
            problem_id=problem.pk, case_id=case_pk, actor=request.user
        ):
            raise Http404("The case is not listed under this problem")
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Answer the fixed problem's open cases together",
        request=AnswerInput,
        responses={202: ProgressOutput},
        description="One reply (macro placeholders) on each open case's own channel, each "
        "case then solved; runs in the background, progress in GET /problems/{id}/.",
    )
    @action(detail=True, methods=["post"])
    def answer(self, request, pk=None):
        problem = self.get_object()
        data = AnswerInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.answer_together_start(
            problem_id=problem.pk, body=data.validated_data["body"], actor=request.user
        )
        progress = selectors.answer_progress(problem=problem)
        return Response(ProgressOutput(progress).data, status=status.HTTP_202_ACCEPTED)

    @extend_schema(
        summary="Did the fix work? The verdict of a fixed problem",
        responses={200: VerdictOutput},
        description="The root cause's cases per day in the window before the fix date and "
        "after it, the exact test of two Poisson rates, the rate ratio with its exact 95 % "
        "interval (null for an infinite bound: no case before the fix) and the verdict.",
    )
    @action(detail=True, methods=["get"])
    def verdict(self, request, pk=None):
        problem = self.get_object()
        result = selectors.problem_verdict(problem=problem)
        if result is None:
            return Response(
                {"verdict": None, "reason": "the problem is not fixed (with a fix date) yet"}
            )
        return Response(
            {
                "verdict": result.text,
                "window_days": selectors.verdict_window_days(),
                "before": {
                    "days": result.before_days,
                    "cases": result.before_cases,
                    "all_cases": result.before_total,
                    "per_day": result.before_per_day,
                    "per_1000_cases": result.before_per_1000,
                },
                "after": {
                    "days": result.after_days,
                    "cases": result.after_cases,
                    "all_cases": result.after_total,
                    "per_day": result.after_per_day,
                    "per_1000_cases": result.after_per_1000,
                },
                "rate_ratio": _finite(result.rate_ratio),
                "rate_ratio_ci95": [_finite(result.ratio_low), _finite(result.ratio_high)],
                "p_value": result.p_value,
            }
        )


def _finite(value: float | None) -> float | None:
    """JSON has no infinity: an infinite ratio (no case before the fix) reads null."""
    return None if value is None or math.isinf(value) else value
