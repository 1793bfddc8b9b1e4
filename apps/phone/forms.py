from django import forms
from django.utils import timezone

from apps.contacts.identities import InvalidIdentity, normalize_phone

from .models import Call

MAX_DURATION_MINUTES = 24 * 60

OUTCOMES = [
    (Call.Status.COMPLETED, "Answered (we spoke)"),
    (Call.Status.NO_ANSWER, "No answer"),
    (Call.Status.BUSY, "Busy"),
    (Call.Status.FAILED, "Could not connect"),
]


class LogCallForm(forms.Form):
    """A call an agent had with the customer, logged by hand on the case page."""

    direction = forms.ChoiceField(
        choices=[
            (Call.Direction.OUTBOUND, "I called the customer"),
            (Call.Direction.INBOUND, "The customer called us"),
        ],
        initial=Call.Direction.OUTBOUND,
        widget=forms.RadioSelect,
    )
    number = forms.CharField(
        label="Customer's number",
        max_length=64,
        help_text="Any written form; numbers without a country code are read in the default "
        "region.",
    )
    status = forms.ChoiceField(label="Outcome", choices=OUTCOMES, initial=Call.Status.COMPLETED)
    started_at = forms.DateTimeField(
        label="When",
        required=False,
        help_text="Leave empty for now.",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    duration_minutes = forms.IntegerField(
        label="Duration (minutes)",
        required=False,
        min_value=0,
        max_value=MAX_DURATION_MINUTES,
    )
    disposition = forms.ChoiceField(
        choices=Call.Disposition.choices,
        required=False,
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 5}), required=False, max_length=10_000
    )

    def clean_number(self) -> str:
        try:
            return normalize_phone(self.cleaned_data["number"])
        except InvalidIdentity as exc:
            raise forms.ValidationError(f"Not a phone number we can call ({exc.reason}).") from None

    def clean_started_at(self):
        started_at = self.cleaned_data.get("started_at")
        if started_at and started_at > timezone.now():
            raise forms.ValidationError("A call logged by hand has already happened.")
        return started_at

    def clean(self):
        data = super().clean()
        minutes = data.pop("duration_minutes", None)
        data["duration_seconds"] = minutes * 60 if minutes is not None else None
        return data
