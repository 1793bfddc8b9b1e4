from django import forms

from apps.core.ids import MAX_DB_ID


class DraftForm(forms.Form):
    """What the composer's autosave posts. The body's size is the service's to refuse (a
    413 naming the limit), so no max_length here."""

    body = forms.CharField(required=False, strip=False)
    kind = forms.CharField(required=False, max_length=10)
    channel = forms.CharField(required=False, max_length=20)
    macro = forms.IntegerField(required=False, min_value=1, max_value=MAX_DB_ID)
    last_seen = forms.IntegerField(required=False, min_value=0, max_value=MAX_DB_ID)


class MacroPickForm(forms.Form):
    """The macro chosen in the picker; an id out of range is a 404 (the selector's bounds)."""

    macro_pick = forms.IntegerField(
        error_messages={"required": "Choose a macro first.", "invalid": "Choose a macro first."},
    )
