from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from apps.api.pagination import CxCursorPagination

from . import identities, selectors, services
from .models import Contact
from .serializers import ContactCreateInput, ContactOutput, IdentityCreateInput


class ContactFilter(filters.FilterSet):
    """Find a contact by any of their addresses, in any written form."""

    email = filters.CharFilter(method="by_identity")
    phone = filters.CharFilter(method="by_identity")
    chat = filters.CharFilter(method="by_identity")
    social_handle = filters.CharFilter(method="by_identity",
                                       help_text="With social_network")
    social_network = filters.CharFilter(method="noop")
    name = filters.CharFilter(field_name="name", lookup_expr="icontains")

    class Meta:
        model = Contact
        fields = []

    def noop(self, queryset, name, value):
        return queryset

    def by_identity(self, queryset, name, value):
        kind = "social" if name == "social_handle" else name
        network = self.data.get("social_network", "") if kind == "social" else ""
        try:
            identity = identities.normalize(kind, value, network)
        except identities.InvalidIdentity as exc:
            from rest_framework.exceptions import ValidationError

            raise ValidationError({name: [exc.reason]}) from None
        return queryset.filter(identities__kind=identity.kind,
                               identities__network=identity.network,
                               identities__value=identity.value)


@extend_schema_view(
    list=extend_schema(summary="List or find contacts",
                       description="`?email=Ann@Example.com` finds ann@example.com; "
                                   "`?phone=(202) 555-0143` finds +12025550143."),
    retrieve=extend_schema(summary="One contact with their identities"),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "contacts"
    serializer_class = ContactOutput
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ContactFilter
    pagination_class = CxCursorPagination

    def get_queryset(self):
        return selectors.contact_list().order_by()

    @extend_schema(summary="Create a contact (or find the one these identities belong to)",
                   request=ContactCreateInput, responses={201: ContactOutput,
                                                          200: ContactOutput})
    def create(self, request):
        data = ContactCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        first, *more = data.validated_data["identities"]
        with transaction.atomic():
            contact, created = services.contact_find_or_create(
                name=data.validated_data.get("name", ""), **first)
            for identity in more:
                services.contact_add_identity(contact=contact, **identity)
        contact = selectors.contact_list().get(pk=contact.pk)
        return Response(ContactOutput(contact).data,
                        status=status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(summary="Add an identity to a contact", request=IdentityCreateInput,
                   responses={201: ContactOutput})
    @action(detail=True, methods=["post"])
    def identities(self, request, pk=None):
        contact = self.get_object()
        data = IdentityCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_add_identity(contact=contact, **data.validated_data)
        contact = selectors.contact_list().get(pk=contact.pk)
        return Response(ContactOutput(contact).data, status=status.HTTP_201_CREATED)
