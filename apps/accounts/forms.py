from functools import cache
from zoneinfo import available_timezones

from django import forms


@cache
def time_zone_choices() -> list[tuple[str, str]]:
    return [("", "My browser's zone"), *((name, name) for name in sorted(available_timezones()))]


class TimeZoneForm(forms.Form):
    time_zone = forms.ChoiceField(
        label="Time zone",
        required=False,
        help_text="Every time on your pages is shown in this zone.",
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = time_zone_choices()
