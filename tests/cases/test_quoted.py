"""Email in the timeline: the quoted history and signature folded behind "Show quoted text"
(apps/cases/quoting.py, mail-parser-reply), remote images blocked until the agent asks for
that message's images (apps/cases/templatetags/case_page.py, views.case_page)."""

import re
from pathlib import Path

import pytest
from django.urls import reverse

from apps.cases import quoting, services
from apps.cases.models import Case, Interaction
from apps.mail import parsing
from tests.factories import CaseFactory, InteractionFactory

pytestmark = pytest.mark.django_db

REPO = Path(__file__).resolve().parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "email"

REPLY = """Thanks, the new invoice is right.

Best regards,
Ann Example

On Mon, 30 Nov 2026 at 10:00, Support <support@cxdesk.test> wrote:
> Here is the corrected invoice.
> Kind regards
"""

REPLY_HTML = (
    "<div><p>Thanks, the new invoice is <b>right</b>.</p><p>Best regards,<br>Ann</p>"
    '<div class="gmail_quote">On Mon, 30 Nov 2026 at 10:00, Support '
    "&lt;support@cxdesk.test&gt; wrote:<blockquote><p>Here is the corrected invoice.</p>"
    "</blockquote></div></div>"
)


@pytest.fixture
def case(team, agent):
    return CaseFactory(team=team, assignee=agent, status=Case.Status.OPEN)


def page(client, agent, case, **params):
    client.force_login(agent)
    response = client.get(reverse("case-detail", args=[case.pk]), params)
    assert response.status_code == 200
    return response


def article(response, item) -> str:
    body = response.content.decode()
    return body.split(f'id="interaction-{item.pk}"')[1].split("</article>")[0]


def store(case, **fields) -> Interaction:
    """Through the service, as ingest and replies store them (the fold kept at ingest)."""
    return services.interaction_add(
        case_id=case.pk,
        channel="email",
        direction="in",
        author_contact=case.requester,
        **fields,
    )


# --- folding -----------------------------------------------------------------------------


def test_a_text_reply_shows_its_own_text_and_folds_the_rest(client, agent, case):
    item = store(case, body_text=REPLY)
    assert item.quote_fold["text"] == len("Thanks,thenewinvoiceisright.")
    shown = article(page(client, agent, case), item)
    reply, folded = shown.split('<details class="quoted"><summary>Show quoted text</summary>')
    assert "Thanks, the new invoice is right." in reply
    assert "corrected invoice" not in reply
    assert "Best regards" in folded  # the signature
    assert "&gt; Here is the corrected invoice." in folded  # the quote


def test_an_html_reply_is_cut_between_its_text_and_the_quote(client, agent, case):
    item = store(case, body_text="", body_html=REPLY_HTML)
    shown = article(page(client, agent, case), item)
    reply, folded = shown.split('<details class="quoted"><summary>Show quoted text</summary>')
    assert "<p>Thanks, the new invoice is <b>right</b>.</p>" in reply  # closed by nh3
    assert "corrected invoice" not in reply
    assert "<blockquote><p>Here is the corrected invoice.</p></blockquote>" in folded


def test_a_message_without_quote_or_signature_is_shown_whole(client, agent, case):
    item = store(case, body_text="My parcel has not arrived.\nOrder 1234.")
    assert item.quote_fold == {"text": None, "html": None}
    shown = article(page(client, agent, case), item)
    assert "Show quoted text" not in shown
    assert "My parcel has not arrived.<br>Order 1234." in shown


def test_a_bare_forward_is_not_folded_away(client, agent, case):
    forward = "-----Original Message-----\nFrom: Bob <bob@example.com>\n\nThe whole story."
    store(case, body_text=forward)
    assert "Show quoted text" not in page(client, agent, case).content.decode()


def test_rows_stored_before_are_folded_at_render(client, agent, case):
    """No backfill: an interaction without the stored fold is split on display."""
    item = InteractionFactory(case=case, body_text=REPLY)
    assert item.quote_fold is None
    shown = article(page(client, agent, case), item)
    assert "Show quoted text" in shown
    assert "corrected invoice" not in shown.split("<details")[0]


def test_folding_keeps_customer_text_escaped(client, agent, case):
    item = store(case, body_text="<script>x()</script> ok\n\nOn Mon, Ann wrote:\n> <b>hi</b>")
    shown = article(page(client, agent, case), item)
    assert "<script>" not in shown
    assert "&lt;script&gt;x()&lt;/script&gt; ok" in shown


def test_chat_and_notes_are_never_folded(client, agent, case):
    item = services.interaction_add(
        case_id=case.pk,
        channel="chat",
        direction="in",
        body_text=REPLY,
        author_contact=case.requester,
    )
    assert item.quote_fold is None
    assert "Show quoted text" not in article(page(client, agent, case), item)


# --- the corpus: Zammad's expected bodies mark where the quote or signature starts -------

MARKER = '<span class="js-signatureMarker"></span>'
NOT_FOLDED = {
    # A forward with no text of its own (it opens with the sender's signature): we show a
    # bare forward whole, it is all the message says; Zammad folds it after the signature.
    "zammad/mail/mail036.box",
}


def _marked_samples():
    if not (CORPUS / "index.py").is_file():
        return []
    import importlib.util

    spec = importlib.util.spec_from_file_location("cxdesk_corpus_index", CORPUS / "index.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    samples = []
    for path in module.samples():
        expected = module.load_expected(path)
        if expected and MARKER in str(expected.get("body") or ""):
            samples.append((str(Path(path).relative_to(CORPUS)), Path(path), expected))
    return samples


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text or "")


