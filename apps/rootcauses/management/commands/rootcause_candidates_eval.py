"""`manage.py rootcause_candidates_eval`: do the candidates find the causes the taxonomy lacks?

    manage.py rootcause_candidates_eval --csv ../shared/datasets/banking77/train.csv \\
        --text-column text --label-column category [--remove 10] [--seed 77] [--json]

Removes `--remove` categories (a seeded choice) from the file, trains the suggestion model on
the training part of the others (the split of `rootcause_eval`, same seed), then feeds the
cases of the removed categories (`--per-category` of each, from the whole file: the model
never saw them) and `--known` held-out cases of the known ones. The product's own code
decides which are weak (`candidates.is_weak` on `suggest.top_k`'s best score, as stored by
the worker) and clusters them (`candidates.cluster_texts`), with the CXDESK_ROOTCAUSE_
CANDIDATE_* settings unless overridden. Reports, against the true categories:

- over the cases placed in a candidate: NMI and ARI (sklearn.metrics), and purity;
- over the removed-category cases placed in a candidate: NMI and ARI;
- over every removed-category case fed: NMI and ARI, the cases in no candidate counted as
  one more cluster ("none");
- how many removed categories got a candidate (one whose majority is that category);
- how many known-category cases were weak, and how many of those landed in a candidate.

Writes nothing to the database.
"""

import json
import random
import time
from collections import Counter

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from sklearn.metrics import (  # type: ignore[import-untyped]
    adjusted_rand_score,
    normalized_mutual_info_score,
)

from apps.rootcauses import candidates, suggest

from .rootcause_eval import _read, split


def _scores(truth: list[str], found: list[int]) -> dict:
    if not truth:
        return {"cases": 0, "nmi": 0.0, "ari": 0.0}
    return {
        "cases": len(truth),
        "nmi": round(float(normalized_mutual_info_score(truth, found)), 4),
        "ari": round(float(adjusted_rand_score(truth, found)), 4),
    }


