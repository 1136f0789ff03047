"""`bench-nlu` prints a line per model and backend, also without the data sets."""

from __future__ import annotations

from pathlib import Path

from services.nlu.bench import messages_per_second, run_bench


def test_bench_without_data_sets_reports_speed(tmp_path: Path) -> None:
    lines = list(run_bench(root=tmp_path, backends=("fast",), accuracy=False))
    assert "no data sets" in lines[0]
    rows = [line for line in lines if line.startswith(("intent/", "sentiment"))]
    assert [row.split()[0] for row in rows] == ["intent/general", "sentiment"]
    for row in rows:
        assert float(row.split()[-1].replace(",", "")) > 0


def test_messages_per_second_counts_every_message() -> None:
    seen: list[int] = []
    rate = messages_per_second(lambda batch: seen.append(len(batch)), ["x"] * 300)
    assert rate > 0
    assert sum(seen) == 8 + 3 * 300


def test_unseen_intents_are_withheld_from_training_and_scored_as_out_of_scope() -> None:
    from services.nlu.bench import unseen_intents_report

    words = {
        "refund": ["refund", "money back", "reimburse"],
        "track": ["track", "where is", "shipping status"],
        "login": ["password", "log in", "sign in"],
        "cancel": ["cancel", "terminate", "stop my plan"],
        "address": ["address", "move house", "new street"],
        "invoice": ["invoice", "receipt", "bill copy"],
        "weather": ["rain", "sunny", "forecast"],
        "recipe": ["bake", "cook", "ingredients"],
    }
    rows = [
        (f"{w} please, order {n}", intent)
        for intent, ws in words.items()
        for w in ws
        for n in range(10)
    ]
    report = unseen_intents_report(rows, "fast", unseen=2, seed=3)
    assert report["oos_n"] == 60, "every row of the two withheld intents is out-of-scope traffic"
    assert report["in_scope_n"] == 36, "a fifth of the six seen intents' rows"
    assert report["in_scope_accuracy"] > 0.8
    assert 0.0 <= report["oos_recall"] <= 1.0
