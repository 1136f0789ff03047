"""Calibrate intent confidences and choose the out-of-scope threshold on held-out data.

Two held-out views are built from the training rows alone:
- out-of-fold logits for every in-scope row (stratified k-fold, all intents present), which fit a
  temperature (the one scalar that minimises held-out log-loss) and measure in-scope accuracy;
- logits for rows of intents the model never saw (leave-intents-out: up to five groups of intents,
  each held out in turn) plus any rows labelled ``oos``, which act as out-of-scope traffic.
The threshold is then searched on temperature-scaled top probabilities.

For speed the features are computed once on all rows (the caller passes the matrix) and only
the classifier is refitted per split. To score held-out rows as a model fitted on the split alone
would, their n-grams that no training row of the split contains are dropped and each feature
block is L2-normalised again (and scaled back to its weight); only the idf weights still see
every row. Dense embedding blocks are unaffected, since every training row uses every column.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse  # type: ignore[import-untyped]
from sklearn.preprocessing import normalize

Progress = Callable[[str, int, int], None]
Layout = Sequence[tuple[int, float]]

# Names this procedure in model fingerprints: change it whenever the procedure changes.
CALIBRATION_ID = "oof5-temperature+lio5-balanced-v1"
MAX_FOLDS = 5
MAX_GROUPS = 5
GRID = np.round(np.arange(0.05, 0.951, 0.01), 2)
TEMPERATURES = np.geomspace(0.05, 5.0, 121)


@dataclass(frozen=True)
class Calibration:
    """The temperature and threshold chosen, and what they achieved on held-out rows."""

    temperature: float
    threshold: float
    in_scope_accuracy: float
    oos_recall: float
    n_in_scope: int
    n_oos: int
    ece_raw: float
    ece_calibrated: float


def softmax(logits: np.ndarray, temperature: float = 1.0) -> np.ndarray:
    """Return row-wise softmax probabilities of temperature-scaled logits."""
    scaled = logits / temperature
    scaled = scaled - scaled.max(axis=1, keepdims=True)
    np.exp(scaled, out=scaled)
    return np.asarray(scaled / scaled.sum(axis=1, keepdims=True))


def logits_of(model: Any, inputs: Any) -> np.ndarray:
    """Return one logit column per class from a classifier or pipeline, also for two classes."""
    scores = np.asarray(model.decision_function(inputs), dtype=np.float64)
    if scores.ndim == 1:  # binary LR: softmax([-d/2, d/2]) is the sigmoid of d
        scores = np.column_stack([-scores / 2.0, scores / 2.0])
    return scores


def calibrate(
    matrix: Any,
    labels: Sequence[str],
    oos_matrix: Any | None,
    layout: Layout,
    new_classifier: Callable[[], Any],
    *,
    seed: int = 0,
    oos_weight: float = 0.5,
    progress: Progress | None = None,
) -> Calibration:
    """Fit the temperature, then the threshold best balancing in-scope accuracy and OOS recall.

    `matrix` holds the in-scope rows' features, `oos_matrix` those of rows labelled ``oos`` (or
    None), `layout` the (width, scale) of each feature block in column order, and
    `new_classifier` returns an unfitted classifier like the final one.
    """
    if not 0.0 <= oos_weight <= 1.0:
        raise ValueError("oos_weight must be within [0, 1]")
    label_array = np.asarray(labels)
    rng = np.random.default_rng(seed)
    step = _Steps(progress, total=MAX_FOLDS + MAX_GROUPS)
    oof_logits, correct, gold_index = _out_of_fold(
        matrix, label_array, layout, rng, new_classifier, step
    )
    temperature = _fit_temperature(oof_logits, gold_index) if oof_logits.size else 1.0
    oos_conf = _leave_intents_out(
        matrix, label_array, oos_matrix, layout, rng, new_classifier, temperature, step
    )
    step.finish()
    in_conf = softmax(oof_logits, temperature).max(axis=1)
    ece_raw = expected_calibration_error(softmax(oof_logits).max(axis=1), correct)
    threshold, accuracy, recall = _choose(in_conf, correct, oos_conf, oos_weight)
    return Calibration(
        temperature=float(temperature),
        threshold=threshold,
        in_scope_accuracy=accuracy,
        oos_recall=recall,
        n_in_scope=int(correct.size),
        n_oos=int(oos_conf.size),
        ece_raw=ece_raw,
        ece_calibrated=expected_calibration_error(in_conf, correct),
    )


class _Steps:
    """Report progress through the calibration fits, if anyone listens."""

    def __init__(self, progress: Progress | None, total: int) -> None:
        self._progress = progress
        self._done = 0
        self._total = total

    def __call__(self, what: str) -> None:
        if self._progress is not None:
            self._progress(what, self._done, self._total)
        self._done += 1

    def finish(self) -> None:
        if self._progress is not None:
            self._progress("calibrated", self._total, self._total)


def _out_of_fold(
    matrix: Any,
    labels: np.ndarray,
    layout: Layout,
    rng: np.random.Generator,
    new_classifier: Callable[[], Any],
    step: _Steps,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Return out-of-fold logits, correctness and gold class index for every in-scope row."""
    classes, gold_index, counts = np.unique(labels, return_inverse=True, return_counts=True)
    folds = min(MAX_FOLDS, int(counts.min()))
    if folds < 2:
        return np.empty((0, len(classes))), np.empty(0, dtype=bool), np.empty(0, dtype=int)
    fold_of = np.empty(labels.size, dtype=int)
    for index in range(len(classes)):
        rows = rng.permutation(np.flatnonzero(gold_index == index))
        fold_of[rows] = np.arange(rows.size) % folds
    logits = np.zeros((labels.size, len(classes)))
    for fold in range(folds):
        step(f"out-of-fold {fold + 1}/{folds}")
        train, test = fold_of != fold, fold_of == fold
        classifier = new_classifier().fit(matrix[train], labels[train])
        logits[test] = logits_of(classifier, _unseen_dropped(matrix[test], matrix[train], layout))
    correct = np.argmax(logits, axis=1) == gold_index
    return logits, correct, gold_index


