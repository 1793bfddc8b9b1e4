from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer

from .models import Contact, ContactIdentity


class IdentityOutput(serializers.ModelSerializer):
    class Meta:
        model = ContactIdentity
        fields = ["kind", "network", "value"]


class ContactOutput(serializers.ModelSerializer):
    identities = IdentityOutput(many=True)
    organization = serializers.CharField(source="organization.name", allow_null=True,
                                         default=None)

    class Meta:
        model = Contact
        fields = ["id", "name", "organization", "identities", "created_at", "updated_at"]


class IdentityCreateInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ContactIdentity.Kind.choices)
    value = serializers.CharField(max_length=320)
    network = serializers.ChoiceField(
        choices=[c for c in ContactIdentity.Network.values if c], required=False,
        allow_blank=True, default="", help_text="For kind `social` only")


class ContactCreateInput(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    identities = IdentityCreateInput(many=True, allow_empty=False, max_length=20)
