"""Intent classification with an out-of-scope decision, fast enough for a streaming pipeline.

Method. Each text becomes the concatenation of two TF-IDF vectors (sublinear tf, L2-normalised):
word 1-2 grams, and character 2-5 grams inside word boundaries (``char_wb``), which makes the
model tolerant of typos and inflections. A multinomial logistic regression sits on top.

Calibration. Logistic regression on ~80 examples per intent is under-confident, so at training
time out-of-fold logits (5-fold, every intent present) fit a temperature, the single scalar that
minimises held-out log-loss; confidences are softmax(logits / temperature).

Out of scope. No ``oos`` class is learnt. The intents are shuffled into up to five groups; for
each group a model is trained on the other intents and scored on the held-out group's rows, which
it has never seen and so play the part of out-of-scope traffic. Rows labelled ``oos`` in the
training data, when present, join that pseudo out-of-scope pool and are never learnt as a class.
The threshold on the calibrated top probability is the one that maximises the mean of in-scope
accuracy (right intent and accepted, on the out-of-fold rows) and out-of-scope recall (rejected);
``oos_weight`` moves that balance (0.5 by default, the plain mean). The final model is then
refitted on all in-scope rows, and ``in_scope = confidence >= threshold``. An out-of-scope
prediction carries the intent ``oos``; ``alternatives`` always holds the three most likely real
intents, best first.

Persistence. ``save`` writes ``model.joblib`` (the fitted pipeline, a pickle: load only files you
trust) and ``meta.json`` (version, threshold, labels, trained_at, training size, sklearn version).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import joblib
import numpy as np
import sklearn

from services.nlu._calibration import CALIBRATION_ID, calibrate, logits_of, softmax
from services.nlu._pipeline import PIPELINE_ID, build_pipeline, compact
from services.nlu.intent_data import (
    GENERAL_INTENTS_PATH,
    OOS,
    digest_examples,
    load_examples,
    split_oos,
)

GENERAL_MODEL_DIR = Path(__file__).parent / "models" / "general"
MODEL_FILE = "model.joblib"
META_FILE = "meta.json"
TOP_K = 3


@dataclass(frozen=True)
class IntentPrediction:
    """One text's intent, its confidence, and whether the model knows this kind of request."""

    intent: str
    confidence: float
    in_scope: bool
    alternatives: tuple[tuple[str, float], ...]


