"""Serializers that build their fields once per class give every instance its own fields.

apps.api.serializers.FieldsBuiltOnceMixin copies the class's fields cheaply instead of
constructing them again; what DRF's deep copy guarantees must still hold.
"""

from rest_framework import serializers

from apps.api.serializers import StrictInputSerializer
from apps.cases.serializers import CaseCreateInput, CaseOutput


class Inner(StrictInputSerializer):
    name = serializers.CharField()


class Outer(StrictInputSerializer):
    tags = serializers.ListField(child=serializers.CharField(max_length=3), required=False)
    items = Inner(many=True, required=False)
    inner = Inner(required=False)
    labels = serializers.ListField(default=[], required=False)
    extra = serializers.DictField(default={"a": [1]}, required=False)


def test_each_instance_has_its_own_bound_fields():
    one, two = Outer(), Outer()
    for name in one.fields:
        assert one.fields[name] is not two.fields[name]
        assert one.fields[name].parent is one
        assert two.fields[name].parent is two
    assert one.fields["tags"].child is not two.fields["tags"].child
    assert one.fields["tags"].child.parent is one.fields["tags"]
    assert one.fields["items"].child.parent is one.fields["items"]
    assert one.fields["inner"].fields["name"] is not two.fields["inner"].fields["name"]
    assert one.fields["inner"].fields["name"].root is one


def test_a_mutable_default_is_not_shared_between_requests():
    first = Outer(data={})
    assert first.is_valid(), first.errors
    first.validated_data["labels"].append("leaked")
    first.validated_data["extra"]["a"].append(2)
    second = Outer(data={})
    assert second.is_valid(), second.errors
    assert second.validated_data["labels"] == []
    assert second.validated_data["extra"] == {"a": [1]}


def test_nested_and_child_errors_are_per_instance():
    bad = Outer(data={"tags": ["toolong"], "items": [{"name": "x", "zz": 1}], "inner": {}})
    assert not bad.is_valid()
    assert bad.errors["tags"] == {0: ["Ensure this field has no more than 3 characters."]}
    assert bad.errors["items"] == {0: {"zz": ["Unknown field."]}}
    assert bad.errors["inner"] == {"name": ["This field is required."]}
    good = Outer(data={"tags": ["ok"], "items": [{"name": "x"}], "inner": {"name": "y"}})
    assert good.is_valid(), good.errors


def test_case_serializers_keep_their_field_settings():
    fields = CaseCreateInput().fields
    assert fields["subject"].max_length == 255
    assert fields["requester"].fields["email"].required is False
    assert fields["tags"].child.max_length == 64
    assert set(CaseOutput().fields) == set(CaseOutput.Meta.fields)
