"""Our reply drops every reply/forward prefix the parser knows, in any language: one list."""

import pytest

from apps.cases.models import Case
from apps.mail import outbound
from apps.mail.parsing import REPLY_PREFIXES
from apps.mail.references import subject_tag

TOKEN = f"[CX-000042-{subject_tag(42)}]"


@pytest.mark.parametrize("prefix", REPLY_PREFIXES)
def test_each_known_prefix_is_dropped_from_the_reply_subject(prefix):
    case = Case(pk=42, subject=f"{prefix.upper()}: Pedido duplicado")
    assert outbound.reply_subject(case) == f"Re: Pedido duplicado {TOKEN}"


@pytest.mark.parametrize(
    ("subject", "expected"),
    [
        ("RV: Fwd: Odp: Pedido", "Re: Pedido"),
        ("回复：订单", "Re: 订单"),  # a full-width colon
        ("Research: results", "Re: Research: results"),  # a word, not a prefix
        ("Rental car", "Re: Rental car"),
    ],
)
def test_stacked_prefixes_go_and_words_stay(subject, expected):
    case = Case(pk=42, subject=subject)
    assert outbound.reply_subject(case) == f"{expected} {TOKEN}"
