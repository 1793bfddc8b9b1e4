"""The problem pages' forms: shapes only; the rules are the services'."""

from django import forms

from apps.accounts.models import Team
from apps.macros.placeholders import PLACEHOLDERS
from apps.rootcauses.models import RootCause

from .models import Problem

DEFAULT_ANSWER = (
    "Hello {contact.first_name},\n\n"
    "The problem you told us about is fixed. Thank you for your patience, and sorry for the "
    "trouble. If anything is still wrong, answer this message and we will look into it.\n\n"
    "{agent.name}\n{case.reference}"
)


class ProblemForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 4}), required=False)
    root_cause = forms.ModelChoiceField(
        queryset=RootCause.objects.active(),
        error_messages={"invalid_choice": "That root cause is retired or not in the taxonomy."},
    )
    owner_team = forms.ModelChoiceField(
        queryset=Team.objects.all(),
        required=False,
        help_text="The team that fixes it; empty: the root cause's owner team",
    )
    tracker_url = forms.CharField(
        label="Tracker link", max_length=500, required=False, help_text="http:// or https://"
    )


class TransitionForm(forms.Form):
    to = forms.ChoiceField(choices=Problem.Status.choices, label="New status")
    fix_date = forms.DateField(
        required=False,
        label="Fix date",
        help_text="Needed to mark it fixed (YYYY-MM-DD)",
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def __init__(self, *args, problem: Problem, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = Problem.ALLOWED_TRANSITIONS[problem.status]
        self.fields["to"].choices = [  # type: ignore[attr-defined]
            (v, label) for v, label in Problem.Status.choices if v in allowed
        ]
        if problem.fix_date:
            self.fields["fix_date"].initial = problem.fix_date


class AnswerForm(forms.Form):
    body = forms.CharField(
        label="Answer",
        widget=forms.Textarea(attrs={"rows": 8}),
        initial=DEFAULT_ANSWER,
        help_text="Placeholders: " + ", ".join("{" + name + "}" for name in PLACEHOLDERS),
    )


class LinkForm(forms.Form):
    problem = forms.IntegerField(min_value=1, label="Problem")
