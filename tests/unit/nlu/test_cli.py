"""`baton intent train|evaluate` and `baton sentiment evaluate` on small generated data."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from services.cli.nlu_commands import intent_app, sentiment_app
from services.nlu.intent_model import META_FILE, MODEL_FILE
from tests.unit.nlu.examples import template_rows

runner = CliRunner()


def _write_csv(path: Path, rows: list[tuple[str, str]], header: tuple[str, str]) -> Path:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _last_json(output: str) -> dict[str, object]:
    last = output.strip().splitlines()[-1]
    parsed = json.loads(last)
    assert isinstance(parsed, dict)
    return parsed


@pytest.fixture(scope="module")
def trained(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("cli")
    data = _write_csv(folder / "train.csv", template_rows(), ("text", "label"))
    out = folder / "model"
    result = runner.invoke(
        intent_app, ["train", "--data", str(data), "--out", str(out), "--backend", "fast"]
    )
    assert result.exit_code == 0, result.output
    assert "trained intent-tfidf-lr-" in result.output
    assert "4 intents" in result.output
    return out


def test_train_writes_a_model_folder(trained: Path) -> None:
    assert (trained / MODEL_FILE).is_file()
    meta = json.loads((trained / META_FILE).read_text())
    assert meta["labels"] == ["greet", "password", "refund", "track"]
    assert meta["backend"] == "fast"


def test_train_from_yaml_without_progress_bar(tmp_path: Path) -> None:
    grouped: dict[str, list[str]] = {}
    for text, label in template_rows():
        grouped.setdefault(label, []).append(text)
    grouped["oos"] = ["volcano eruption facts", "quantum chromodynamics lecture"]
    data = tmp_path / "intents.yaml"
    data.write_text(yaml.safe_dump(grouped))
    result = runner.invoke(
        intent_app,
        ["train", "--data", str(data), "--out", str(tmp_path / "m"), "--no-progress"],
    )
    assert result.exit_code == 0, result.output
    assert "2 oos rows" in result.output
    assert json.loads((tmp_path / "m" / META_FILE).read_text())["n_oos_examples"] == 2


def test_evaluate_json_has_oos_figures(trained: Path, tmp_path: Path) -> None:
    rows = [
        ("where is the parcel now", "track"),
        ("please refund my purchase", "refund"),
        ("I forgot my password again", "password"),
        ("hi there, thanks", "greet"),
        ("what is the capital of peru", "oos"),
        ("recipe for banana bread", "oos"),
    ]
    data = _write_csv(tmp_path / "test.csv", rows, ("text", "label"))
    result = runner.invoke(
        intent_app, ["evaluate", "--model", str(trained), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = _last_json(result.output)
    for key in ("accuracy", "macro_f1", "in_scope_accuracy", "oos_precision", "oos_recall"):
        value = report[key]
        assert isinstance(value, float)
        assert 0.0 <= value <= 1.0, key
    assert report["n"] == 6
    assert report["closed_set_accuracy"] == 1.0


def test_evaluate_without_oos_rows_omits_oos_figures(trained: Path, tmp_path: Path) -> None:
    rows = [("where is my order", "track"), ("refund the box", "refund")]
    data = _write_csv(tmp_path / "test.csv", rows, ("text", "category"))
    result = runner.invoke(
        intent_app, ["evaluate", "--model", str(trained), "--data", str(data), "--json"]
    )
    assert result.exit_code == 0, result.output
    report = _last_json(result.output)
    assert {"accuracy", "macro_f1"} <= report.keys()
    assert "oos_recall" not in report


def test_evaluate_prints_a_readable_summary(trained: Path, tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "t.csv", [("where is my order", "track")], ("text", "label"))
    result = runner.invoke(intent_app, ["evaluate", "--model", str(trained), "--data", str(data)])
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.output
    assert "macro_f1" in result.output


def test_bad_inputs_fail_cleanly(tmp_path: Path) -> None:
    headerless = tmp_path / "bad.csv"
    headerless.write_text("just,some\nwords,here\n")
    result = runner.invoke(
        intent_app, ["train", "--data", str(headerless), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code != 0
    one_intent = _write_csv(tmp_path / "one.csv", [("hi", "greet")] * 5, ("text", "label"))
    result = runner.invoke(
        intent_app, ["train", "--data", str(one_intent), "--out", str(tmp_path / "m")]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        intent_app, ["evaluate", "--model", str(tmp_path / "absent"), "--data", str(one_intent)]
    )
    assert result.exit_code != 0
    result = runner.invoke(
        intent_app, ["train", "--data", str(one_intent), "--out", "x", "--backend", "huge"]
    )
    assert result.exit_code != 0


def test_sentiment_evaluate_json(tmp_path: Path) -> None:
    rows = [
        ("this is terrible, I hate it", "negative"),
        ("what time do you open", "neutral"),
        ("great, thank you so much", "positive"),
        ("awful service, never again", "negative"),
    ]
    data = _write_csv(tmp_path / "s.csv", rows, ("text", "label"))
    result = runner.invoke(
        sentiment_app, ["evaluate", "--data", str(data), "--json", "--backend", "fast"]
    )
    assert result.exit_code == 0, result.output
    report = _last_json(result.output)
    assert report["macro_recall"] == 1.0
    per_class = report["per_class"]
    assert isinstance(per_class, dict)
    assert set(per_class) == {"negative", "neutral", "positive"}
    for figures in per_class.values():
        assert {"precision", "recall"} <= figures.keys()
    plain = runner.invoke(sentiment_app, ["evaluate", "--data", str(data), "--backend", "fast"])
    assert plain.exit_code == 0
    assert "macro_recall 1.0000" in plain.output


def test_sentiment_evaluate_rejects_unknown_labels(tmp_path: Path) -> None:
    data = _write_csv(tmp_path / "s.csv", [("fine", "meh")], ("text", "label"))
    result = runner.invoke(sentiment_app, ["evaluate", "--data", str(data)])
    assert result.exit_code != 0
