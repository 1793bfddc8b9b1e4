"""The suggestion model: text of a case in, its most likely root causes out.

Pure functions over texts and labels (no database): the trainer (services.py), the worker's
task and `manage.py rootcause_eval` all call these, so the figures the evaluation reports are
those of the code the product runs.

- Text: `normalise` lower-cases, spells out contractions ("can't" → "can not") and turns
  amounts, numbers and currency signs into tokens ("£20.50" → "currency number"): which
  amount a customer names does not say why they call, that they name one does.
- Features: TF-IDF of words (1–3-grams of the normalised text with each word cut to its
  Snowball stem, `stemmed`: "charged", "charges" → "charg") and of characters within words
  (2–5-grams of the normalised text, seen in two texts at least), sublinear term
  frequencies — the characters catch misspellings ("recieved"), the words the phrases.
- Classifier: a linear SVM (`SoftmaxSvm`: one-vs-rest LinearSVC, C=0.5, its margins turned
  into a distribution by a softmax × SCORE_TEMPERATURE).
- Scores: they sum to 1 over the root causes and lie in 0–1; they are not calibrated
  probabilities.
- Chosen by 5-fold cross-validation inside the training part of `rootcause_eval`'s split
  (banking77, seed 77; the held-out part untouched): the stems add 0.3 point of top-1 and
  0.2 of top-3 to the same features without them; the complement naive Bayes member of
  the earlier ensemble (`SvmNbEnsemble`, kept to read the models it stored) added nothing
  there at any weight or temperature tried, nor did C, n-gram ranges, min_df, a
  Crammer–Singer SVM or SGD (modified Huber). docs/architecture.md has the figures.
- Storage: `dumps` pickles and compresses the fitted pipeline and signs it with an HMAC
  under the SECRET_KEY; `loads` refuses a blob whose signature does not match before
  unpickling it (unpickling runs code: only what our trainer wrote is ever loaded).
"""

import functools
import pickle
import re
import zlib
from collections.abc import Sequence
from typing import Any

import numpy as np
import snowballstemmer  # type: ignore[import-untyped]
from django.utils.crypto import constant_time_compare, salted_hmac
from sklearn.base import BaseEstimator, ClassifierMixin  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.naive_bayes import ComplementNB  # type: ignore[import-untyped]
from sklearn.pipeline import FeatureUnion, Pipeline  # type: ignore[import-untyped]
from sklearn.svm import LinearSVC  # type: ignore[import-untyped]

ALGORITHM = (
    "normalised text; tfidf snowball-stemmed word 1-3 + char_wb 2-5 → LinearSVC (C=0.5) softmax × 5"
)
SCORE_TEMPERATURE = 5.0
MAX_TEXT_CHARS = 4000
_SIGNING_SALT = "cxdesk.rootcauses.suggestion-model"


class ModelRefused(Exception):
    """A stored model whose signature does not match: never unpickled."""


def case_text(subject: str, first_message: str) -> str:
    """What the model reads of a case: its subject and its customer's first message."""
    return f"{subject or ''}\n{first_message or ''}".strip()[:MAX_TEXT_CHARS]


_CONTRACTIONS = [
    (re.compile(r"\bcan'?t\b"), "can not"),
    (re.compile(r"\bwon'?t\b"), "will not"),
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'d\b"), " would"),
]
_CURRENCY = re.compile(r"[£$€¥₹]|\b(?:gbp|usd|eur|euros?|pounds?|dollars?)\b")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")


def normalise(text: str) -> str:
    """Lower case, contractions spelt out, currencies and numbers as tokens."""
    text = text.lower().replace("\u2019", "'")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    text = _CURRENCY.sub(" currency ", text)
    return _NUMBER.sub(" number ", text)


_STEMMER = snowballstemmer.stemmer("english")
_WORD = re.compile(r"(?u)\b\w\w+\b")  # TfidfVectorizer's own token pattern


@functools.lru_cache(maxsize=100_000)
def _stem(word: str) -> str:
    return _STEMMER.stemWord(word)


def stemmed(text: str) -> str:
    """`normalise`d, each word cut to its Snowball (Porter 2) stem: "charged", "charges"
    and "charging" read as "charg"."""
    return " ".join(_stem(word) for word in _WORD.findall(normalise(text)))


def _softmax(scores: np.ndarray) -> np.ndarray:
    scores = scores - scores.max(axis=1, keepdims=True)
    exp = np.exp(scores)
    return exp / exp.sum(axis=1, keepdims=True)


