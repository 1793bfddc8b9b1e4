"""The new-chat sound is a short WAV of our own (generated with Python's wave module, no
third-party asset): small enough to load on every agent page, short enough not to annoy."""

import wave
from pathlib import Path

from django.conf import settings

SOUND = Path(settings.BASE_DIR) / "static" / "cxdesk" / "new-chat.wav"


def test_the_new_chat_sound_is_a_short_small_wav():
    with wave.open(str(SOUND), "rb") as sound:
        seconds = sound.getnframes() / sound.getframerate()
        assert sound.getnchannels() == 1
    assert 0.1 < seconds < 1
    assert SOUND.stat().st_size < 10_000
