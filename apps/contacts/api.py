"""REST API for contacts (scopes contacts:read / contacts:write).

Who sees what: `Contact.objects.visible_to` — a contact is visible to whoever may see one of
its cases (admins: all), and while it has no case, to the user who created it through this
API. Every read and write below starts from that queryset, so a contact the caller cannot see
is a 404 exactly like a missing one, and a conflict with one of its identities is a 409 that
names no contact. Tokens act as their owner.
"""

from django.db import transaction
from django_filters import rest_framework as filters
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

from apps.api.errors import ApiError
from apps.api.filters import ID_SCHEMA
from apps.api.pagination import CxCursorPagination
from apps.api.schema import ErrorSerializer

from . import identities, selectors, services
from .models import Contact, ContactIdentity
from .serializers import ContactCreateInput, ContactMergeInput, ContactOutput, IdentityCreateInput

VISIBILITY = (
    "You see the contacts of the cases you may see (admins: all), and the contacts "
    "you created here that have no case yet; any other contact is a 404."
)


class ContactFilter(filters.FilterSet):
    """Find a contact by any of their addresses, in any written form."""

    email = filters.CharFilter(method="by_identity")
    phone = filters.CharFilter(method="by_identity")
    chat = filters.CharFilter(method="by_identity")
    social_handle = filters.CharFilter(method="by_identity", help_text="With social_network")
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
            raise ValidationError({name: [exc.reason]}) from None
        return queryset.filter(
            identities__kind=identity.kind,
            identities__network=identity.network,
            identities__value=identity.value,
        )


@extend_schema_view(
    list=extend_schema(
        summary="List or find contacts",
        description="`?email=Ann@Example.com` finds ann@example.com; "
        "`?phone=(202) 555-0143` finds +12025550143. " + VISIBILITY,
    ),
    retrieve=extend_schema(summary="One contact with their identities", description=VISIBILITY),
)
class ContactViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    scope_resource = "contacts"
    serializer_class = ContactOutput
    filter_backends = [filters.DjangoFilterBackend]
    filterset_class = ContactFilter
    pagination_class = CxCursorPagination

    def get_queryset(self):
        return selectors.contact_list(user=self.request.user).order_by()

    def _output(self, contact: Contact, status_code=status.HTTP_200_OK) -> Response:
        contact = self.get_queryset().get(pk=contact.pk)
        return Response(ContactOutput(contact).data, status=status_code)

    @extend_schema(
        summary="Create a contact (or find the one these identities belong to)",
        description="The first identity finds its contact (200; the other identities are added "
        "to it) or creates one (201). An identity that belongs to a contact you "
        "cannot see is a 409 `identity_taken` naming no contact, and nothing is "
        "written. " + VISIBILITY,
        request=ContactCreateInput,
        responses={201: ContactOutput, 200: ContactOutput},
    )
    def create(self, request):
        data = ContactCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        first, *more = data.validated_data["identities"]
        with transaction.atomic():
            contact, created = services.contact_find_or_create(
                name=data.validated_data.get("name", ""), actor=request.user, **first
            )
            if (
                not created
                and not Contact.objects.visible_to(request.user).filter(pk=contact.pk).exists()
            ):
                # Someone else's contact: answer as for any taken identity, and roll back the
                # name the find may have filled in.
                found = identities.normalize(first["kind"], first["value"], first["network"])
                raise services.IdentityTaken(
                    ContactIdentity(kind=found.kind, network=found.network, value=found.value)
                )
            for identity in more:
                services.contact_add_identity(contact=contact, actor=request.user, **identity)
        return self._output(contact, status.HTTP_201_CREATED if created else status.HTTP_200_OK)

    @extend_schema(
        summary="Add an identity to a contact",
        description="Audited (the contact's `identity_added` event). An address of another "
        "contact is a 409 `identity_taken` naming no contact: merge the two "
        "instead. " + VISIBILITY,
        request=IdentityCreateInput,
        responses={201: ContactOutput},
    )
    @action(detail=True, methods=["post"])
    def identities(self, request, pk=None):
        contact = self.get_object()
        data = IdentityCreateInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.contact_add_identity(contact=contact, actor=request.user, **data.validated_data)
        return self._output(contact, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Remove an identity from a contact",
        description="Audited (`identity_removed`). The address's next message finds no contact "
        "and starts a new one. The only identity of a contact cannot be removed "
        "(409 `last_identity`): merge the contact into another instead. An identity "
        "id of another contact is a 404. " + VISIBILITY,
        request=None,
        parameters=[
            OpenApiParameter(
                "identity_id",
                ID_SCHEMA,
                OpenApiParameter.PATH,
                description="`id` of one of the contact's `identities`",
            )
        ],
        responses={204: None},
    )
    @action(detail=True, methods=["delete"], url_path=r"identities/(?P<identity_id>[0-9]+)")
    def remove_identity(self, request, pk=None, identity_id=None):
        contact = self.get_object()
        services.contact_remove_identity(
            contact_id=contact.pk, identity_id=int(identity_id), actor=request.user
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        summary="Merge this contact into another",
        description="Every identity, case and message of this contact moves to `into`, which "
        "is returned; this contact is retired (404 afterwards). Supervisors and "
        "admins only (agents: 403), and you must see both contacts (`into` that "
        "you cannot see is a 400 like a missing one). Audited on both contacts "
        "(`merged_into`, `merged_from`) and on each moved case (`requester`). "
        "A contact merged already, or into itself: 409 `invalid_merge`. " + VISIBILITY,
        request=ContactMergeInput,
        responses={
            200: ContactOutput,
            403: OpenApiResponse(
                response=ErrorSerializer,
                description="You are not a supervisor or an admin, or the token lacks "
                "contacts:write.",
            ),
        },
    )
    @action(detail=True, methods=["post"])
    def merge(self, request, pk=None):
        source = self.get_object()
        if not selectors.contact_merge_allowed(user=request.user):
            raise ApiError(
                "Only supervisors and admins can merge contacts.",
                status_code=status.HTTP_403_FORBIDDEN,
                code="permission_denied",
            )
        data = ContactMergeInput(data=request.data, context={"request": request})
        data.is_valid(raise_exception=True)
        target = services.contact_merge(
            source_id=source.pk, target_id=data.validated_data["into"].pk, actor=request.user
        )
        return self._output(target)