def _leave_intents_out(
    matrix: Any,
    labels: np.ndarray,
    oos_matrix: Any | None,
    layout: Layout,
    rng: np.random.Generator,
    new_classifier: Callable[[], Any],
    temperature: float,
    step: _Steps,
) -> np.ndarray:
    """Return top confidences on rows of intents each model never saw, and on `oos` rows."""
    intents = np.unique(labels)
    parts: list[np.ndarray] = []

    def confidences(classifier: Any, rows: Any) -> None:
        parts.append(softmax(logits_of(classifier, rows), temperature).max(axis=1))

    if len(intents) < 3:  # holding one out would leave a single class
        if oos_matrix is not None:
            confidences(new_classifier().fit(matrix, labels), oos_matrix)
        return np.concatenate(parts) if parts else np.empty(0)
    groups = np.array_split(rng.permutation(intents), min(MAX_GROUPS, len(intents)))
    for number, held in enumerate(groups, start=1):
        step(f"leave-intents-out {number}/{len(groups)}")
        held_mask = np.isin(labels, held)
        train = matrix[~held_mask]
        classifier = new_classifier().fit(train, labels[~held_mask])
        confidences(classifier, _unseen_dropped(matrix[held_mask], train, layout))
        if oos_matrix is not None:
            confidences(classifier, _unseen_dropped(oos_matrix, train, layout))
    return np.concatenate(parts)


def _unseen_dropped(rows: Any, train: Any, layout: Layout) -> Any:
    """Zero the columns no training row uses, then L2-normalise and scale each block again."""
    seen = np.asarray(train.getnnz(axis=0) > 0, dtype=np.float32)
    kept = rows.multiply(seen[None, :]).tocsr()
    edges = np.cumsum([0, *(width for width, _ in layout)])
    parts = [
        normalize(kept[:, low:high], norm="l2") * scale
        for (low, high), (_, scale) in zip(itertools.pairwise(edges), layout, strict=True)
    ]
    return sparse.hstack(parts, format="csr")


def _fit_temperature(logits: np.ndarray, gold_index: np.ndarray) -> float:
    """Return the temperature with the lowest held-out negative log-likelihood."""
    best, best_loss = 1.0, float("inf")
    rows = np.arange(gold_index.size)
    for temperature in TEMPERATURES:
        probabilities = softmax(logits, float(temperature))
        loss = float(-np.mean(np.log(probabilities[rows, gold_index] + 1e-12)))
        if loss < best_loss:
            best, best_loss = float(temperature), loss
    return best


def _choose(
    in_conf: np.ndarray, correct: np.ndarray, oos_conf: np.ndarray, oos_weight: float
) -> tuple[float, float, float]:
    """Return (threshold, in-scope accuracy, OOS recall) maximising the weighted mean."""
    if in_conf.size == 0 or oos_conf.size == 0:
        # Nothing to measure out-of-scope behaviour on: accept every prediction.
        return 0.0, float(np.mean(correct)) if correct.size else 0.0, 0.0
    best = (0.0, 0.0, 0.0)
    best_value = -1.0
    for threshold in GRID:
        accuracy = float(np.mean(correct & (in_conf >= threshold)))
        recall = float(np.mean(oos_conf < threshold))
        value = (1.0 - oos_weight) * accuracy + oos_weight * recall
        if value > best_value + 1e-9:
            best_value, best = value, (float(threshold), accuracy, recall)
    return best


def expected_calibration_error(
    confidence: np.ndarray, correct: np.ndarray, bins: int = 10
) -> float:
    """Return the mean gap between confidence and accuracy over equal-width confidence bins."""
    if confidence.size == 0:
        return 0.0
    edges = np.linspace(0.0, 1.0, bins + 1)
    total = 0.0
    for low, high in itertools.pairwise(edges):
        mask = (confidence > low) & (confidence <= high)
        if mask.any():
            total += float(mask.mean()) * abs(
                float(confidence[mask].mean()) - float(correct[mask].mean())
            )
    return total
