"""Out-of-office subjects, in the languages autoresponders write them, mark an auto-reply;
only at the start of the decoded subject, so a customer writing about them is a customer."""

import pytest

from apps.mail.parsing import OUT_OF_OFFICE_SUBJECTS, parse_email, subject_is_out_of_office

PHRASES = sorted(
    {
        (language, phrase)
        for language, phrases in OUT_OF_OFFICE_SUBJECTS.items()
        for phrase in phrases
    }
)


@pytest.mark.parametrize(
    ("language", "phrase"), PHRASES, ids=[f"{lang}-{p}" for lang, p in PHRASES]
)
def test_every_listed_phrase_at_the_start_is_an_out_of_office_subject(language, phrase):
    subject = f"{phrase} Re: Invoice" if phrase.endswith(":") else f"{phrase}: Re: Invoice"

    assert subject_is_out_of_office(subject)
    assert subject_is_out_of_office(f"RE: {subject.upper()}")


@pytest.mark.parametrize(
    "subject",
    [
        "Automatyczna odpowiedź: Faktura",  # Polish, as Outlook writes it
        "=?UTF-8?Q?Automatyczna_odpowied=C5=BA:_Faktura?=",
        "=?iso-8859-2?Q?Automatyczna_odpowied=BC=3A_Faktura?=",
        "Abwesenheitsnotiz: Rechnung",
        "Automatische Antwort: AW: Rechnung",
        "Réponse automatique : facture",
        "Absence : facture",
        "Respuesta automática: factura",
        "Respuesta automatica: factura",  # without its accent
        "Automatisch antwoord: factuur",
        "Risposta automatica: fattura",
        "Resposta automática: fatura",
        "Out of Office: Invoice",
        "Auto-Reply: Invoice",
        "Odp: Automatyczna odpowiedź: Faktura",
        "自動応答: 請求書",
        "自动回复：发票",
        "R\u0065\u0301ponse automatique : facture",  # decomposed é (macOS)
    ],
)
def test_out_of_office_subjects_of_real_autoresponders_are_auto_replies(subject):
    parsed = parse_email(f"From: a@example.com\nSubject: {subject}\n\nx".encode())

    assert parsed.is_auto_reply
    assert parsed.noise_reasons == ["out-of-office subject"]


@pytest.mark.parametrize(
    "subject",
    [
        "Re: my automatic reply setting is broken",
        "Your automatic reply told me nothing",
        "Why did I get an Automatische Antwort?",
        "I am out of money, refund please",
        "Re: my order is out of stock",
        "Automatically charged twice",
        "Autoreplying is broken",
        "Vacation booking cancelled",
        "Absence of a refund",
        "Fuera de servicio",
        "",
    ],
)
def test_a_customer_writing_about_auto_replies_is_a_customer(subject):
    parsed = parse_email(f"From: a@example.com\nSubject: {subject}\n\nx".encode())

    assert not parsed.is_noise
    assert not subject_is_out_of_office(subject)
