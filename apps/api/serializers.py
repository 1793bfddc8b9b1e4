import copy

from rest_framework import serializers
from rest_framework.fields import empty

# Default values that are safe to share between copies of a field: nothing can change them.
_IMMUTABLE = (str, bytes, int, float, bool, type(None))


def _fresh(field: serializers.Field) -> serializers.Field:
    """An unbound copy of an unbound `field`, for one serializer instance.

    DRF deep-copies a declared field by calling its class again with deep copies of the
    arguments it was made with (validators shared): for a nested serializer or a ChoiceField
    that is most of the cost of instantiating a serializer. Copying the instance's attributes
    instead gives the same state: what binding sets (field_name, parent, source, label) is
    set on the copy's own dict, and a field reads the rest (choices, validators, messages,
    queryset — which is never evaluated, get_queryset() takes .all() of it) without changing
    it. A child field is bound to its parent, so it is copied and pointed at the copy; a mutable
    default is copied, as DRF does, so no request's data can reach another's.
    """
    new = object.__new__(type(field))
    state = field.__dict__.copy()
    state.pop("fields", None)  # a nested serializer builds its own, on first use
    new.__dict__ = state
    for name in ("default", "initial"):
        value = state.get(name, empty)
        if value is not empty and not callable(value) and not isinstance(value, _IMMUTABLE):
            state[name] = copy.deepcopy(value)
    for name in ("child", "child_relation"):  # ListField/DictField/ListSerializer, many=True
        child = state.get(name)
        if isinstance(child, serializers.Field):
            state[name] = _fresh(child)
            state[name].parent = new  # bound by the parent's __init__; only the parent differs
    return new


class FieldsBuiltOnceMixin:
    """Build a serializer's fields once per class, not on every instantiation, and give each
    instance cheap copies of them (`_fresh`). DRF rebuilds them each time: a ModelSerializer
    introspects the model (about 140 µs for a case), every serializer deep-copies its
    declared fields by constructing them again (about 50 µs for a nested input of five
    fields). Each instance still gets its own field objects, so binding one instance's fields
    never touches another's. Only for serializers whose fields depend on the class alone —
    not on the context or the instance (setting an attribute of a field on the instance, as
    `self.fields["case"].queryset = …`, is fine: the field is the instance's own)."""

    def get_fields(self):
        cls = type(self)
        built = cls.__dict__.get("_fields_built_once")
        if built is None:
            built = super().get_fields()
            cls._fields_built_once = built
        return {name: _fresh(field) for name, field in built.items()}


class StrictInputSerializer(FieldsBuiltOnceMixin, serializers.Serializer):
    """An input serializer that names unknown fields as errors instead of ignoring them."""

    def to_internal_value(self, data):
        if not isinstance(data, dict):
            raise serializers.ValidationError(
                {"non_field_errors": [f"Expected a JSON object, got {type(data).__name__}."]}
            )
        unknown = sorted(set(data) - set(self.fields))
        result = super().to_internal_value(data)
        if unknown:
            raise serializers.ValidationError({name: ["Unknown field."] for name in unknown})
        return result
