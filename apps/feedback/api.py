"""REST API for customer feedback (scope surveys:read; read-only).

- `GET /api/v1/surveys/`: the answered surveys the caller may see (their teams'; admins all),
  newest answer first, cursor-paginated; `?q=` finds words in comments, `?satisfied=`,
  `?team=`, `?channel=`, `?kind=` (csat, nps) narrow it.
- `GET /api/v1/surveys/figures/`: CSAT over the surveys sent in a period (`from`, `to`;
  default the last 30 days), in total or per `group` (team, agent, channel, priority,
  root_cause, day, week, month): sent, responses, satisfied, csat (%), response_rate (%),
  effort (mean).
- `GET /api/v1/surveys/trends/`: NPS and customer effort per `by` (week, the default, or
  month) over the surveys sent in the period (`from`, `to`; default the last 90 days): the
  NPS total and per period (responses, promoters, passives, detractors, nps — null without a
  response), and the mean effort answer per period (from the CSAT surveys).

Answers are given on the public survey page (apps/feedback/views.py), not through the API.
"""

from datetime import timedelta

import django_filters
from django.utils import timezone
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers, viewsets
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.api.filters import IdFilter
from apps.api.pagination import CxCursorPagination
from apps.api.permissions import HasScope
from apps.api.serializers import StrictInputSerializer
from apps.cases.models import Case, Channel
from apps.sla.serializers import PeriodBoundField

from . import selectors
from .models import Survey


class SurveyOutput(serializers.ModelSerializer):
    reference = serializers.CharField(source="case.reference", default=None)

    class Meta:
        model = Survey
        fields = [
            "id",
            "kind",
            "case",
            "reference",
            "contact",
            "channel",
            "scale",
            "rating",
            "satisfied",
            "effort",
            "comment",
            "sent_at",
            "answered_at",
            "team",
            "agent",
            "priority",
            "root_cause",
            "nps_round",
        ]


class SurveyFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(field_name="comment", lookup_expr="icontains")
    satisfied = django_filters.BooleanFilter()
    team = IdFilter(field_name="team_id", help_text="Team id")
    channel = django_filters.ChoiceFilter(choices=Channel.choices)
    kind = django_filters.ChoiceFilter(choices=Survey.Kind.choices)

    class Meta:
        model = Survey
        fields: list[str] = []


class SurveyViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    scope_resource = "surveys"
    permission_classes = [IsAuthenticated, HasScope]
    serializer_class = SurveyOutput
    pagination_class = CxCursorPagination
    filter_backends = [DjangoFilterBackend]
    filterset_class = SurveyFilter

    def get_queryset(self):
        return selectors.answers_for(user=self.request.user).order_by()

    def paginate_queryset(self, queryset):
        self.paginator.ordering = ("-answered_at", "-id")
        return super().paginate_queryset(queryset)


class FiguresInput(StrictInputSerializer):
    from_ = PeriodBoundField(end=False, required=False, help_text="Start (default: 30 days ago)")
    to = PeriodBoundField(end=True, required=False, help_text="End, exclusive (default: now)")
    group = serializers.ChoiceField(choices=sorted(selectors.GROUPS), required=False)
    team = serializers.IntegerField(min_value=1, max_value=2**63 - 1, required=False)
    channel = serializers.ChoiceField(choices=Channel.choices, required=False)
    priority = serializers.ChoiceField(choices=Case.Priority.choices, required=False)

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - timedelta(days=30)
        if start > end:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


FiguresInput._declared_fields["from"] = FiguresInput._declared_fields.pop("from_")


class FigureOutput(serializers.Serializer):
    key = serializers.JSONField(help_text="The group's value (null for the total)")
    sent = serializers.IntegerField()
    responses = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    csat = serializers.FloatField(allow_null=True, help_text="satisfied ÷ responses × 100")
    response_rate = serializers.FloatField(allow_null=True, help_text="responses ÷ sent × 100")
    effort = serializers.FloatField(allow_null=True, help_text="mean effort answer, 1–7")


