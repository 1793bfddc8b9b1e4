from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer

from .models import Contact, ContactIdentity


class IdentityOutput(serializers.ModelSerializer):
    class Meta:
        model = ContactIdentity
        fields = ["id", "kind", "network", "value"]


class ContactOutput(serializers.ModelSerializer):
    identities = IdentityOutput(many=True)
    organization = serializers.CharField(source="organization.name", allow_null=True, default=None)

    class Meta:
        model = Contact
        fields = ["id", "name", "organization", "identities", "created_at", "updated_at"]


class IdentityCreateInput(StrictInputSerializer):
    kind = serializers.ChoiceField(choices=ContactIdentity.Kind.choices)
    value = serializers.CharField(max_length=320)
    network = serializers.ChoiceField(
        choices=[c for c in ContactIdentity.Network.values if c],
        required=False,
        allow_blank=True,
        default="",
        help_text="For kind `social` only",
    )


class ContactCreateInput(StrictInputSerializer):
    name = serializers.CharField(required=False, allow_blank=True, max_length=200)
    identities = IdentityCreateInput(many=True, allow_empty=False, max_length=20)


class ContactMergeInput(StrictInputSerializer):
    into = serializers.PrimaryKeyRelatedField(
        queryset=Contact.objects.none(),
        help_text="The contact that remains: it receives every identity, case and message",
        error_messages={"does_not_exist": "No contact #{pk_value} that you can see."},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None:
            self.fields["into"].queryset = Contact.objects.visible_to(request.user)
