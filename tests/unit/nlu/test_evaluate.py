"""The evaluation helpers compute the figures they claim to."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.nlu.evaluate import (
    classification_report,
    cross_validate_intents,
    evaluate_sentiment,
    load_tweeteval,
)
from services.nlu.sentiment_model import load_default


def test_classification_report_by_hand() -> None:
    gold = ["negative", "negative", "neutral", "positive"]
    predicted = ["negative", "neutral", "neutral", "negative"]
    report = classification_report(gold, predicted, ("negative", "neutral", "positive"))
    assert report["accuracy"] == 0.5
    assert report["per_class"]["negative"] == {
        "precision": 0.5,
        "recall": 0.5,
        "f1": 0.5,
        "support": 2,
    }
    assert report["per_class"]["neutral"]["precision"] == 0.5
    assert report["per_class"]["neutral"]["recall"] == 1.0
    assert report["per_class"]["positive"]["recall"] == 0.0
    assert report["macro_recall"] == pytest.approx(0.5)


def test_evaluate_sentiment_on_clear_rows() -> None:
    rows = [
        ("this is terrible, I hate it", "negative"),
        ("what time do you open", "neutral"),
        ("great, thank you so much", "positive"),
    ]
    report = evaluate_sentiment(load_default(), rows)
    assert report["accuracy"] == 1.0
    assert report["macro_recall"] == 1.0
    assert report["n"] == 3


def test_load_tweeteval_maps_labels(tmp_path: Path) -> None:
    (tmp_path / "mapping.txt").write_text("0\tnegative\n1\tneutral\n2\tpositive\n")
    (tmp_path / "val_text.txt").write_text("bad day\nok\nlovely\n")
    (tmp_path / "val_labels.txt").write_text("0\n1\n2\n")
    assert load_tweeteval(tmp_path) == [
        ("bad day", "negative"),
        ("ok", "neutral"),
        ("lovely", "positive"),
    ]


def test_cross_validation_on_separable_data() -> None:
    rows = [(f"where is my parcel number {i}", "track") for i in range(10)]
    rows += [(f"please refund the money for item {i}", "refund") for i in range(10)]
    report = cross_validate_intents(rows, folds=5)
    assert report["accuracy"] == 1.0
    assert 0.0 <= report["ece_uncalibrated"] <= 1.0
