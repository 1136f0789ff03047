"""Accuracy and messages/s of every NLU model on each backend (``baton bench-nlu``).

Accuracy, measured on data the scored model never saw:
- intent ``general``: 5-fold stratified cross-validation, top intent (closed set);
- intent ``banking77``: a stratified 80/20 split of BANKING77 ``train.csv`` (seed 0), top intent;
- out of scope: BANKING77 with 15 intents withheld (see ``unseen_intents_report``);
- sentiment: macro-recall on the held-out half of TweetEval sentiment validation (the shipped
  accurate model trained on the other half), and the share of TweetEval emotion validation texts
  labelled anger that are judged negative.
Speed: the shipped model, batches of ``BATCH`` distinct messages, one thread, best of three.
Rows needing ``../shared/datasets`` are skipped when it is absent; the accurate backend is skipped
when its encoder wheel is not installed.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from services.nlu import datasets
from services.nlu._encoder import SentenceEncoder, default_encoder_dir, encoder_available
from services.nlu._pipeline import build_classifier, build_features
from services.nlu.evaluate import classification_report, cross_validate_intents
from services.nlu.intent_data import GENERAL_INTENTS_PATH, load_examples
from services.nlu.intent_model import load_shipped
from services.nlu.sentiment_model import load_default as load_sentiment
from services.nlu.settings import BACKENDS, Backend

BATCH = 256
SPEED_MESSAGES = {"fast": 4096, "accurate": 512}
UNSEEN_INTENTS = 15  # of BANKING77's 77, withheld as out of scope (about a fifth)


def holdout_accuracy(
    rows: Sequence[tuple[str, str]],
    backend: Backend,
    *,
    encoder: SentenceEncoder | None = None,
    test_size: float = 0.2,
    seed: int = 0,
) -> float:
    """Train features and classifier on a stratified split and return top-intent accuracy."""
    from sklearn.model_selection import train_test_split

    labels = [label for _, label in rows]
    train, test = train_test_split(
        list(rows), test_size=test_size, stratify=labels, random_state=seed
    )
    features = build_features(backend, encoder)
    matrix = features.fit_transform([text for text, _ in train])
    classifier = build_classifier(seed, features.groups()).fit(
        matrix, np.asarray([label for _, label in train])
    )
    scores = classifier.decision_function(features.transform([text for text, _ in test]))
    predicted = np.asarray(classifier.classes_)[np.argmax(scores, axis=1)]
    return float(np.mean(predicted == np.asarray([label for _, label in test])))


def messages_per_second(fn: Callable[[list[str]], Any], texts: Sequence[str]) -> float:
    """Return messages/s for a batch function over `texts` in batches, best of three runs."""
    fn(list(texts[:8]))  # load lazy parts (the encoder) before timing
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        for low in range(0, len(texts), BATCH):
            fn(list(texts[low : low + BATCH]))
        best = min(best, time.perf_counter() - start)
    return len(texts) / best


def run_bench(
    *,
    root: Path = datasets.DATASETS_DIR,
    backends: Sequence[Backend] = BACKENDS,
    accuracy: bool = True,
) -> Iterator[str]:
    """Yield one line per model and backend: accuracy figures and messages/s on one core."""
    from threadpoolctl import threadpool_limits  # type: ignore[import-untyped]

    have_data = (root / "banking77" / "train.csv").is_file()
    general = load_examples(GENERAL_INTENTS_PATH)
    banking = datasets.banking77(root) if have_data else []
    texts = [text for text, _ in (banking or general)]
    rng = np.random.default_rng(0)
    sample = [texts[i] for i in rng.permutation(len(texts))]
    if not have_data:
        yield f"(no data sets under {root}: BANKING77 and sentiment accuracy skipped)"
    held, anger = build_held_out(root) if have_data else ([], [])
    yield f"{'model':<19}{'backend':<10}{'accuracy':<44}{'msg/s (1 core)':>15}"
    with threadpool_limits(limits=1):
        for backend in backends:
            if backend == "accurate" and not encoder_available():
                yield f"{'(all)':<19}{backend:<10}skipped: encoder wheel not installed"
                continue
            cached = (
                SentenceEncoder.from_directory(default_encoder_dir(), cache_size=100_000)
                if backend == "accurate" and accuracy
                else None
            )
            speed_texts = sample[: SPEED_MESSAGES[backend]]
            model = load_shipped("general", backend=backend)
            figure = ""
            if accuracy:
                cv = _cross_validate(general, backend, cached)
                figure = f"5-fold CV {cv:.4f}"
            rate = messages_per_second(model.predict_batch, speed_texts)
            yield f"{'intent/general':<19}{backend:<10}{figure:<44}{rate:>15,.0f}"
            if have_data:
                model = load_shipped("banking77", backend=backend)
                figure = ""
                if accuracy:
                    figure = (
                        f"80/20 holdout {holdout_accuracy(banking, backend, encoder=cached):.4f}"
                    )
                rate = messages_per_second(model.predict_batch, speed_texts)
                yield f"{'intent/banking77':<19}{backend:<10}{figure:<44}{rate:>15,.0f}"
                if accuracy:
                    oos = unseen_intents_report(banking, backend, encoder=cached)
                    figure = (
                        f"in-scope acc {oos['in_scope_accuracy']:.4f}, "
                        f"OOS recall {oos['oos_recall']:.4f}"
                    )
                    yield f"{'intent/unseen-oos':<19}{backend:<10}{figure:<44}{'':>15}"
            scorer = load_sentiment(backend=backend)
            figure = ""
            if have_data and accuracy:
                report = classification_report(
                    [label for _, label in held],
                    [r.label for r in scorer.score_batch([text for text, _ in held])],
                    ("negative", "neutral", "positive"),
                )
                angry = np.mean([r.label == "negative" for r in scorer.score_batch(anger)])
                figure = f"macro-recall {report['macro_recall']:.4f}, anger->neg {angry:.3f}"
            rate = messages_per_second(scorer.score_batch, speed_texts)
            yield f"{'sentiment':<19}{backend:<10}{figure:<44}{rate:>15,.0f}"


def unseen_intents_report(
    rows: Sequence[tuple[str, str]],
    backend: Backend,
    *,
    encoder: SentenceEncoder | None = None,
    unseen: int = UNSEEN_INTENTS,
    seed: int = 0,
) -> dict[str, Any]:
    """Out-of-scope detection on intents the model never saw, as in the published benchmarks.

    ``unseen`` BANKING77 intents (drawn with ``seed``) are withheld. The model is trained the
    operator's way (``IntentModel.train``, threshold chosen without any OOS examples) on 80 %
    of the other intents' rows, then scored on the remaining 20 % (in scope: accepted with
    the right intent) and on every row of the withheld intents (out of scope: rejected).
    """
    from sklearn.model_selection import train_test_split

    from services.nlu.evaluate import oos_report
    from services.nlu.intent_model import IntentModel

    intents = sorted({label for _, label in rows})
    rng = np.random.default_rng(seed)
    withheld = {str(i) for i in rng.choice(intents, size=unseen, replace=False)}
    seen = [(text, label) for text, label in rows if label not in withheld]
    train, test = train_test_split(
        seen, test_size=0.2, stratify=[label for _, label in seen], random_state=seed
    )
    model = IntentModel.train(train, backend=backend, seed=seed, encoder=encoder)
    return oos_report(model, test, [text for text, label in rows if label in withheld])


def build_held_out(root: Path) -> tuple[list[tuple[str, str]], list[str]]:
    """Return the held-out sentiment rows and anger texts (see ``build``)."""
    from services.nlu.build import sentiment_held_out

    return sentiment_held_out(root)


def _cross_validate(
    rows: Sequence[tuple[str, str]], backend: Backend, encoder: SentenceEncoder | None
) -> float:
    """Return 5-fold CV top-intent accuracy."""
    report = cross_validate_intents(rows, folds=5, backend=backend, encoder=encoder)
    return float(report["accuracy"])
