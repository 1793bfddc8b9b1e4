"""`manage.py rootcause_eval` on a small labelled CSV, and `manage.py rootcause_train`."""

import csv
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from apps.rootcauses.management.commands.rootcause_eval import split
from apps.rootcauses.models import SuggestionModel
from tests.factories import CaseFactory, InteractionFactory

from .test_suggestions import ARRIVAL, PAYMENT

ROWS = [(t, "card_arrival") for t in ARRIVAL * 2] + [(t, "card_payment") for t in PAYMENT * 2]


@pytest.fixture
def labelled(tmp_path):
    path = tmp_path / "labelled.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "category"])
        writer.writerows(ROWS)
    return path


def _eval(*args):
    out = StringIO()
    call_command("rootcause_eval", *args, stdout=out)
    return out.getvalue()


def test_eval_reports_top1_and_top3_on_the_held_out_part(labelled):
    figures = json.loads(
        _eval(
            "--csv",
            str(labelled),
            "--text-column",
            "text",
            "--label-column",
            "category",
            "--holdout",
            "0.25",
            "--json",
        )
    )

    held = figures["held_out"]
    assert figures["labels"] == 2
    assert (figures["train_cases"], held["cases"]) == (18, 6)
    assert held["top3"] == 1.0  # two labels: both are in the top 3
    assert 0 <= held["top1"] <= 1
    assert figures["ms_per_suggestion"] > 0


def test_eval_prints_a_readable_summary(labelled):
    assert "top-1" in _eval("--csv", str(labelled), "--holdout", "0.25")


def test_the_split_is_stratified_and_fixed_by_the_seed():
    labels = ["a"] * 10 + ["b"] * 5 + ["c"]
    train, held = split(labels, holdout=0.2, seed=7)
    assert sorted(train + held) == list(range(16))
    assert [labels[i] for i in held].count("a") == 2
    assert [labels[i] for i in held].count("b") == 1
    assert "c" not in [labels[i] for i in held]  # one row: kept for training
    assert split(labels, holdout=0.2, seed=7) == (train, held)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--csv", "/nonexistent.csv"], "no such file"),
        (["--label-column", "intent"], "no column intent"),
        (["--holdout", "1.5"], "between 0 and 1"),
    ],
)
def test_eval_bad_arguments_are_clear_errors(labelled, args, message):
    if "--csv" not in args:
        args = ["--csv", str(labelled), *args]
    with pytest.raises(CommandError, match=message):
        _eval(*args)


@pytest.mark.django_db
def test_train_command_stores_a_model(team, card_arrival, card_payment):
    for text, cause in [(t, card_arrival) for t in ARRIVAL] + [(t, card_payment) for t in PAYMENT]:
        InteractionFactory(case=CaseFactory(team=team, root_cause=cause), body_text=text)
    out = StringIO()

    call_command("rootcause_train", "--min-cases", "5", stdout=out)

    assert "Model v1: 12 cases, 2 root causes" in out.getvalue()
    assert SuggestionModel.objects.count() == 1


@pytest.mark.django_db
def test_train_command_without_enough_cases_says_so():
    out = StringIO()
    call_command("rootcause_train", stdout=out)
    assert "no model trained" in out.getvalue()
    assert not SuggestionModel.objects.exists()
