"""REST API for webhook subscriptions and their delivery log (scopes webhooks:read/write).

Who may use it: API tokens, held to their scopes (webhooks:read to read, webhooks:write to
change; a token is an integration an admin made and granted them, whoever owns it), and
admins signed in. A signed-in agent or supervisor gets 403 on every endpoint: a subscription
is a standing export of every case its owner can see. A token sees and manages its owner's
subscriptions; an admin's, all. The signing secret is shown when a subscription is created
and when it is rotated, never in lists.
"""

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response

from apps.accounts.models import role_of
from apps.api.pagination import CxCursorPagination
from apps.api.permissions import AdminSessionOrToken, HasScope
from apps.api.serializers import StrictInputSerializer

from . import services
from .models import EVENT_TYPES, WebhookDelivery, WebhookSubscription


class SubscriptionOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookSubscription
        fields = ["id", "name", "url", "events", "is_active", "created_at", "updated_at"]


class SubscriptionWithSecretOutput(SubscriptionOutput):
    class Meta(SubscriptionOutput.Meta):
        fields = [*SubscriptionOutput.Meta.fields, "secret"]


class SubscriptionCreateInput(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    url = serializers.CharField(max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        allow_empty=False,
        max_length=len(EVENT_TYPES),
    )


class SubscriptionUpdateInput(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=100)
    url = serializers.CharField(required=False, max_length=2000)
    events = serializers.ListField(
        child=serializers.ChoiceField(choices=EVENT_TYPES),
        required=False,
        allow_empty=False,
        max_length=len(EVENT_TYPES),
    )
    is_active = serializers.BooleanField(required=False)

    def validate(self, attrs):
        if not attrs:
            raise serializers.ValidationError(
                {"non_field_errors": ["Nothing to change: give at least one field."]}
            )
        return attrs


class DeliveryOutput(serializers.ModelSerializer):
    class Meta:
        model = WebhookDelivery
        fields = [
            "id",
            "event",
            "event_id",
            "status",
            "attempts",
            "next_attempt_at",
            "last_status_code",
            "last_error",
            "created_at",
            "delivered_at",
        ]


@extend_schema_view(
    list=extend_schema(summary="Your webhook subscriptions"),
    retrieve=extend_schema(summary="One subscription (without its secret)"),
    destroy=extend_schema(summary="Deactivate a subscription (its delivery log is kept)"),
)
class WebhookSubscriptionViewSet(
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    scope_resource = "webhooks"
    permission_classes = [IsAuthenticated, HasScope, AdminSessionOrToken]
    serializer_class = SubscriptionOutput
    pagination_class = CxCursorPagination
    http_method_names = ["get", "post", "patch", "delete", "head", "options"]

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):  # schema generation: no user
            return WebhookSubscription.objects.none()
        subscriptions = WebhookSubscription.objects.all()
        if role_of(self.request.user) != "admin":
            subscriptions = subscriptions.filter(owner=self.request.user)
        return subscriptions.order_by()

    @extend_schema(
        summary="Subscribe a URL to events",
        request=SubscriptionCreateInput,
        responses={201: SubscriptionWithSecretOutput},
        description="The response holds the signing `secret`; store it.",
    )
    def create(self, request):
        data = SubscriptionCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_create(owner=request.user, **data.validated_data)
        return Response(
            SubscriptionWithSecretOutput(subscription).data, status=status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Change a subscription",
        request=SubscriptionUpdateInput,
        responses={200: SubscriptionOutput},
    )
    def partial_update(self, request, pk=None):
        subscription = self.get_object()
        data = SubscriptionUpdateInput(data=request.data)
        data.is_valid(raise_exception=True)
        subscription = services.subscription_update(
            subscription_id=subscription.pk, **data.validated_data
        )
        return Response(SubscriptionOutput(subscription).data)

    def perform_destroy(self, instance):
        services.subscription_deactivate(subscription_id=instance.pk)

    @extend_schema(
        summary="Replace the signing secret",
        request=None,
        responses={200: SubscriptionWithSecretOutput},
    )
    @action(detail=True, methods=["post"], url_path="rotate-secret")
    def rotate_secret(self, request, pk=None):
        subscription = services.subscription_rotate_secret(subscription_id=self.get_object().pk)
        return Response(SubscriptionWithSecretOutput(subscription).data)

    @extend_schema(
        summary="The subscription's delivery log, newest first",
        responses={200: DeliveryOutput(many=True)},
    )
    @action(detail=True, methods=["get"])
    def deliveries(self, request, pk=None):
        subscription = self.get_object()
        page = self.paginate_queryset(
            WebhookDelivery.objects.filter(subscription=subscription).order_by()
        )
        return self.get_paginated_response(DeliveryOutput(page, many=True).data)
