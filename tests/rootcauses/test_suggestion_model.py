"""The suggestion model itself (apps/rootcauses/suggest.py, no database): what it reads of a
text, and what its scores are — the same code for the worker and `rootcause_eval`."""

import numpy as np
import pytest
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.naive_bayes import ComplementNB
from sklearn.pipeline import FeatureUnion, Pipeline
from sklearn.svm import LinearSVC

from apps.rootcauses import suggest

ARRIVAL = [
    "my card hasn't arrived yet",
    "still waiting for my new card to arrive",
    "when will the card I ordered be delivered",
    "card not delivered after 2 weeks",
]
FEE = [
    "why was I charged £2.50 for a transfer",
    "there is a $1 fee on my transfer",
    "I was charged a fee of 3 euros when sending money",
    "what is this 0.99 charge on my transfer",
]
TOPUP = [
    "my top up didn't go through",
    "topping up with my card failed",
    "the top-up was declined",
    "I can't top up my account",
]


@pytest.mark.parametrize(
    ("text", "read"),
    [
        ("I CAN'T log in", "i can not log in"),
        ("it won't work and isn't fixed", "it will not work and is not fixed"),
        ("I’ve been charged", "i have been charged"),
        ("charged £20.50 twice", "charged  currency  number  twice"),
        ("a 1,000 EUR transfer", "a  number   currency  transfer"),
    ],
)
def test_the_text_is_normalised_before_it_is_read(text, read):
    assert suggest.normalise(text) == read


def test_amounts_do_not_tell_causes_apart():
    pipeline = suggest.train(ARRIVAL + FEE + TOPUP, ["a"] * 4 + ["f"] * 4 + ["t"] * 4)

    [[(first, _), *_]] = suggest.top_k(pipeline, ["charged 7.20 GBP for my transfer"], k=3)

    assert first == "f"


def test_scores_are_a_distribution_best_first_and_survive_storage():
    pipeline = suggest.train(ARRIVAL + FEE + TOPUP, ["a"] * 4 + ["f"] * 4 + ["t"] * 4)
    stored = suggest.loads(*suggest.dumps(pipeline))

    [ranked] = suggest.top_k(stored, ["where is my card? not arrived"], k=3)

    labels = [label for label, _ in ranked]
    scores = [score for _, score in ranked]
    assert labels[0] == "a"
    assert sorted(labels) == ["a", "f", "t"]
    assert scores == sorted(scores, reverse=True)
    assert all(0 <= s <= 1 for s in scores)
    assert sum(scores) == pytest.approx(1.0)
    assert ranked == suggest.top_k(pipeline, ["where is my card? not arrived"], k=3)[0]


def test_word_forms_read_as_one_stem():
    assert suggest.stemmed("Charged twice, the charges keep charging") == (
        "charg twice the charg keep charg"
    )
    assert suggest.stemmed("I can't top up £20") == "can not top up currenc number"


def test_the_score_is_the_svms_softmaxed_margins():
    texts, labels = ARRIVAL + FEE + TOPUP, ["a"] * 4 + ["f"] * 4 + ["t"] * 4
    pipeline = suggest.train(texts, labels)
    features = pipeline.named_steps["features"]
    query = features.transform(["card not arrived"])
    svm = LinearSVC(C=0.5).fit(features.transform(texts), labels)

    margins = svm.decision_function(query)[0] * suggest.SCORE_TEMPERATURE
    expected = np.exp(margins - margins.max()) / np.exp(margins - margins.max()).sum()

    assert pipeline.named_steps["classifier"].predict_proba(query)[0] == pytest.approx(
        expected, abs=1e-5
    )


def test_a_model_stored_before_the_stems_still_suggests():
    """What the trainer stored until the stemmed words: normalised words, and the mean of
    the SVM and naive Bayes. The worker must go on using it until the next training."""
    texts, labels = ARRIVAL + FEE + TOPUP, ["a"] * 4 + ["f"] * 4 + ["t"] * 4
    features = FeatureUnion(
        [
            ("words", TfidfVectorizer(ngram_range=(1, 3), preprocessor=suggest.normalise)),
            ("chars", TfidfVectorizer(analyzer="char_wb", ngram_range=(2, 5))),
        ]
    )
    old = Pipeline(
        [("features", features), ("classifier", suggest.SvmNbEnsemble(C=0.5, alpha=0.3))]
    ).fit(texts, labels)
    stored = suggest.loads(*suggest.dumps(old))
    query = old.named_steps["features"].transform(["card not arrived"])
    svm = LinearSVC(C=0.5).fit(old.named_steps["features"].transform(texts), labels)
    nb = ComplementNB(alpha=0.3).fit(old.named_steps["features"].transform(texts), labels)
    margins = svm.decision_function(query)[0] * suggest.SCORE_TEMPERATURE
    softmax = np.exp(margins - margins.max()) / np.exp(margins - margins.max()).sum()

    [ranked] = suggest.top_k(stored, ["card not arrived"], k=3)

    assert ranked[0][0] == "a"
    expected = (softmax + nb.predict_proba(query)[0]) / 2
    assert [score for _, score in ranked] == pytest.approx(sorted(expected, reverse=True), abs=1e-5)