class Command(BaseCommand):
    help = "Train without some categories, feed their cases, and score the candidates found."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, help="The labelled texts")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="category")
        parser.add_argument("--remove", type=int, default=10, help="Categories to remove")
        parser.add_argument("--per-category", type=int, default=40, help="Cases fed of each")
        parser.add_argument("--known", type=int, default=400, help="Known-category cases fed")
        parser.add_argument("--seed", type=int, default=77)
        parser.add_argument("--max-score", type=float, default=None)
        parser.add_argument("--min-cases", type=int, default=None)
        parser.add_argument("--distance", type=float, default=None)
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON")

    def handle(self, *args, **options) -> None:
        max_score = options["max_score"]
        if max_score is None:
            max_score = settings.CXDESK_ROOTCAUSE_CANDIDATE_MAX_SCORE
        min_cases = options["min_cases"] or settings.CXDESK_ROOTCAUSE_CANDIDATE_MIN_CASES
        distance = options["distance"] or settings.CXDESK_ROOTCAUSE_CANDIDATE_DISTANCE
        texts, labels = _read(options["csv"], options["text_column"], options["label_column"])
        categories = sorted(set(labels))
        if not 0 < options["remove"] < len(categories) - 1:
            raise CommandError(f"--remove: between 1 and {len(categories) - 2} categories")
        rng = random.Random(options["seed"])
        removed = set(rng.sample(categories, options["remove"]))

        train_rows, held_rows = split(labels, holdout=0.2, seed=options["seed"])
        train_rows = [i for i in train_rows if labels[i] not in removed]
        started = time.perf_counter()
        fitted = suggest.train([texts[i] for i in train_rows], [labels[i] for i in train_rows])
        train_seconds = time.perf_counter() - started
        pipeline = suggest.loads(*suggest.dumps(fitted))  # as the worker gets it

        fed: list[int] = []
        for category in sorted(removed):
            rows = [i for i, label in enumerate(labels) if label == category]
            fed += rng.sample(rows, min(options["per_category"], len(rows)))
        known_rows = [i for i in held_rows if labels[i] not in removed]
        fed += rng.sample(known_rows, min(options["known"], len(known_rows)))

        best = [r[0][1] for r in suggest.top_k(pipeline, [texts[i] for i in fed], k=1)]
        pool = [
            i
            for i, score in zip(fed, best, strict=True)
            if candidates.is_weak(score, max_score=max_score)
        ]
        started = time.perf_counter()
        clusters = candidates.cluster_texts(
            [texts[i] for i in pool], min_cases=min_cases, distance=distance, seed=options["seed"]
        )
        cluster_seconds = time.perf_counter() - started
        placed = {pool[m]: n for n, c in enumerate(clusters) for m in c.members}

        in_candidates = sorted(placed)
        removed_fed = [i for i in fed if labels[i] in removed]
        got = set()
        for c in clusters:
            majority, _ = Counter(labels[pool[m]] for m in c.members).most_common(1)[0]
            if majority in removed:
                got.add(majority)
        purity = sum(
            Counter(labels[pool[m]] for m in c.members).most_common(1)[0][1] for c in clusters
        ) / max(len(in_candidates), 1)
        known_weak = [i for i in pool if labels[i] not in removed]
        figures = {
            "csv": options["csv"],
            "seed": options["seed"],
            "removed": sorted(removed),
            "settings": {"max_score": max_score, "min_cases": min_cases, "distance": distance},
            "train_cases": len(train_rows),
            "train_seconds": round(train_seconds, 2),
            "fed": {"removed": len(removed_fed), "known": len(fed) - len(removed_fed)},
            "weak": {
                "removed": len(pool) - len(known_weak),
                "known": len(known_weak),
                "known_in_candidates": sum(1 for i in known_weak if i in placed),
            },
            "candidates": len(clusters),
            "cluster_seconds": round(cluster_seconds, 2),
            "in_candidates": {
                **_scores([labels[i] for i in in_candidates], [placed[i] for i in in_candidates]),
                "purity": round(purity, 4),
            },
            "removed_in_candidates": _scores(
                [labels[i] for i in removed_fed if i in placed],
                [placed[i] for i in removed_fed if i in placed],
            ),
            "removed_cases": _scores(
                [labels[i] for i in removed_fed], [placed.get(i, -1) for i in removed_fed]
            ),
            "removed_categories_found": f"{len(got)}/{len(removed)}",
            "clusters": [
                {
                    "size": len(c.members),
                    "top_terms": c.top_terms[:5],
                    "labels": dict(Counter(labels[pool[m]] for m in c.members).most_common(3)),
                }
                for c in clusters
            ],
        }
        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        placed_f, removed_f = figures["in_candidates"], figures["removed_cases"]
        self.stdout.write(
            f"removed {len(removed)} of {len(categories)} categories (seed {options['seed']}); "
            f"trained on {len(train_rows)} rows in {figures['train_seconds']} s\n"
            f"fed {len(removed_fed)} removed-category cases and {len(fed) - len(removed_fed)} "
            f"known; weak (best score < {max_score}): {figures['weak']['removed']} removed, "
            f"{len(known_weak)} known ({figures['weak']['known_in_candidates']} of those in a "
            f"candidate)\n"
            f"{len(clusters)} candidates (min {min_cases} cases, distance {distance}) in "
            f"{figures['cluster_seconds']} s\n"
            f"in candidates: {placed_f['cases']} cases, NMI {placed_f['nmi']:.3f}, "
            f"ARI {placed_f['ari']:.3f}, purity {placed_f['purity']:.3f}\n"
            f"removed-category cases in candidates: {figures['removed_in_candidates']['cases']}, "
            f"NMI {figures['removed_in_candidates']['nmi']:.3f}, "
            f"ARI {figures['removed_in_candidates']['ari']:.3f}\n"
            f"all removed-category cases (none = one cluster): NMI {removed_f['nmi']:.3f}, "
            f"ARI {removed_f['ari']:.3f}\n"
            f"removed categories with a candidate: {figures['removed_categories_found']}"
        )
        for c in figures["clusters"]:
            self.stdout.write(f"  {c['size']:4d}  {', '.join(c['top_terms'])}  {c['labels']}")