@pytest.mark.skipif(not (CORPUS / "index.py").is_file(), reason="no shared email corpus")
def test_the_corpus_replies_above_a_quote_are_folded(client, agent, team):
    """Each of the 16 samples stored as ingest stores it (parsed, then interaction_add; not
    through email_receive, which keeps one of the samples sharing a Message-ID)."""
    samples = _marked_samples()
    assert len(samples) == 16
    client.force_login(agent)
    misses = []
    for name, path, expected in samples:
        parsed = parsing.parse_email(path.read_bytes())
        case = CaseFactory(team=team)
        item = store(
            case,
            body_text="" if parsed.text_from_html else parsed.body_text,
            body_html=parsed.body_html,
        )
        fold = item.quote_fold["html" if item.body_html else "text"]
        response = client.get(reverse("case-detail", args=[case.pk]))
        shown = article(response, item)
        if "Show quoted text" not in shown:
            assert fold is None, name
            misses.append(name)
            continue
        # What stays visible is the top of what Zammad calls the reply, never text of the
        # quote (mail-parser-reply may fold a sign-off such as "-Martin" with the signature).
        top = expected["body"].split(MARKER)[0]
        before = _squash(parsing.text_from_html(top) if item.body_html else top)
        reply = shown.split('<details class="quoted">')[0].split("</header>", 1)[1]
        visible = _squash(parsing.text_from_html(reply))
        assert visible, name
        assert before.startswith(visible[:40]), name
        assert len(visible) <= len(before) + 15, name
    assert set(misses) == NOT_FOLDED


def test_the_split_maps_back_onto_the_text_exactly():
    text = "Hi  there,\r\n\r\nall good.\n\n-- \nAnn\nSupport lead"
    n = quoting.reply_length(text)
    head, rest = quoting.split_text(text, n)
    assert head == "Hi  there,\r\n\r\nall good."
    assert "Support lead" in rest


# --- remote images -----------------------------------------------------------------------

PIXEL = '<p>Invoice attached.</p><img src="https://track.example/o.gif?u=ann" alt="logo">'


def test_remote_images_are_blocked_until_asked(client, agent, case):
    item = store(case, body_text="", body_html=PIXEL)
    response = page(client, agent, case)
    shown = article(response, item)
    assert '<img data-src="https://track.example/o.gif?u=ann" alt="logo">' in shown
    assert ' src="https://track.example' not in shown
    assert "1 remote image not loaded" in shown
    assert f'<a href="?images={item.pk}#interaction-{item.pk}">Show images</a>' in shown
    assert "track.example" not in response["Content-Security-Policy"]


def test_show_images_loads_that_message_and_lets_the_csp_allow_its_origin(client, agent, case):
    item = store(case, body_text="", body_html=PIXEL)
    other = store(case, body_text="", body_html='<img src="https://other.example/x.png">')
    response = page(client, agent, case, images=item.pk)
    shown = article(response, item)
    assert '<img src="https://track.example/o.gif?u=ann" alt="logo">' in shown
    assert "Hide images" in shown
    csp = response["Content-Security-Policy"]
    img_src = next(d for d in csp.split(";") if d.strip().startswith("img-src"))
    assert "https://track.example" in img_src
    assert "other.example" not in csp  # the other message stays blocked
    assert '<img data-src="https://other.example/x.png">' in article(response, other)
    assert "script-src 'self'" in csp  # nothing else relaxed


def test_an_image_address_cannot_write_into_the_csp(client, agent, case):
    item = store(
        case,
        body_text="",
        body_html="<img src=\"https://evil.example;script-src 'unsafe-inline'/x.gif\">"
        '<img src="https://ok.example/y.gif">',
    )
    response = page(client, agent, case, images=item.pk)
    csp = response["Content-Security-Policy"]
    assert "unsafe-inline" not in csp
    assert "https://ok.example" in csp


@pytest.mark.parametrize("value", ["abc", "²", "-1", "99999999999999999999999", ""])
def test_an_odd_images_parameter_is_the_page_with_images_blocked(client, agent, case, value):
    item = store(case, body_text="", body_html=PIXEL)
    shown = article(page(client, agent, case, images=value), item)
    assert "Show images" in shown


def test_another_cases_message_id_shows_nothing(client, agent, case, team):
    mine = store(case, body_text="", body_html=PIXEL)
    elsewhere = InteractionFactory(case=CaseFactory(team=team), body_html=PIXEL)
    response = page(client, agent, case, images=elsewhere.pk)
    assert "Show images" in article(response, mine)
    assert "track.example" not in response["Content-Security-Policy"]


def test_only_web_images_are_kept(client, agent, case):
    item = store(
        case,
        body_text="",
        body_html='<img src="javascript:alert(1)"><img src="cid:logo@x"><img data-src="https://x">'
        '<img src="https://ok.example/a.png" onerror="steal()">',
    )
    shown = article(page(client, agent, case, images=item.pk), item)
    assert "javascript:" not in shown
    assert "cid:" not in shown
    assert "onerror" not in shown
    assert 'data-src="https://x"' not in shown  # data-src is ours alone
    assert '<img src="https://ok.example/a.png">' in shown


def test_the_fold_is_not_in_the_integrations_metadata(case):
    item = store(case, body_text=REPLY)
    assert item.quote_fold is not None
    assert "quote_fold" not in item.metadata
