"""``baton intent``, ``baton sentiment``, ``baton bench-nlu``: train, measure and time the NLU."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer

intent_app = typer.Typer(
    help="Intent models: train on your own examples, evaluate.", no_args_is_help=True
)
sentiment_app = typer.Typer(
    help="Sentiment: evaluate a backend on labelled rows.", no_args_is_help=True
)


@intent_app.callback()
def _intent_group() -> None:
    """Intent models: train on your own examples, evaluate."""


@sentiment_app.callback()
def _sentiment_group() -> None:
    """Sentiment: evaluate a backend on labelled rows."""


BackendOption = Annotated[
    str | None,
    typer.Option(help="fast | accurate (default: BATON_NLU_BACKEND, else fast)."),
]


@contextmanager
def _progress_bar(enabled: bool) -> Iterator[Any]:
    """Yield a progress callback drawing a rich bar on stderr, or None when disabled."""
    if not enabled:
        yield None
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    columns = (TextColumn("{task.description:<28}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=Console(stderr=True), transient=False) as bar:
        task = bar.add_task("training", total=None)

        def report(what: str, done: int, total: int) -> None:
            bar.update(task, description=what, completed=done, total=total)

        yield report


def _resolve(backend: str | None) -> Any:
    from services.nlu.settings import resolve_backend

    try:
        return resolve_backend(backend)
    except ValueError as error:
        raise typer.BadParameter(str(error)) from error


def _read_rows(path: Path) -> list[tuple[str, str]]:
    from services.nlu.evaluate import load_labelled

    try:
        return load_labelled(path)
    except (OSError, ValueError) as error:
        raise typer.BadParameter(str(error), param_hint="--data") from error


@intent_app.command("train")
def intent_train(
    data: Annotated[
        Path, typer.Option(help="CSV with text,label columns, or YAML {intent: [examples]}.")
    ],
    out: Annotated[Path, typer.Option(help="Folder to write the model into.")],
    backend: BackendOption = None,
    seed: Annotated[int, typer.Option(help="Seed for folds and intent groups.")] = 0,
    oos_weight: Annotated[
        float, typer.Option(help="Weight of OOS recall against in-scope accuracy, 0..1.")
    ] = 0.5,
    progress: Annotated[bool, typer.Option(help="Show a progress bar on stderr.")] = True,
) -> None:
    """Train an intent model; rows labelled oos only tune the out-of-scope threshold."""
    from services.nlu.intent_model import IntentModel

    rows = _read_rows(data)
    chosen = _resolve(backend)
    with _progress_bar(progress) as report:
        try:
            model = IntentModel.train(
                rows, backend=chosen, seed=seed, oos_weight=oos_weight, progress=report
            )
        except ValueError as error:
            raise typer.BadParameter(str(error), param_hint="--data") from error
    model.save(out)
    search = model.meta["threshold_search"]
    typer.echo(
        f"trained {model.version} ({chosen}) on {model.meta['n_examples']} examples, "
        f"{len(model.labels)} intents, {model.meta['n_oos_examples']} oos rows"
    )
    typer.echo(
        f"threshold {model.threshold:.2f}: held-out in-scope accuracy "
        f"{search['in_scope_accuracy']:.3f}, pseudo-OOS recall {search['oos_recall']:.3f}"
    )
    typer.echo(f"saved to {out}")


@intent_app.command("evaluate")
def intent_evaluate(
    model: Annotated[Path, typer.Option(help="Folder written by `baton intent train`.")],
    data: Annotated[Path, typer.Option(help="CSV text,label or YAML; label oos = out of scope.")],
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object.")] = False,
) -> None:
    """Measure a trained intent model on labelled rows."""
    from services.nlu.evaluate import evaluate_intents
    from services.nlu.intent_model import IntentModel

    rows = _read_rows(data)
    try:
        loaded = IntentModel.load(model)
    except (OSError, ValueError, KeyError) as error:
        raise typer.BadParameter(f"cannot load model: {error}", param_hint="--model") from error
    report = evaluate_intents(loaded, rows)
    if as_json:
        typer.echo(json.dumps(report, sort_keys=True))
        return
    typer.echo(f"model {loaded.version} on {report['n']} rows")
    for key in (
        "accuracy",
        "macro_f1",
        "closed_set_accuracy",
        "in_scope_accuracy",
        "oos_precision",
        "oos_recall",
    ):
        if key in report:
            typer.echo(f"  {key:<20} {report[key]:.4f}")


@sentiment_app.command("evaluate")
def sentiment_evaluate(
    data: Annotated[Path, typer.Option(help="CSV text,label with negative/neutral/positive.")],
    backend: BackendOption = None,
    as_json: Annotated[bool, typer.Option("--json", help="End with one JSON object.")] = False,
) -> None:
    """Measure the sentiment backend on labelled rows."""
    from services.nlu.evaluate import SENTIMENT_LABELS, evaluate_sentiment
    from services.nlu.sentiment_model import load_default

    rows = _read_rows(data)
    unknown = sorted({label for _, label in rows} - set(SENTIMENT_LABELS))
    if unknown:
        raise typer.BadParameter(f"unknown labels {unknown}", param_hint="--data")
    scorer = load_default(backend=_resolve(backend))
    report = evaluate_sentiment(scorer, rows)
    report["model_version"] = scorer.version
    if as_json:
        typer.echo(json.dumps(report, sort_keys=True))
        return
    typer.echo(f"sentiment {scorer.version} on {report['n']} rows")
    typer.echo(f"  accuracy {report['accuracy']:.4f}  macro_recall {report['macro_recall']:.4f}")
    for label, figures in report["per_class"].items():
        typer.echo(
            f"  {label:<9} precision {figures['precision']:.4f}  recall {figures['recall']:.4f}"
        )


def bench_nlu() -> None:
    """Print accuracy and messages/s (batched, one core) of each NLU backend and model."""
    from services.nlu.bench import run_bench

    for line in run_bench():
        typer.echo(line)
