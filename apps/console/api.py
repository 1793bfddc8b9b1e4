"""`GET /api/v1/reports/summary/` (scope reports:read): the supervisors' report of a period
beside the period before it — the same figures as /console/reports/ (apps/console/reports.py).

For supervisors and admins (signed in, or a token one of them owns): a supervisor's report
counts their teams' cases and may name one of them; an admin's every case. Agents get 403.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.exceptions import PermissionDenied
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from apps.accounts.models import AgentProfile, role_of
from apps.api.permissions import HasScope
from apps.rootcauses.report import ReportRowOutput
from apps.sla.serializers import SlaSummaryOutput

from . import reports


class ReportSummaryOutput(serializers.Serializer):
    period = serializers.DictField()
    previous_period = serializers.DictField()
    filters = serializers.DictField()
    volume = serializers.DictField(help_text="Cases opened: totals, by channel, by day")
    volume_previous = serializers.DictField()
    volume_change = serializers.FloatField(allow_null=True, help_text="% change in cases")
    sla = SlaSummaryOutput(
        help_text="As GET /api/v1/sla/summary/: attainment per target; first-response, "
        "next-response and resolution times (median, p90) in business and calendar time; FCR"
    )
    sla_previous = SlaSummaryOutput(help_text="The same of the period before")
    csat = serializers.DictField()
    csat_previous = serializers.DictField()
    nps = serializers.DictField(help_text="NPS = % promoters − % detractors, with its counts")
    nps_previous = serializers.DictField()
    root_causes = ReportRowOutput(many=True, help_text="The top ten, as the root-cause report")
    open_follow_ups = serializers.IntegerField()
    follow_ups_resolved = serializers.DictField(
        help_text="Resolved in the period: count, median and longest hours to close the loop"
    )
    at_risk_customers = serializers.IntegerField()
    active_spikes = serializers.IntegerField()


class ReportSummaryView(APIView):
    scope_resource = "reports"
    permission_classes = [IsAuthenticated, HasScope]

    @extend_schema(
        summary="The supervisors' report of a period beside the period before it",
        parameters=[reports.ReportInput],
        responses={200: ReportSummaryOutput},
    )
    def get(self, request):
        if role_of(request.user) not in (AgentProfile.Role.SUPERVISOR, AgentProfile.Role.ADMIN):
            raise PermissionDenied("Reports are for supervisors and admins.")
        data = reports.ReportInput(data=request.query_params.dict(), context={"user": request.user})
        data.is_valid(raise_exception=True)
        valid = data.validated_data
        report = reports.center_report(
            user=request.user,
            start=valid["period"].start,
            end=valid["period"].end,
            filters=reports.Filters(
                team_id=valid.get("team"),
                channel=valid.get("channel"),
                priority=valid.get("priority"),
            ),
        )
        return Response(ReportSummaryOutput(report).data)