class SoftmaxSvm(ClassifierMixin, BaseEstimator):
    """A one-vs-rest LinearSVC whose margins × `temperature` are softmaxed into scores."""

    def __init__(self, C: float = 0.5, temperature: float = 5.0):
        self.C = C
        self.temperature = temperature

    def fit(self, X, y):
        svm = LinearSVC(C=self.C).fit(X, y)
        self.classes_ = svm.classes_
        # Only the linear part is kept, as (features × causes) float32 in row order: a
        # suggestion is one sparse row times it. sklearn's own predict paths would copy
        # the transposed weights (77 × 70,000) on every call — 40 ms of one suggestion.
        self.svm_weights_ = np.ascontiguousarray(svm.coef_.T, dtype=np.float32)
        self.svm_intercept_ = np.asarray(svm.intercept_, dtype=np.float64)
        return self

    @property
    def coef_(self) -> np.ndarray:
        return self.svm_weights_.T

    def svm_scores(self, X) -> np.ndarray:
        """The SVM's softmaxed margins (× temperature)."""
        X = X.astype(np.float32)
        margins = np.asarray(X @ self.svm_weights_, dtype=np.float64) + self.svm_intercept_
        if margins.shape[1] == 1:  # two classes: one margin, for the second
            margins = np.column_stack([-margins[:, 0], margins[:, 0]])
        return _softmax(margins * self.temperature)

    def predict_proba(self, X) -> np.ndarray:
        return self.svm_scores(X)

    def predict(self, X) -> np.ndarray:
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


class SvmNbEnsemble(SoftmaxSvm):
    """The models stored before the stemmed words (algorithm "… mean of LinearSVC (C=0.5)
    softmax and ComplementNB …"): the mean of the SVM's scores and a ComplementNB's
    probabilities. Kept so that such a stored model still loads and suggests until the
    next training replaces it; the trainer no longer builds it."""

    def __init__(self, C: float = 0.5, alpha: float = 0.3, temperature: float = 5.0):
        super().__init__(C=C, temperature=temperature)
        self.alpha = alpha

    def fit(self, X, y):
        super().fit(X, y)
        nb = ComplementNB(alpha=self.alpha).fit(X, y)
        self.nb_weights_ = np.ascontiguousarray(nb.feature_log_prob_.T, dtype=np.float32)
        return self

    def nb_scores(self, X) -> np.ndarray:
        """Complement naive Bayes's probabilities (its class prior plays no part)."""
        return _softmax(np.asarray(X.astype(np.float32) @ self.nb_weights_, dtype=np.float64))

    def predict_proba(self, X) -> np.ndarray:
        return (self.svm_scores(X) + self.nb_scores(X)) / 2


def build_pipeline() -> Pipeline:
    return Pipeline(
        [
            (
                "features",
                FeatureUnion(
                    [
                        (
                            "words",
                            TfidfVectorizer(
                                analyzer="word",
                                ngram_range=(1, 3),
                                sublinear_tf=True,
                                preprocessor=stemmed,
                            ),
                        ),
                        (
                            "chars",
                            TfidfVectorizer(
                                analyzer="char_wb",
                                ngram_range=(2, 5),
                                sublinear_tf=True,
                                min_df=2,
                                preprocessor=normalise,
                            ),
                        ),
                    ]
                ),
            ),
            ("classifier", SoftmaxSvm(C=0.5, temperature=SCORE_TEMPERATURE)),
        ]
    )


def train(texts: Sequence[str], labels: Sequence[Any]) -> Pipeline:
    """A fitted pipeline; `labels` are the root causes' ids (two distinct ones at least)."""
    if len(set(labels)) < 2:
        raise ValueError("training needs cases of two root causes at least")
    pipeline = build_pipeline()
    pipeline.fit(list(texts), list(labels))
    return pipeline


def _scores(pipeline: Pipeline, texts: Sequence[str]) -> np.ndarray:
    return np.asarray(pipeline.predict_proba(list(texts)), dtype=np.float64)


def top_k(pipeline: Pipeline, texts: Sequence[str], k: int = 3) -> list[list[tuple[Any, float]]]:
    """For each text, its `k` most likely labels with their scores (0–1), best first."""
    if not texts:
        return []
    scores = _scores(pipeline, texts)
    classes = pipeline.classes_
    best = np.argsort(-scores, axis=1)[:, :k]
    return [[(classes[j].item(), float(scores[i, j])) for j in row] for i, row in enumerate(best)]


def _signature(blob: bytes) -> str:
    return salted_hmac(_SIGNING_SALT, blob, algorithm="sha256").hexdigest()


def dumps(pipeline: Pipeline) -> tuple[bytes, str]:
    """(blob, signature) to store."""
    blob = zlib.compress(pickle.dumps(pipeline, protocol=pickle.HIGHEST_PROTOCOL), 3)
    return blob, _signature(blob)


def loads(blob: bytes, signature: str) -> Pipeline:
    """The pipeline `dumps` wrote; ModelRefused (nothing unpickled) for any other blob."""
    blob = bytes(blob)
    if not constant_time_compare(_signature(blob), signature or ""):
        raise ModelRefused("the stored model's signature does not match: not loaded")
    return pickle.loads(zlib.decompress(blob))  # noqa: S301 — signed by us, checked above
