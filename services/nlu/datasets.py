"""Read the public training sets under ``../shared/datasets`` (build and evaluation time only).

Nothing here runs in a service: shipped models carry what they learnt. Sources and licences are
listed in ``shared/datasets/README.md`` beside the project.
"""

from __future__ import annotations

from pathlib import Path

from services.nlu.evaluate import load_labelled, load_tweeteval

DATASETS_DIR = Path(__file__).resolve().parents[3] / "shared" / "datasets"
EMOTION_TO_SENTIMENT = {
    "anger": "negative",
    "sadness": "negative",
    "joy": "positive",
    "optimism": "positive",
}
# VADER ratings are means of 20 raters on -4..+4; within this band a sentence counts as neutral.
# Chosen on half of the TweetEval validation split (0.25 / 0.5 / 1.0 / 1.5: 1.0 was best).
VADER_NEUTRAL = 1.0
VADER_FILES = (
    "tweets_GroundTruth.txt",
    "amazonReviewSnippets_GroundTruth.txt",
    "movieReviewSnippets_GroundTruth.txt",
    "nytEditorialSnippets_GroundTruth.txt",
)


def banking77(root: Path = DATASETS_DIR) -> list[tuple[str, str]]:
    """Return BANKING77 training rows as (text, intent)."""
    return load_labelled(root / "banking77" / "train.csv")


def tweeteval_sentiment(root: Path = DATASETS_DIR) -> list[tuple[str, str]]:
    """Return TweetEval sentiment validation rows as (text, negative|neutral|positive)."""
    return load_tweeteval(root / "tweeteval" / "sentiment")


def tweeteval_emotion(root: Path = DATASETS_DIR, split: str = "train") -> list[tuple[str, str]]:
    """Return TweetEval emotion rows as (text, anger|joy|optimism|sadness)."""
    return load_tweeteval(root / "tweeteval" / "emotion", split)


def emotion_as_sentiment(rows: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """Map emotion labels to sentiment: anger and sadness negative, joy and optimism positive."""
    return [(text, EMOTION_TO_SENTIMENT[label]) for text, label in rows]


def vader_ground_truth(
    root: Path = DATASETS_DIR,
    *,
    neutral: float = VADER_NEUTRAL,
    files: tuple[str, ...] = VADER_FILES,
) -> list[tuple[str, str]]:
    """Return VADER's human-rated sentences labelled by their mean rating."""
    rows: list[tuple[str, str]] = []
    for name in files:
        path = root / "vader_groundtruth" / name
        for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split("\t")
            if len(parts) < 3 or not parts[2].strip():
                continue
            rating = float(parts[1])
            label = (
                "positive" if rating >= neutral else "negative" if rating <= -neutral else "neutral"
            )
            rows.append((parts[2].strip(), label))
    return rows
