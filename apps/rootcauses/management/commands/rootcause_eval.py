"""`manage.py rootcause_eval`: how accurate the suggestions are, on labelled texts.

    manage.py rootcause_eval --csv ../shared/datasets/banking77/train.csv \\
        --text-column text --label-column category --holdout 0.2 [--seed 77] [--json]

Splits the file into a training part and a held-out part (stratified by label, with a fixed
seed), trains on the first through the product's own code (apps/rootcauses/suggest.py:
`train`, then `dumps` / `loads` as the worker reads a stored model), and reports on the
held-out part top-1 and top-3 accuracy, the training time and the time of one suggestion
(one text at a time, as the worker's task computes them). `--test-csv` also scores a
separate file with the same columns. Writes nothing to the database.
"""

import csv
import json
import random
import time
from collections import defaultdict
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.rootcauses import suggest

LATENCY_SAMPLE = 200


def _read(path: str, text_column: str, label_column: str) -> tuple[list[str], list[str]]:
    file = Path(path)
    if not file.is_file():
        raise CommandError(f"{path}: no such file")
    with file.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {text_column, label_column} - set(reader.fieldnames or [])
        if missing:
            raise CommandError(
                f"{path} has no column {', '.join(sorted(missing))} "
                f"(its columns: {', '.join(reader.fieldnames or [])})"
            )
        rows = [(r[text_column] or "", r[label_column] or "") for r in reader]
    rows = [(text, label) for text, label in rows if text.strip() and label.strip()]
    return [t for t, _ in rows], [label for _, label in rows]


def split(labels: list[str], *, holdout: float, seed: int) -> tuple[list[int], list[int]]:
    """Row indices (train, held out): `holdout` of each label's rows, at least one, are held
    out when the label has two rows or more; shuffled with `seed`."""
    by_label: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(labels):
        by_label[label].append(index)
    rng = random.Random(seed)
    train, held = [], []
    for label in sorted(by_label):
        indices = by_label[label]
        rng.shuffle(indices)
        n = max(1, round(len(indices) * holdout)) if len(indices) > 1 else 0
        held += indices[:n]
        train += indices[n:]
    return sorted(train), sorted(held)


def score(pipeline, texts: list[str], labels: list[str]) -> dict:
    ranked = suggest.top_k(pipeline, texts, k=3)
    top1 = sum(r[0][0] == label for r, label in zip(ranked, labels, strict=True))
    top3 = sum(label in [c for c, _ in r] for r, label in zip(ranked, labels, strict=True))
    n = len(labels)
    return {"cases": n, "top1": top1 / n if n else 0.0, "top3": top3 / n if n else 0.0}


class Command(BaseCommand):
    help = "Train on part of a labelled CSV and report top-1 / top-3 accuracy on the rest."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--csv", required=True, help="The labelled texts")
        parser.add_argument("--text-column", default="text")
        parser.add_argument("--label-column", default="category")
        parser.add_argument(
            "--holdout", type=float, default=0.2, help="Share held out per label (0–1)"
        )
        parser.add_argument("--seed", type=int, default=77, help="Seed of the split")
        parser.add_argument("--test-csv", help="Also score this file (same columns)")
        parser.add_argument("--json", action="store_true", help="Print the figures as JSON")

    def handle(self, *args, **options) -> None:
        holdout = options["holdout"]
        if not 0 < holdout < 1:
            raise CommandError("--holdout is a share between 0 and 1, e.g. 0.2")
        texts, labels = _read(options["csv"], options["text_column"], options["label_column"])
        train_rows, held_rows = split(labels, holdout=holdout, seed=options["seed"])
        if len({labels[i] for i in train_rows}) < 2 or not held_rows:
            raise CommandError("too few rows: need two labels and something to hold out")

        started = time.perf_counter()
        fitted = suggest.train([texts[i] for i in train_rows], [labels[i] for i in train_rows])
        train_seconds = time.perf_counter() - started
        blob, signature = suggest.dumps(fitted)
        pipeline = suggest.loads(blob, signature)  # as the worker gets it

        held_texts = [texts[i] for i in held_rows]
        figures = {
            "csv": options["csv"],
            "seed": options["seed"],
            "holdout": holdout,
            "labels": len(set(labels)),
            "train_cases": len(train_rows),
            "train_seconds": round(train_seconds, 2),
            "stored_bytes": len(blob),
            "algorithm": suggest.ALGORITHM,
            "held_out": score(pipeline, held_texts, [labels[i] for i in held_rows]),
        }
        sample = held_texts[:LATENCY_SAMPLE]
        started = time.perf_counter()
        for text in sample:
            suggest.top_k(pipeline, [text], k=3)
        figures["ms_per_suggestion"] = round(
            (time.perf_counter() - started) * 1000 / max(len(sample), 1), 2
        )
        if options["test_csv"]:
            test_texts, test_labels = _read(
                options["test_csv"], options["text_column"], options["label_column"]
            )
            figures["test"] = score(pipeline, test_texts, test_labels)

        if options["json"]:
            self.stdout.write(json.dumps(figures, indent=2))
            return
        held = figures["held_out"]
        self.stdout.write(
            f"{figures['labels']} labels; trained on {figures['train_cases']} rows in "
            f"{figures['train_seconds']} s (seed {figures['seed']}, {holdout:.0%} held out "
            f"per label)\n"
            f"held out: {held['cases']} rows, top-1 {held['top1']:.2%}, top-3 "
            f"{held['top3']:.2%}\n"
            f"one suggestion: {figures['ms_per_suggestion']} ms; stored model "
            f"{figures['stored_bytes'] / 1e6:.1f} MB"
        )
        if "test" in figures:
            test = figures["test"]
            self.stdout.write(
                f"test file: {test['cases']} rows, top-1 {test['top1']:.2%}, top-3 "
                f"{test['top3']:.2%}"
            )
