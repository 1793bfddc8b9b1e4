from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, viewsets

from .models import Team


class TeamOutput(serializers.ModelSerializer):
    class Meta:
        model = Team
        fields = ["id", "name", "slug", "description"]


@extend_schema_view(
    list=extend_schema(summary="Every team"), retrieve=extend_schema(summary="One team")
)
class TeamViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "cases"
    serializer_class = TeamOutput
    queryset = Team.objects.order_by("name")
    pagination_class = None
