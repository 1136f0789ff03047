"""Measure the NLU models: sentiment on labelled rows, intents by cross-validation and OOS checks.

Run ``python -m services.nlu.evaluate --tweeteval DIR`` for the figures in one go. The data sets are
read only here, never at run time.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.nlu._calibration import expected_calibration_error, logits_of, softmax
from services.nlu._encoder import SentenceEncoder
from services.nlu._pipeline import build_classifier, build_features
from services.nlu.intent_data import OOS, load_examples, split_oos
from services.nlu.intent_model import IntentModel
from services.nlu.intent_model import load_default as load_default_intents
from services.nlu.sentiment_model import SentimentScorer, load_default
from services.nlu.settings import Backend

SENTIMENT_LABELS = ("negative", "neutral", "positive")


def evaluate_sentiment(model: SentimentScorer, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Score (text, label) rows and return accuracy, macro recall and per-class figures."""
    texts = [text for text, _ in rows]
    gold = [label for _, label in rows]
    predicted = [result.label for result in model.score_batch(texts)]
    return classification_report(gold, predicted, SENTIMENT_LABELS)


def classification_report(
    gold: Sequence[str], predicted: Sequence[str], labels: Sequence[str]
) -> dict[str, Any]:
    """Return accuracy, macro recall, macro F1 and per-class precision, recall and support."""
    gold_a = np.asarray(gold)
    pred_a = np.asarray(predicted)
    per_class: dict[str, dict[str, float]] = {}
    for label in labels:
        tp = float(np.sum((pred_a == label) & (gold_a == label)))
        n_pred = float(np.sum(pred_a == label))
        n_gold = float(np.sum(gold_a == label))
        precision = tp / n_pred if n_pred else 0.0
        recall = tp / n_gold if n_gold else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
            "support": int(n_gold),
        }
    return {
        "n": len(gold),
        "accuracy": round(float(np.mean(gold_a == pred_a)) if len(gold) else 0.0, 4),
        "macro_recall": round(float(np.mean([c["recall"] for c in per_class.values()])), 4),
        "macro_f1": round(float(np.mean([c["f1"] for c in per_class.values()])), 4),
        "per_class": per_class,
    }


def load_tweeteval(directory: Path | str, split: str = "val") -> list[tuple[str, str]]:
    """Read TweetEval sentiment `{split}_text.txt` and `{split}_labels.txt` via mapping.txt."""
    path = Path(directory)
    mapping = {}
    for line in (path / "mapping.txt").read_text(encoding="utf-8").splitlines():
        if line.strip():
            key, name = line.split("\t")
            mapping[key.strip()] = name.strip()
    texts = (path / f"{split}_text.txt").read_text(encoding="utf-8").splitlines()
    labels = (path / f"{split}_labels.txt").read_text(encoding="utf-8").splitlines()
    if len(texts) != len(labels):
        raise ValueError(f"{path}: {len(texts)} texts but {len(labels)} labels")
    return [(text, mapping[label.strip()]) for text, label in zip(texts, labels, strict=True)]


