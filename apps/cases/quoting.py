"""Where an email's own text ends and its quoted history and signature begin.

The split is mail-parser-reply's (PyPI `mail-parser-reply`, MIT): it knows the reply headers
("On … wrote:", "-----Original Message-----", "Von: … Gesendet:", Outlook's underscores …)
and signatures ("-- ", "Best regards", "Mit freundlichen Grüßen" …) of a dozen languages.
quotequail was measured too, on the shared corpus's Zammad samples whose expected body
marks where the quote or signature starts (16 of them): mail-parser-reply finds 15,
quotequail 3 (it has no signatures and misses German headers). tests/cases/test_quoted.py
keeps the corpus figures.

The library reads text; we keep the result as a count: how many non-whitespace characters
the reply has (`reply_length`). Whitespace is what differs between the library's normalised
text, the stored text and an HTML body's text, so a count of the rest maps the split back
onto the stored body exactly — into plain text (`split_text`) or into sanitised HTML
(`split_html`, which cuts between or inside text nodes and lets nh3 close and drop the tags
the cut leaves open). The counts are computed once when the interaction is stored
(`fold_points`, in `Interaction.quote_fold`) and again at render for older rows
(apps/cases/templatetags/case_page.py), so no backfill is needed.
"""

from html import unescape
from html.parser import HTMLParser

from mailparser_reply import EmailReplyParser  # type: ignore[import-untyped]  # no types shipped

LANGUAGES = ["en", "de", "fr", "es", "it", "nl", "pl", "sv", "da", "cs"]
MAX_READ = 50_000  # the reply is at the top: a huge body is read only this far
BLOCK_TAGS = {"p", "div", "br", "tr", "li", "blockquote", "table", "h1", "h2", "h3", "hr", "pre"}


def _squash(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace())


def reply_length(text: str) -> int | None:
    """Non-whitespace characters of the reply at the top of `text`, or None when there is
    nothing after it to fold (or nothing before it: a bare forward stays whole)."""
    if not text or not text.strip():
        return None
    try:
        message = EmailReplyParser(languages=LANGUAGES).read(text.strip()[:MAX_READ])
        reply = message.replies[0].body if message.replies else ""
    except Exception:  # a library failure must never stop a message being stored or shown
        return None
    whole, top = _squash(text), _squash(reply)
    n = 0
    for a, b in zip(top, whole, strict=False):  # a disclaimer cut from the middle ends it
        if a != b:
            break
        n += 1
    return n if 0 < n < len(whole) else None


def split_text(text: str, n: int) -> tuple[str, str] | None:
    """`text` cut after its n-th non-whitespace character."""
    seen = 0
    for i, ch in enumerate(text):
        if not ch.isspace():
            seen += 1
            if seen == n:
                rest = text[i + 1 :]
                return (text[: i + 1], rest) if rest.strip() else None
    return None


class _Walker(HTMLParser):
    """Reads sanitised HTML as text, knowing where in the source each character is."""

    def __init__(self, source: str):
        super().__init__(convert_charrefs=False)
        self.source = source
        self.line_starts = [0]
        for i, ch in enumerate(source):
            if ch == "\n":
                self.line_starts.append(i + 1)
        self.parts: list[str] = []
        self.stop_after: int | None = None  # find the source offset of this character
        self.seen = 0
        self.cut: int | None = None

    def _offset(self) -> int:
        line, col = self.getpos()
        return self.line_starts[line - 1] + col

    def _text(self, decoded: str, raw_length: int, exact: bool) -> None:
        self.parts.append(decoded)
        if self.stop_after is None or self.cut is not None:
            return
        start = self._offset()
        for i, ch in enumerate(decoded):
            if not ch.isspace():
                self.seen += 1
                if self.seen == self.stop_after:
                    self.cut = start + (i + 1 if exact else raw_length)
                    return

    def handle_data(self, data: str) -> None:
        self._text(data, len(data), exact=True)  # no entity inside: raw is decoded text

    def handle_entityref(self, name: str) -> None:
        raw = f"&{name};"
        self._text(unescape(raw), len(raw), exact=False)

    def handle_charref(self, name: str) -> None:
        raw = f"&#{name};"
        self._text(unescape(raw), len(raw), exact=False)

    def handle_starttag(self, tag, attrs) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")

    def handle_endtag(self, tag) -> None:
        if tag in BLOCK_TAGS:
            self.parts.append("\n")


def html_text(html: str) -> str:
    """The text of sanitised HTML, a line per block, as the split reads it."""
    walker = _Walker(html)
    walker.feed(html)
    walker.close()
    return "".join(walker.parts)


def split_html(html: str, n: int) -> tuple[str, str] | None:
    """Sanitised `html` cut after its n-th non-whitespace character of text. The halves
    have tags left open or closing tags left over: the caller cleans each with nh3."""
    walker = _Walker(html)
    walker.stop_after = n
    walker.feed(html)
    walker.close()
    if walker.cut is None:
        return None
    head, rest = html[: walker.cut], html[walker.cut :]
    return (head, rest) if html_text(rest).strip() else None


def fold_points(*, body_text: str, body_html: str) -> dict[str, int | None]:
    """What `Interaction.quote_fold` keeps: the reply's length in the text
    body and in the (sanitised) HTML body, None where nothing folds."""
    return {
        "text": reply_length(body_text),
        "html": reply_length(html_text(body_html)) if body_html else None,
    }
