"""`manage.py rootcause_candidates_eval`: trained without some categories, fed their cases,
it scores the candidates found against the true categories (NMI / ARI), through the same
is_weak and cluster_texts the beat task runs."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.rootcauses.candidate_data import CRASH, PARCEL

KNOWN = {
    "card_arrival": [
        "my card has not arrived yet",
        "still waiting for my new card",
        "when will my card be delivered",
        "card not delivered after two weeks",
        "where is my card it never came",
        "how long does card delivery take",
    ],
    "declined": [
        "my card payment was declined",
        "payment declined at the shop",
        "the card was refused when paying",
        "why was my card payment rejected",
        "card payment failed at the restaurant",
        "declined payment in the supermarket",
    ],
    "pin": [
        "how do I change my pin",
        "I forgot my pin number",
        "my pin is blocked",
        "where can I reset my pin",
        "pin locked after three tries",
        "can I choose a new pin",
    ],
}


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.csv"
    rows = [(t, c) for c, texts in KNOWN.items() for t in texts]
    rows += [(t, "crash") for t in CRASH] + [(t, "parcel") for t in PARCEL]
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(rows)
    return path


def test_the_removed_categories_are_recovered_and_scored(labelled):
    out = StringIO()

    call_command(
        "rootcause_candidates_eval",
        "--csv",
        str(labelled),
        "--remove",
        "2",
        "--seed",
        "3",
        "--max-score",
        "1.01",  # every case is weak: the clustering alone is measured
        "--min-cases",
        "4",
        "--json",
        stdout=out,
    )

    figures = json.loads(out.getvalue())
    assert len(figures["removed"]) == 2
    assert figures["fed"]["removed"] == 12
    assert figures["removed_categories_found"] == "2/2"
    assert figures["removed_in_candidates"]["cases"] >= 8
    assert 0 <= figures["removed_cases"]["nmi"] <= 1
    assert figures["removed_in_candidates"]["nmi"] == pytest.approx(1.0)


def test_removing_too_many_categories_is_a_clear_error(labelled):
    with pytest.raises(CommandError, match="--remove"):
        call_command("rootcause_candidates_eval", "--csv", str(labelled), "--remove", "5")
