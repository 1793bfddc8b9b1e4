"""Showing customer-supplied text without letting invisible characters disguise it.

"invoice\u202egnp.exe" is stored as sent — the raw data is evidence — but a RIGHT-TO-LEFT
OVERRIDE shows it as "invoiceexe.png". On display, every character that changes the order of
the text or cannot be seen is replaced by a visible marker naming it, "⟨U+202E⟩", so an agent
notices that a name was disguised (silently stripping it would hide the attempt, and strip
the evidence from what they see). Replaced:

- bidi controls: embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069) and the
  marks U+200E, U+200F, U+061C;
- every other format character (Unicode category Cf: zero-width space, word joiner, BOM, soft
  hyphen, tag characters …), control characters other than tab and line breaks, line and
  paragraph separators, and the blank-looking Hangul fillers;
- but not the joiners that real text needs: ZERO WIDTH JOINER / NON-JOINER between two visible
  characters (emoji sequences like 👩‍💻, Indic and Persian spelling), and tag characters inside
  an emoji flag sequence (🏴 + tags + CANCEL TAG, e.g. the flag of Scotland).

`reveal_hidden` gives plain text (for <title>, the admin, logs); `reveal_hidden_html` gives
escaped HTML with each marker in <mark class="cx-hidden-char"> titled with the character's name.
"""

import re
import unicodedata

from django.utils.html import conditional_escape, format_html
from django.utils.safestring import SafeData, SafeString, mark_safe

BIDI_CONTROLS = frozenset(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
JOINERS = frozenset("\u200c\u200d")  # ZWNJ, ZWJ
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")  # Hangul fillers: letters that show nothing
KEPT_CONTROLS = frozenset("\t\n\r")


def _is_hidden_char(char: str) -> bool:
    if char in BIDI_CONTROLS or char in BLANK_LETTERS:
        return True
    category = unicodedata.category(char)
    if category == "Cc":
        return char not in KEPT_CONTROLS
    return category in ("Cf", "Zl", "Zp")


def _visible(char: str) -> bool:
    return not (char.isspace() or _is_hidden_char(char) or char in JOINERS)


# An emoji tag sequence as flags use it: 🏴, 2–6 tag digits or lower-case tag letters (a
# region such as "gbsct"), CANCEL TAG. Tag characters anywhere else hide text.
_FLAG_SEQUENCE = re.compile("\U0001f3f4[\U000e0030-\U000e0039\U000e0061-\U000e007a]{2,6}\U000e007f")


def _hidden_positions(text: str) -> list[int]:
    if text.isascii() and text.isprintable():
        # Most names and subjects: no ASCII character but the controls hides anything, and
        # printable means none of them. A queue page asks this ~170 times.
        return []
    in_flags = {
        i for match in _FLAG_SEQUENCE.finditer(text) for i in range(match.start() + 1, match.end())
    }
    hidden = []
    for i, char in enumerate(text):
        if i in in_flags:
            continue
        if char in JOINERS:
            before, after = text[i - 1 : i], text[i + 1 : i + 2]
            if before and after and _visible(before) and _visible(after):
                continue
            hidden.append(i)
        elif _is_hidden_char(char):
            hidden.append(i)
    return hidden


def has_hidden(text: str) -> bool:
    """Does `text` contain a character reveal_hidden would replace?"""
    return bool(text) and bool(_hidden_positions(str(text)))


def marker(char: str) -> str:
    return f"⟨U+{ord(char):04X}⟩"


def reveal_hidden(text) -> str:
    """`text` with each hidden or reordering character replaced by "⟨U+XXXX⟩"."""
    if text is None:
        return ""
    text = str(text)
    positions = _hidden_positions(text)
    if not positions:
        return text
    chars = list(text)
    for i in positions:
        chars[i] = marker(chars[i])
    return "".join(chars)


def reveal_hidden_html(text) -> SafeString:
    """Escaped HTML of `text`, each hidden character shown as a highlighted, named marker."""
    if text is None:
        return mark_safe("")
    if isinstance(text, SafeData):  # HTML already: markers hold no HTML-special character
        return mark_safe(reveal_hidden(text))
    text = str(text)
    positions = _hidden_positions(text)
    if not positions:
        return conditional_escape(text)
    parts, start = [], 0
    for i in positions:
        char = text[i]
        name = unicodedata.name(char, "unnamed character").lower()
        parts.append(conditional_escape(text[start:i]))
        parts.append(
            format_html(
                '<mark class="cx-hidden-char" title="Hidden character: {}">{}</mark>',
                name,
                marker(char),
            )
        )
        start = i + 1
    parts.append(conditional_escape(text[start:]))
    return mark_safe("".join(parts))


# --- Storing what a provider sent -------------------------------------------------------------

# What no database text holds: NUL (PostgreSQL text and jsonb refuse it) and lone surrogates.
UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def storable(value):
    """A JSON value with what no database text can hold replaced by U+FFFD: NUL (PostgreSQL
    text and jsonb refuse it) and lone surrogates (no UTF-8 encoding). For data we must keep
    whatever it holds — a signed webhook's events — rather than refuse: keys and strings at
    every depth (bodies are nested at most apps.api.limits.MAX_JSON_DEPTH deep)."""
    if isinstance(value, str):
        return UNSTORABLE.sub("\ufffd", value)
    if isinstance(value, dict):
        return {storable(key): storable(item) for key, item in value.items()}
    if isinstance(value, list):
        return [storable(item) for item in value]
    return value
