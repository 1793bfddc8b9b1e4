"""Emerging problems: group the cases no root cause fits into candidate new root causes.

Pure functions over texts (no database): the beat task's run (services.candidates_refresh)
and `manage.py rootcause_candidates_eval` both call `cluster_texts`, so the figures the
evaluation reports are those of the code the product runs.

- Which cases: those without a root cause whose best suggestion scores under
  CXDESK_ROOTCAUSE_CANDIDATE_MAX_SCORE (`is_weak`), or that have no suggestion at all (no
  model yet): what the taxonomy does not explain.
- Features: TF-IDF of words (1–2-grams of the suggestion model's normalised text, English
  stop words out) and of characters within words (3–5-grams), sublinear term frequencies,
  each part L2-normalised and the two weighted equally; then LSA (a truncated SVD to at
  most LSA_DIMENSIONS dimensions, fitted on the pool itself) and L2-normalised again, so a
  dot product is a cosine similarity over topics rather than over exact words.
- Clustering: agglomerative, average linkage on cosine distances, cut at
  CXDESK_ROOTCAUSE_CANDIDATE_DISTANCE (no number of clusters to guess: the pool decides).
  Deterministic for the same texts in the same order. Clusters of fewer than
  CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES cases are left out (noise, or not yet a pattern).
- Each cluster: its members with their cosine similarity to the cluster's centre, its top
  terms (the words whose mean TF-IDF in the cluster most exceeds their mean over the pool)
  and its most central members first (the sample subjects).

Chosen on banking77 (`manage.py rootcause_candidates_eval`, docs/architecture.md): average
linkage on LSA dimensions recovered the removed categories better than Ward or complete
linkage, and better than the raw TF-IDF vectors (which split a cause by its wordings).
With the suggestion model's SVM scores (sharper than the former SVM + naive Bayes mean,
so fewer cases are weak under 0.7) the settings were chosen again on five tuning seeds
(1–5, not the seeds reported): 300 dimensions, a cut at 0.85 and weak under 0.8 — NMI of
the removed-category cases placed 0.774 median, 0.753 worst, 9–10 of 10 removed categories
found; 100 or 200 dimensions, stemmed words, cuts at 0.8 or 0.9, weak under 0.7 or 0.9
were lower or less steady (0.95 merges categories).

The pool is bounded (services: the newest MAX_POOL cases): average linkage keeps a dense
n × n distance matrix (3,000 cases: 72 MB in float64, a few seconds).
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.sparse import hstack  # type: ignore[import-untyped]
from sklearn.cluster import AgglomerativeClustering  # type: ignore[import-untyped]
from sklearn.decomposition import TruncatedSVD  # type: ignore[import-untyped]
from sklearn.feature_extraction.text import TfidfVectorizer  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize  # type: ignore[import-untyped]

from .suggest import normalise

LSA_DIMENSIONS = 300
TOP_TERMS = 8
MAX_POOL = 3000


@dataclass(frozen=True)
class Cluster:
    """Indices into the texts clustered, most central first, with their similarities."""

    members: list[int]
    similarities: list[float]
    top_terms: list[str]
    cohesion: float


def is_weak(best_score: float | None, *, max_score: float) -> bool:
    """A case whose best suggestion is this weak (None: it has none) is a candidate's."""
    return best_score is None or best_score < max_score


def _features(texts: Sequence[str], *, seed: int) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """(LSA vectors, L2-normalised, one row per text; the word TF-IDF matrix; its terms)."""
    words = TfidfVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        sublinear_tf=True,
        stop_words="english",
        min_df=2,
        preprocessor=normalise,
    )
    chars = TfidfVectorizer(analyzer="char_wb", ngram_range=(3, 5), sublinear_tf=True, min_df=2)
    try:
        word_matrix = words.fit_transform(texts)
        terms = list(words.get_feature_names_out())
    except ValueError:  # no word seen twice (a tiny pool): the characters alone
        word_matrix, terms = None, []
    char_matrix = chars.fit_transform(texts)
    parts = [char_matrix] if word_matrix is None else [word_matrix, char_matrix]
    joined = normalize(hstack(parts).tocsr())
    dimensions = min(LSA_DIMENSIONS, joined.shape[1] - 1, len(texts) - 1)
    if dimensions >= 2:
        vectors = TruncatedSVD(n_components=dimensions, random_state=seed).fit_transform(joined)
    else:
        vectors = joined.toarray()
    return normalize(vectors), word_matrix, terms


def _top_terms(word_matrix, terms: list[str], rows: list[int], pool_mean: np.ndarray) -> list[str]:
    if word_matrix is None:
        return []
    lift = np.asarray(word_matrix[rows].mean(axis=0)).ravel() - pool_mean
    best = [j for j in np.argsort(-lift)[: TOP_TERMS * 3] if lift[j] > 0]
    chosen: list[str] = []
    for j in best:  # "card", "card arrive" and "arrive": keep the bigram's words out twice
        term = terms[j]
        if any(term in c.split() or c in term.split() for c in chosen):
            continue
        chosen.append(term)
        if len(chosen) == TOP_TERMS:
            break
    return chosen


def cluster_texts(
    texts: Sequence[str], *, min_cases: int, distance: float, seed: int = 0
) -> list[Cluster]:
    """The clusters of at least `min_cases` texts whose average cosine distance stays under
    `distance` (0–2), largest first; texts in no such cluster are in none."""
    texts = list(texts)
    if len(texts) < max(min_cases, 2):
        return []
    vectors, word_matrix, terms = _features(texts, seed=seed)
    labels = AgglomerativeClustering(
        n_clusters=None, metric="cosine", linkage="average", distance_threshold=distance
    ).fit_predict(vectors)
    pool_mean = (
        np.asarray(word_matrix.mean(axis=0)).ravel() if word_matrix is not None else np.zeros(0)
    )
    clusters = []
    for label in np.unique(labels):
        rows = np.flatnonzero(labels == label)
        if len(rows) < min_cases:
            continue
        centre = vectors[rows].mean(axis=0)
        centre /= np.linalg.norm(centre) or 1.0
        similarity = vectors[rows] @ centre
        order = np.argsort(-similarity, kind="stable")
        members = [int(rows[i]) for i in order]
        clusters.append(
            Cluster(
                members=members,
                similarities=[round(float(similarity[i]), 4) for i in order],
                top_terms=_top_terms(word_matrix, terms, members, pool_mean),
                cohesion=round(float(similarity.mean()), 4),
            )
        )
    clusters.sort(key=lambda c: (-len(c.members), c.members[0]))
    return clusters