class FiguresOutput(serializers.Serializer):
    from_ = serializers.DateTimeField(help_text="Start of the period")
    to = serializers.DateTimeField(help_text="End of the period, exclusive")
    group = serializers.CharField(
        allow_null=True, help_text="What the rows are per (null: one total row)"
    )
    rows = FigureOutput(many=True)


FiguresOutput._declared_fields["from"] = FiguresOutput._declared_fields.pop("from_")


class SurveyFiguresView(APIView):
    scope_resource = "surveys"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="CSAT figures over a period, in total or per group",
        parameters=[FiguresInput],
        responses={200: FiguresOutput},
    )
    def get(self, request):
        data = FiguresInput(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        d = data.validated_data
        rows = selectors.csat_figures(
            user=request.user,
            start=d["from"],
            end=d["to"],
            group=d.get("group"),
            filters={name: d.get(name) for name in ("team", "channel", "priority")},
        )
        data = {
            "from": d["from"],
            "to": d["to"],
            "group": d.get("group"),
            "rows": [row.as_dict() for row in rows],
        }
        return Response(FiguresOutput(data).data)


class TrendsInput(StrictInputSerializer):
    from_ = PeriodBoundField(end=False, required=False, help_text="Start (default: 90 days ago)")
    to = PeriodBoundField(end=True, required=False, help_text="End, exclusive (default: now)")
    by = serializers.ChoiceField(choices=selectors.TREND_PERIODS, required=False, default="week")

    def validate(self, attrs):
        end = attrs.get("to") or timezone.now()
        start = attrs.get("from") or end - timedelta(days=90)
        if start > end:
            raise serializers.ValidationError({"to": ["Must not be before from."]})
        attrs["from"], attrs["to"] = start, end
        return attrs


TrendsInput._declared_fields["from"] = TrendsInput._declared_fields.pop("from_")


class NpsOutput(serializers.Serializer):
    key = serializers.JSONField(help_text="The period's first day (null for the total)")
    sent = serializers.IntegerField()
    responses = serializers.IntegerField()
    promoters = serializers.IntegerField(help_text="answers 9–10")
    passives = serializers.IntegerField(help_text="answers 7–8")
    detractors = serializers.IntegerField(help_text="answers 0–6")
    nps = serializers.FloatField(
        allow_null=True, help_text="% promoters − % detractors (null: no response)"
    )
    response_rate = serializers.FloatField(allow_null=True)


class EffortOutput(serializers.Serializer):
    key = serializers.JSONField(help_text="The period's first day")
    responses = serializers.IntegerField(help_text="CSAT answers in the period")
    effort = serializers.FloatField(allow_null=True, help_text="mean effort answer, 1–7")


class TrendsOutput(serializers.Serializer):
    from_ = serializers.DateTimeField()
    to = serializers.DateTimeField()
    by = serializers.CharField()
    nps_total = NpsOutput()
    nps = NpsOutput(many=True)
    effort = EffortOutput(many=True)


TrendsOutput._declared_fields["from"] = TrendsOutput._declared_fields.pop("from_")


class SurveyTrendsView(APIView):
    scope_resource = "surveys"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="NPS and customer-effort trends per week or month",
        parameters=[TrendsInput],
        responses={200: TrendsOutput},
    )
    def get(self, request):
        data = TrendsInput(data=request.query_params.dict())
        data.is_valid(raise_exception=True)
        d = data.validated_data
        period = {"user": request.user, "start": d["from"], "end": d["to"]}
        effort = selectors.csat_figures(**period, group=d["by"])
        data = {
            "from": d["from"],
            "to": d["to"],
            "by": d["by"],
            "nps_total": selectors.nps_figures(**period)[0].as_dict(),
            "nps": [row.as_dict() for row in selectors.nps_figures(**period, group=d["by"])],
            "effort": [row.as_dict() for row in effort],
        }
        return Response(TrendsOutput(data).data)
