"""The accurate sentiment backend: a linear classifier on sentence embeddings plus the lexicon.

Method. Each message becomes its all-MiniLM-L6-v2 embedding (unit length, see ``_encoder``) with
the lexicon model's score appended (times ``LEXICON_WEIGHT``); a three-class logistic regression
with balanced class weights sits on top. The label is the most probable class; the score is
P(positive) - P(negative), in [-1, 1]. Frustration and urgency cues come from the lexicon model,
applied to this label, so ``not frustrated`` and shouting behave as in the fast backend.

Training data (``services/nlu/build.py``): TweetEval sentiment validation rows, TweetEval emotion
rows (anger and sadness as negative, joy and optimism as positive), and VADER's human-rated
sentences (mean rating beyond +-``VADER_NEUTRAL`` as positive or negative, else neutral). The
shipped weights live in ``models/sentiment-accurate`` as ``model.npz`` + ``meta.json``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from services.nlu._calibration import softmax
from services.nlu._encoder import SentenceEncoder, load_encoder
from services.nlu._features import LinearHead
from services.nlu.intent_data import digest_examples
from services.nlu.sentiment_model import SentimentModel, SentimentResult

MODEL_DIR = Path(__file__).parent / "models" / "sentiment-accurate"
MODEL_FILE = "model.npz"
META_FILE = "meta.json"
LABELS = ("negative", "neutral", "positive")
LEXICON_WEIGHT = 1.0
C = 1.0
RECIPE_ID = f"minilm6-mean+lexicon-x{LEXICON_WEIGHT:g}-lr-balanced-C{C:g}"


class AccurateSentimentModel:
    """Score messages with the embedding classifier; cues come from the lexicon model."""

    def __init__(
        self,
        lexicon: SentimentModel,
        head: LinearHead,
        *,
        meta: dict[str, Any],
        encoder: SentenceEncoder | None = None,
    ) -> None:
        self._lexicon = lexicon
        self._head = head
        self._encoder = encoder
        self.meta = dict(meta)
        self.version = str(meta["version"])

    @property
    def encoder(self) -> SentenceEncoder:
        """Return the encoder, loading the shipped one on first use."""
        if self._encoder is None:
            self._encoder = load_encoder()
        return self._encoder

    def probabilities(self, texts: Sequence[str]) -> np.ndarray:
        """Return P(negative), P(neutral), P(positive) per text."""
        features = featurize(texts, self._lexicon, self.encoder)
        return softmax(self._head.decision_function(features))

    def score_batch(self, texts: Sequence[str]) -> list[SentimentResult]:
        """Score many messages."""
        if not texts:
            return []
        proba = self.probabilities(texts)
        order = [str(c) for c in self._head.classes_]
        neg, pos = order.index("negative"), order.index("positive")
        labels = [order[i] for i in np.argmax(proba, axis=1)]
        scores = (proba[:, pos] - proba[:, neg]).tolist()
        return [
            self._lexicon.with_verdict(text, score, label)
            for text, score, label in zip(texts, scores, labels, strict=True)
        ]

    def save(self, directory: Path | str = MODEL_DIR) -> None:
        """Write the classifier weights and metadata."""
        path = Path(directory)
        path.mkdir(parents=True, exist_ok=True)
        with (path / MODEL_FILE).open("wb") as handle:
            np.savez_compressed(handle, allow_pickle=False, **self._head.arrays())
        (path / META_FILE).write_text(json.dumps(self.meta, indent=2) + "\n", encoding="utf-8")


def featurize(
    texts: Sequence[str], lexicon: SentimentModel, encoder: SentenceEncoder
) -> np.ndarray:
    """Return embedding columns with the lexicon score appended."""
    embedded = encoder.encode(texts)
    lexical = np.asarray([r.score for r in lexicon.score_batch(texts)], dtype=np.float32)
    return np.hstack([embedded, LEXICON_WEIGHT * lexical[:, None]])


def train_accurate(
    rows: Sequence[tuple[str, str]],
    *,
    lexicon: SentimentModel | None = None,
    encoder: SentenceEncoder | None = None,
    weights: Sequence[float] | None = None,
    features: np.ndarray | None = None,
    seed: int = 0,
    sources: dict[str, int] | None = None,
) -> AccurateSentimentModel:
    """Fit the classifier on (text, label) rows; `features` may pass precomputed columns."""
    from sklearn.linear_model import LogisticRegression

    lexicon = lexicon or SentimentModel()
    encoder = encoder or load_encoder()
    texts = [text for text, _ in rows]
    labels = np.asarray([label for _, label in rows])
    unknown = set(labels.tolist()) - set(LABELS)
    if unknown:
        raise ValueError(f"unknown sentiment labels {sorted(unknown)}")
    matrix = features if features is not None else featurize(texts, lexicon, encoder)
    classifier = LogisticRegression(
        C=C, class_weight="balanced", max_iter=2000, random_state=seed
    ).fit(matrix, labels, sample_weight=None if weights is None else np.asarray(weights))
    head = LinearHead.from_classifier(classifier)
    digest = digest_examples(rows, RECIPE_ID, lexicon.version, str(seed))
    meta: dict[str, Any] = {
        "version": f"sentiment-accurate-{digest[:12]}",
        "recipe": RECIPE_ID,
        "labels": [str(c) for c in head.classes_],
        "lexicon_version": lexicon.version,
        "encoder": encoder.name,
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "n_examples": len(rows),
        "sources": dict(sources or {}),
        "seed": seed,
    }
    return AccurateSentimentModel(lexicon, head, meta=meta, encoder=encoder)


def load_accurate(
    lexicon: SentimentModel | None = None,
    directory: Path | str = MODEL_DIR,
    *,
    encoder: SentenceEncoder | None = None,
) -> AccurateSentimentModel:
    """Load the accurate sentiment classifier (the shipped encoder loads on first use)."""
    path = Path(directory)
    meta = json.loads((path / META_FILE).read_text(encoding="utf-8"))
    with np.load(path / MODEL_FILE, allow_pickle=False) as stored:
        arrays = {key: stored[key] for key in stored.files}
    head = LinearHead.from_arrays(meta["labels"], arrays)
    return AccurateSentimentModel(lexicon or SentimentModel(), head, meta=meta, encoder=encoder)