class IntentModel:
    """A fitted intent classifier with its out-of-scope threshold and metadata."""

    def __init__(
        self, pipeline: Any, *, threshold: float, temperature: float, meta: dict[str, Any]
    ) -> None:
        self._pipeline = pipeline
        self._classes: np.ndarray = np.asarray(pipeline.classes_)
        self.threshold = float(threshold)
        self.temperature = float(temperature)
        self.labels: tuple[str, ...] = tuple(str(label) for label in self._classes)
        self.version = str(meta["version"])
        self.meta = dict(meta)

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        seed: int = 0,
        oos_weight: float = 0.5,
        data_digest: str | None = None,
    ) -> IntentModel:
        """Fit on (text, intent) pairs, choosing the out-of-scope threshold on held-out intents."""
        texts, labels, oos_texts = split_oos(examples)
        if len(set(labels)) < 2:
            raise ValueError("need at least two in-scope intents to train")
        choice = calibrate(texts, labels, oos_texts, seed=seed, oos_weight=oos_weight)
        pipeline = build_pipeline(seed)
        pipeline.fit(texts, np.asarray(labels))
        compact(pipeline)
        digest = data_digest or digest_examples(
            examples, PIPELINE_ID, CALIBRATION_ID, str(seed), str(oos_weight)
        )
        meta: dict[str, Any] = {
            "version": f"intent-tfidf-lr-{digest[:12]}",
            "threshold": choice.threshold,
            "temperature": choice.temperature,
            "labels": sorted(set(labels)),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "n_examples": len(texts),
            "n_oos_examples": len(oos_texts),
            "seed": seed,
            "pipeline": PIPELINE_ID,
            "data_digest": digest,
            "sklearn_version": sklearn.__version__,
            "threshold_search": {
                "method": "out-of-fold in-scope + leave-intents-out pseudo-OOS",
                "oos_weight": oos_weight,
                "in_scope_accuracy": round(choice.in_scope_accuracy, 4),
                "oos_recall": round(choice.oos_recall, 4),
                "n_in_scope": choice.n_in_scope,
                "n_oos": choice.n_oos,
                "ece_raw": round(choice.ece_raw, 4),
                "ece_calibrated": round(choice.ece_calibrated, 4),
            },
        }
        return cls(pipeline, threshold=choice.threshold, temperature=choice.temperature, meta=meta)

    def predict_batch(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Classify many texts in one vectorised pass."""
        if not texts:
            return []
        proba = softmax(logits_of(self._pipeline, list(texts)), self.temperature)
        top = np.argsort(-proba, axis=1)[:, :TOP_K]
        rows = np.arange(proba.shape[0])[:, None]
        top_p = proba[rows, top].tolist()
        top_labels = self._classes[top].tolist()
        out: list[IntentPrediction] = []
        for names, probs in zip(top_labels, top_p, strict=True):
            confidence = float(probs[0])
            in_scope = confidence >= self.threshold
            out.append(
                IntentPrediction(
                    intent=str(names[0]) if in_scope else OOS,
                    confidence=confidence,
                    in_scope=in_scope,
                    alternatives=tuple(
                        (str(name), float(p)) for name, p in zip(names, probs, strict=True)
                    ),
                )
            )
        return out

    def predict(self, text: str) -> IntentPrediction:
        """Classify one text."""
        return self.predict_batch([text])[0]

    def save(self, directory: Path | str) -> None:
        """Write the pipeline and its metadata into a directory."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        joblib.dump(self._pipeline, path / MODEL_FILE, compress=3)
        (path / META_FILE).write_text(json.dumps(self.meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path | str) -> IntentModel:
        """Read a model written by `save` (a pickle: only load directories you trust)."""
        path = Path(directory)
        meta = read_meta(path)
        pipeline = joblib.load(path / MODEL_FILE)
        if [str(c) for c in pipeline.classes_] != list(meta["labels"]):
            raise ValueError(f"{path}: labels in {META_FILE} do not match the pipeline")
        return cls(
            pipeline,
            threshold=float(meta["threshold"]),
            temperature=float(meta.get("temperature", 1.0)),
            meta=meta,
        )


def read_meta(directory: Path | str) -> dict[str, Any]:
    """Read a saved model's metadata without unpickling the model."""
    meta = json.loads((Path(directory) / META_FILE).read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError(f"{directory}: {META_FILE} is not an object")
    return meta


def general_data_digest(seed: int = 0) -> str:
    """Fingerprint the shipped general data and pipeline so stale models are detected."""
    return digest_examples(
        load_examples(GENERAL_INTENTS_PATH), PIPELINE_ID, CALIBRATION_ID, str(seed), "0.5"
    )


def build_default(out_dir: Path | str = GENERAL_MODEL_DIR) -> IntentModel:
    """Train the general customer-service model from the shipped YAML and save it."""
    model = IntentModel.train(
        load_examples(GENERAL_INTENTS_PATH), data_digest=general_data_digest()
    )
    model.save(out_dir)
    return model


def load_default(model_dir: Path | str = GENERAL_MODEL_DIR) -> IntentModel:
    """Load the shipped general model, or train it in-process if it is missing or stale."""
    path = Path(model_dir)
    if (path / MODEL_FILE).is_file() and (path / META_FILE).is_file():
        meta = read_meta(path)
        # A pickle from another sklearn version, or built from older data, is not trusted.
        if (
            meta.get("sklearn_version") == sklearn.__version__
            and meta.get("data_digest") == general_data_digest()
        ):
            try:
                return IntentModel.load(path)
            except Exception:  # a corrupt pickle can raise almost anything
                pass  # an unreadable model is rebuilt from the shipped data below
    return IntentModel.train(load_examples(GENERAL_INTENTS_PATH), data_digest=general_data_digest())
