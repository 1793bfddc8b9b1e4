"""Forms of the agents' chat console (views_console.py)."""

from django import forms

from .serializers import MAX_MESSAGE_LENGTH


class ChatMessageForm(forms.Form):
    """An agent's message in a live chat, from the case page's chat box."""

    text = forms.CharField(
        label="Chat message",
        max_length=MAX_MESSAGE_LENGTH,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        error_messages={"required": "Write something before sending."},
    )

    def clean_text(self) -> str:
        text: str = self.cleaned_data["text"]
        if not text.strip():
            raise forms.ValidationError("Write something before sending.")
        return text