def evaluate_intents(model: IntentModel, rows: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """Score labelled rows (``oos`` marks out-of-scope) as the model predicts them.

    ``accuracy`` and ``macro_f1`` compare the served intent (``oos`` when rejected) with the
    gold label; ``closed_set_accuracy`` ignores the threshold and scores the top intent on the
    in-scope rows, the usual figure for closed benchmarks such as BANKING77. Where the data has
    ``oos`` rows: ``in_scope_accuracy`` (in-scope rows given the right intent and accepted),
    ``oos_precision`` and ``oos_recall`` (of the rejections).
    """
    texts = [text for text, _ in rows]
    gold = [label for _, label in rows]
    predictions = model.predict_batch(texts)
    served = [p.intent for p in predictions]
    labels = sorted(set(gold) | ({OOS} if OOS in gold else set()))
    report = classification_report(gold, served, labels)
    in_rows = [(p, g) for p, g in zip(predictions, gold, strict=True) if g != OOS]
    if in_rows:
        report["closed_set_accuracy"] = round(
            float(np.mean([p.alternatives[0][0] == g for p, g in in_rows])), 4
        )
    if OOS in gold:
        rejected = [not p.in_scope for p in predictions]
        is_oos = [g == OOS for g in gold]
        true_rejections = sum(r and o for r, o in zip(rejected, is_oos, strict=True))
        report["in_scope_accuracy"] = round(
            float(np.mean([p.in_scope and p.intent == g for p, g in in_rows])) if in_rows else 0.0,
            4,
        )
        report["oos_precision"] = round(true_rejections / max(1, sum(rejected)), 4)
        report["oos_recall"] = round(true_rejections / max(1, sum(is_oos)), 4)
    report["model_version"] = model.version
    report["threshold"] = model.threshold
    return report


def load_labelled(path: Path | str) -> list[tuple[str, str]]:
    """Read (text, label) rows from CSV (``text`` and ``label`` or ``category`` columns) or YAML."""
    source = Path(path)
    if source.suffix.lower() in {".yaml", ".yml"}:
        return load_examples(source)
    with source.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields = [name.strip().lower() for name in reader.fieldnames or []]
        label_field = next((f for f in ("label", "intent", "category") if f in fields), None)
        if "text" not in fields or label_field is None:
            raise ValueError(f"{source}: expected a header with text and label columns")
        rows: list[tuple[str, str]] = []
        for record in reader:
            row = {key.strip().lower(): value for key, value in record.items() if key}
            text, label = (row.get("text") or "").strip(), (row.get(label_field) or "").strip()
            if text and label:
                rows.append((text, label))
    if not rows:
        raise ValueError(f"{source}: no labelled rows")
    return rows


def cross_validate_intents(
    examples: Sequence[tuple[str, str]],
    *,
    folds: int = 5,
    seed: int = 0,
    backend: Backend = "fast",
    encoder: SentenceEncoder | None = None,
) -> dict[str, Any]:
    """Stratified k-fold accuracy of the intent pipeline, with calibration (ECE) of confidences.

    Features are fitted on each fold's training rows only, then the classifier.
    """
    texts, labels, _ = split_oos(examples)
    label_a = np.asarray(labels)
    text_a = np.asarray(texts, dtype=object)
    rng = np.random.default_rng(seed)
    fold_of = np.empty(len(labels), dtype=int)
    for label in np.unique(label_a):
        idx = rng.permutation(np.flatnonzero(label_a == label))
        fold_of[idx] = np.arange(idx.size) % folds
    predicted = np.empty(len(labels), dtype=object)
    confidence = np.empty(len(labels))
    for fold in range(folds):
        train, test = fold_of != fold, fold_of == fold
        features = build_features(backend, encoder)
        matrix = features.fit_transform(list(text_a[train]))
        classifier = build_classifier(seed, features.groups()).fit(matrix, label_a[train])
        proba = softmax(logits_of(classifier, features.transform(list(text_a[test]))))
        predicted[test] = classifier.classes_[np.argmax(proba, axis=1)]
        confidence[test] = proba.max(axis=1)
    correct = predicted == label_a
    report = classification_report(labels, list(predicted), sorted(set(labels)))
    report["folds"] = folds
    report["mean_confidence"] = round(float(confidence.mean()), 4)
    report["ece_uncalibrated"] = round(expected_calibration_error(confidence, correct), 4)
    return report


def oos_report(
    model: IntentModel, in_scope: Sequence[tuple[str, str]], oos: Sequence[str]
) -> dict[str, Any]:
    """Report in-scope acceptance and accuracy, and OOS rejection, on rows the model never saw."""
    preds_in = model.predict_batch([text for text, _ in in_scope])
    preds_oos = model.predict_batch(list(oos))
    accepted_right = [
        p.in_scope and p.intent == label for p, (_, label) in zip(preds_in, in_scope, strict=True)
    ]
    return {
        "threshold": model.threshold,
        "in_scope_n": len(in_scope),
        "in_scope_accepted": round(float(np.mean([p.in_scope for p in preds_in])), 4)
        if preds_in
        else 0.0,
        "in_scope_accuracy": round(float(np.mean(accepted_right)), 4) if preds_in else 0.0,
        "oos_n": len(oos),
        "oos_recall": round(float(np.mean([not p.in_scope for p in preds_oos])), 4)
        if preds_oos
        else 0.0,
    }


def throughput(fn: Any, texts: Sequence[str], *, repeats: int = 5) -> float:
    """Return messages per second for a batch function, best of several runs."""
    fn(texts[:10])  # warm caches and lazy imports
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn(texts)
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def main(argv: Sequence[str] | None = None) -> None:
    """Print the sentiment and intent figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--tweeteval", type=Path, help="folder with TweetEval sentiment val files")
    args = parser.parse_args(argv)
    examples = load_examples()
    sentiment = load_default()
    intent = load_default_intents()
    figures: dict[str, Any] = {
        "intent_cv": cross_validate_intents(examples),
        "intent_threshold_search": intent.meta.get("threshold_search"),
        "intent_threshold": intent.threshold,
    }
    if args.tweeteval:
        rows = load_tweeteval(args.tweeteval)
        figures["sentiment_tweeteval_val"] = evaluate_sentiment(sentiment, rows)
    figures["oos_rows_in_yaml"] = sum(label == OOS for _, label in examples)
    sample = [text for text, _ in examples][:1000]
    figures["messages_per_second"] = {
        "intent": round(throughput(intent.predict_batch, sample)),
        "sentiment": round(throughput(sentiment.score_batch, sample)),
    }
    print(json.dumps(figures, indent=2))


if __name__ == "__main__":
    main()
