"""Rebuild the shipped NLU models from the project's data and ``../shared/datasets``.

    python -m services.nlu.build                      # everything
    python -m services.nlu.build --only banking77 --backend fast

Shipped: ``models/general`` and ``models/general-accurate`` (intents the project wrote,
``data/general_intents.yaml``), ``models/banking77`` and ``models/banking77-accurate`` (all of
BANKING77 ``train.csv``), ``models/sentiment-accurate`` (see ``sentiment_accurate``; trained on
one stratified half of the TweetEval sentiment validation split, the other half held out for
``bench``, plus TweetEval emotion train and VADER's rated sentences).
"""

from __future__ import annotations

import argparse
import hashlib
from collections.abc import Sequence
from pathlib import Path

from services.nlu import datasets
from services.nlu._calibration import CALIBRATION_ID
from services.nlu._pipeline import PIPELINE_IDS
from services.nlu.intent_data import digest_examples
from services.nlu.intent_model import IntentModel, build_default, shipped_model_dir
from services.nlu.settings import BACKENDS, Backend

SENTIMENT_SPLIT_SEED = 0


def split_half(
    rows: Sequence[tuple[str, str]], seed: int = SENTIMENT_SPLIT_SEED
) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """Split rows into two stratified halves (train, held out), reproducibly."""
    from sklearn.model_selection import train_test_split

    labels = [label for _, label in rows]
    train, held = train_test_split(list(rows), test_size=0.5, stratify=labels, random_state=seed)
    return list(train), list(held)


def sentiment_training_rows(
    root: Path = datasets.DATASETS_DIR,
) -> tuple[list[tuple[str, str]], dict[str, int]]:
    """Return the accurate sentiment model's training rows and a count per source."""
    tweets, _ = split_half(datasets.tweeteval_sentiment(root))
    emotion = datasets.emotion_as_sentiment(datasets.tweeteval_emotion(root, "train"))
    vader = datasets.vader_ground_truth(root)
    sources = {
        "tweeteval_sentiment_val_half": len(tweets),
        "tweeteval_emotion_train": len(emotion),
        "vader_ground_truth": len(vader),
    }
    return tweets + emotion + vader, sources


def sentiment_held_out(
    root: Path = datasets.DATASETS_DIR,
) -> tuple[list[tuple[str, str]], list[str]]:
    """Return the held-out sentiment rows and the anger-labelled emotion validation texts."""
    _, held = split_half(datasets.tweeteval_sentiment(root))
    anger = [text for text, label in datasets.tweeteval_emotion(root, "val") if label == "anger"]
    return held, anger


def build_banking77(backend: Backend, root: Path = datasets.DATASETS_DIR) -> IntentModel:
    """Train the banking model on all of BANKING77 train.csv and save it."""
    path = root / "banking77" / "train.csv"
    rows = datasets.banking77(root)
    file_digest = hashlib.sha256(path.read_bytes()).hexdigest()
    digest = digest_examples(rows, PIPELINE_IDS[backend], CALIBRATION_ID, "0", "0.5", file_digest)
    model = IntentModel.train(rows, backend=backend, data_digest=digest, progress=_print_progress)
    model.meta["source"] = "BANKING77 train.csv (Casanueva et al. 2020, CC BY 4.0)"
    model.meta["catalog"] = "services/nlu/data/banking77_catalog.yaml"
    model.save(shipped_model_dir("banking77", backend))
    return model


def build_sentiment(root: Path = datasets.DATASETS_DIR) -> None:
    """Train and save the accurate sentiment classifier."""
    from services.nlu.sentiment_accurate import train_accurate

    rows, sources = sentiment_training_rows(root)
    print(f"sentiment-accurate: embedding {len(rows)} rows", flush=True)
    model = train_accurate(rows, sources=sources)
    model.save()
    print(f"sentiment-accurate: saved {model.version}", flush=True)


def _print_progress(what: str, done: int, total: int) -> None:
    print(f"  {what} ({done}/{total})", flush=True)


def main(argv: Sequence[str] | None = None) -> None:
    """Rebuild the shipped models asked for."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--only", choices=("general", "banking77", "sentiment"), action="append")
    parser.add_argument("--backend", choices=BACKENDS, action="append")
    parser.add_argument("--datasets", type=Path, default=datasets.DATASETS_DIR)
    args = parser.parse_args(argv)
    only = set(args.only or ("general", "banking77", "sentiment"))
    backends: list[Backend] = list(args.backend or BACKENDS)
    for backend in backends:
        if "general" in only:
            print(f"general ({backend})", flush=True)
            print(f"  saved {build_default(backend=backend, progress=_print_progress).version}")
        if "banking77" in only:
            print(f"banking77 ({backend})", flush=True)
            print(f"  saved {build_banking77(backend, args.datasets).version}")
    if "sentiment" in only and "accurate" in backends:
        build_sentiment(args.datasets)


if __name__ == "__main__":
    main()
