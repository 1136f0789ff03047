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
