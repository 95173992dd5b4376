"""The `activelab` command line: run experiments, list strategies, and (with the serve extra)
the labeling service's commands."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from typing import Optional

try:
    import typer
    from rich.console import Console
    from rich.table import Table
except ImportError:  # pragma: no cover - exercised only without the cli extra
    typer = None

from ._errors import ActiveLabError, InvalidInputError

if typer is not None:
    app = typer.Typer(
        add_completion=False, no_args_is_help=True,
        help="Pool-based active learning: simulate strategies, compare them, label data.",
    )
    err = Console(stderr=True)

    def _show_version(value: bool) -> None:
        if value:
            from . import __version__

            typer.echo(f"activelab {__version__}")
            raise typer.Exit(0)

    @app.callback()
    def _root(
        version: bool = typer.Option(False, "--version", is_eager=True, callback=_show_version,
                                     help="Print the version and exit."),
    ) -> None:
        """Pool-based active learning: simulate strategies, compare them, label data."""

    @app.command("run")
    def run_command(
        task: str = typer.Option("classification", help="classification, regression, multilabel or stream (each with its own strategies, models and datasets: `activelab strategies --task T`)."),
        dataset: Optional[str] = typer.Option(None, help="Built-in dataset (see `activelab datasets --task T`); default digits, diabetes, yeast or phishing by task."),
        data: Optional[Path] = typer.Option(None, help="User data file: .csv, .parquet or .npz (overrides --dataset)."),
        target: Optional[str] = typer.Option(None, help="Label column of --data (.npz: array name, default 'y')."),
        strategy: Optional[str] = typer.Option(None, help="Comma-separated strategy names (stream: selectors); random is the baseline. Default: random,auto,margin for classification, a task's main strategies otherwise."),
        model: Optional[str] = typer.Option(None, help="Model name (see `activelab models --task T`) or module:Class (classification); default logreg, ridge for regression, sgd for streams."),
        budget: Optional[float] = typer.Option(None, help="--task stream: the labeling rate, the fraction of items whose label may be bought (default 0.1)."),
        initial: int = typer.Option(20, help="Size of the seed set."),
        initial_strategy: str = typer.Option("random", help="Strategy that picks the seed set (needs no model)."),
        batch_size: int = typer.Option(10, help="Labels per round."),
        rounds: int = typer.Option(20, help="Query rounds after the seed set."),
        seeds: str = typer.Option("0-4", help="Seeds, e.g. '0-4' or '0,2,5'."),
        test_size: float = typer.Option(0.25, help="Held-out fraction per seed."),
        scale: str = typer.Option("pool", help="Feature scaling: 'pool' (standardize with the pool's statistics) or 'none'."),
        param: list[str] = typer.Option([], help="Strategy parameter STRATEGY.KEY=VALUE (repeatable)."),
        out: Path = typer.Option(Path("runs/latest"), help="Output folder (re-running resumes)."),
        jobs: int = typer.Option(1, help="Runs in parallel (processes)."),
        overwrite: bool = typer.Option(False, help="Discard runs already saved in --out."),
        embedding: Optional[Path] = typer.Option(None, help="Embedding .npy (one row per dataset row, see `activelab embed`) for geometry strategies."),
        id_column: Optional[str] = typer.Option(None, "--id-column", help="Row-id column of --data: checked unique, not a feature."),
        drop: str = typer.Option("", "--drop", help="Comma-separated columns of --data not to use as features."),
        backend: str = typer.Option("memory", help="Where each selection runs: memory (this process, every strategy), local (streamed in pieces) or ray (a Ray cluster; see `activelab strategies` for which strategies run there)."),
        ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster address (host:port or auto) for --backend ray; default: start a local Ray."),
    ) -> None:
        """Simulate active learning for each strategy × seed and write results.json, plots and report.md."""
        from .experiments import tasks
        from .experiments.report import write_report
        from .experiments.runner import ExperimentConfig, parse_seeds, run_experiment

        tasks.check_task(task)
        strategy = strategy or tasks.DEFAULT_STRATEGIES[task]
        model = model or tasks.default_model(task)
        dataset = dataset or tasks.DEFAULT_DATASET[task]
        if task == "stream" and budget is None:
            budget = tasks.DEFAULT_BUDGET
        config = ExperimentConfig(
            task=task, budget=budget,
            dataset=None if data else dataset, data=str(data) if data else None, target=target,
            model=model, initial=initial, initial_strategy=initial_strategy,
            batch_size=batch_size, rounds=rounds, test_size=test_size, scale=scale,
            strategies=tuple(dict.fromkeys(s.strip() for s in strategy.split(",") if s.strip())),
            seeds=parse_seeds(seeds), strategy_params=parse_params(param),
            embedding=str(embedding) if embedding else None, id_column=id_column,
            drop=tuple(c.strip() for c in drop.split(",") if c.strip()),
            backend=None if backend == "memory" else backend, ray_address=ray_address,
        )
        if jobs < 1:
            raise InvalidInputError(f"--jobs must be at least 1; got {jobs}.")
        try:
            results = run_experiment(config, out, jobs=jobs, overwrite=overwrite, progress=RichProgress())
        except KeyboardInterrupt:
            err.print(f"interrupted: finished runs are saved in {out}; run the same command to resume.")
            raise typer.Exit(130)
        report = write_report(results, out)
        print_summary(results)
        Console().print(f"results: {out / 'results.json'}\nreport:  {report}")
        from .experiments.runner import left_out

        skipped = left_out(config, out)
        if skipped:
            err.print(f"note: {out} also holds earlier runs of {'; '.join(skipped)}, which "
                      "results.json and report.md leave out (they cover this command's strategies "
                      "and seeds); name them in --strategy/--seeds to include them.")

    @app.command("embed")
    def embed_command(
        data: Path = typer.Argument(..., help="CSV/Parquet/JSONL of texts, .npy/.npz of images, or a folder of PNG/JPEG images."),
        out: Path = typer.Option(..., "--out", help="The embedding to write (.npy, one row per item, in DATA's order)."),
        method: str = typer.Option("sentence", help="sentence (text), ssl (images: self-supervised) or module:function."),
        text_column: Optional[str] = typer.Option(None, help="Text column of a table (field of JSONL); default 'text'."),
        epochs: Optional[int] = typer.Option(None, help="ssl: training epochs."),
        image_size: Optional[int] = typer.Option(None, help="Images: resize to this side (8-64)."),
        seed: int = typer.Option(0, help="ssl: random seed."),
    ) -> None:
        """Embed a dataset (sentence embeddings, a self-supervised image encoder, or your own) into an .npy file."""
        from .embeddings import embed, save_npy

        if out.suffix.lower() != ".npy":
            raise InvalidInputError(f"--out must name an .npy file; got {out.name!r}.")
        options = {k: v for k, v in {"epochs": epochs, "image_size": image_size}.items() if v is not None}
        Z = embed(data, method, text_column=text_column, random_state=seed, progress=True, **options)
        save_npy(out, Z)
        Console().print(f"embedding of {Z.shape[0]} items × {Z.shape[1]} dims: {out}")

    _TASK_OPTION = typer.Option("classification", help="classification, regression, multilabel or stream.")

    def _list_task_names(task: str, what: str) -> None:
        """The names a non-classification task accepts, with the first docstring line of each
        strategy (selector) where one is available."""
        from .experiments import tasks

        tasks.check_task(task)
        described = tasks.describe_datasets(task) if what == "datasets" else {}
        for name in tasks.names(task, what):
            doc = described.get(name, "")
            if what == "strategies":
                try:
                    obj = getattr(tasks.package(task), tasks.SPECS[task].make_strategy)(
                        name, **({"budget": tasks.DEFAULT_BUDGET} if task == "stream" else {}))
                    doc = ((type(obj).__doc__ or "").strip().splitlines() or [""])[0]
                except ActiveLabError:
                    doc = ""
            typer.echo(f"{name:32s} {doc}".rstrip())

    @app.command("strategies")
    def strategies_command(task: str = _TASK_OPTION) -> None:
        """List the registered query strategies with their family, paper, and how each runs on a
        ParquetPool or Ray (--backend local/ray); with --task, that setting's strategies."""
        if task != "classification":
            return _list_task_names(task, "strategies")
        from .distributed import describe
        from .strategies import describe_strategies

        distributed = describe()
        table = Table(title="activelab strategies")
        for col in ("name", "family", "reference", "what it does", "ParquetPool / Ray"):
            table.add_column(col, overflow="fold")
        for info in describe_strategies():
            table.add_row(info.name, info.family, info.reference, info.summary,
                          distributed.get(info.name, "not distributed"))
        Console(width=200).print(table)

    @app.command("datasets")
    def datasets_command(task: str = _TASK_OPTION) -> None:
        """List the built-in datasets (all offline); with --task, that setting's."""
        if task != "classification":
            return _list_task_names(task, "datasets")
        from .experiments.datasets import describe_datasets

        for name, desc in describe_datasets().items():
            typer.echo(f"{name:24s} {desc}")

    @app.command("models")
    def models_command(task: str = _TASK_OPTION) -> None:
        """List the model names `run --model` accepts; with --task, that setting's."""
        if task != "classification":
            return _list_task_names(task, "models")
        from .models import model_names

        for name in model_names():
            typer.echo(name)
        typer.echo("module:Class  (any importable scikit-learn classifier with predict_proba)")

    try:
        from .service.commands import add_commands
    except ImportError as exc:  # the serve extra is not installed (or not built yet)
        _service_error = str(exc)

        @app.command("serve", context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
        def serve_missing() -> None:
            """The labeling service (needs `pip install activelab[serve]`)."""
            raise InvalidInputError(
                f"the labeling service is not available ({_service_error}); "
                "install it with: pip install 'activelab[serve]'"
            )
    else:
        add_commands(app)

    class RichProgress:
        """Rich progress bar over rounds × seeds × strategies."""

        def start(self, total: int, done: int) -> None:
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

            self._p = Progress("[progress.description]{task.description}", BarColumn(),
                               MofNCompleteColumn(), TimeRemainingColumn(), console=err,
                               transient=False)
            self._p.start()
            self._task = self._p.add_task("rounds", total=total, completed=done)

        def advance(self, n: int) -> None:
            self._p.advance(self._task, n)

        def stop(self) -> None:
            self._p.stop()

    def print_summary(results: dict) -> None:
        table = Table(title="area under the learning curve (mean ± std over seeds)")
        summary = results["summary"]
        metric = next(iter(summary.values()), {}).get("metric", "accuracy")
        final = "final acc" if metric == "accuracy" else f"final {metric}"
        stream = results["config"].get("task") == "stream"
        for col in ("strategy", "AUC", "Δ vs random", final,
                    "labels spent" if stream else "labels to 95%"):
            table.add_column(col)
        for s in sorted(summary, key=lambda k: -summary[k]["auc_mean"]):
            e = summary[s]
            delta = (f"{e['auc_minus_random']:+.4f} ± {e['auc_minus_random_se']:.4f}"
                     + (" ✓" if e.get("beats_random") else "")) if "auc_minus_random" in e else "—"
            table.add_row(s, f"{e['auc_mean']:.4f} ± {e['auc_std']:.4f}", delta,
                          f"{e['final_mean']:.4f}",
                          f"{e['labels_spent_mean']:.1f}" if stream else str(e["labels_to_95"] or "—"))
        Console().print(table)


def parse_params(items: list[str]) -> dict[str, dict]:
    """['qbc_vote.n_members=7'] → {'qbc_vote': {'n_members': 7}} (values read as Python literals)."""
    params: dict[str, dict] = {}
    for item in items:
        key, sep, raw = item.partition("=")
        strategy, dot, name = key.partition(".")
        if not (sep and dot and strategy and name):
            raise InvalidInputError(f"cannot read --param {item!r}; write STRATEGY.KEY=VALUE.")
        try:
            value = ast.literal_eval(raw)
        except (ValueError, SyntaxError):
            value = raw
        params.setdefault(strategy, {})[name] = value
    return params


def main(argv: list[str] | None = None) -> int:
    """Console entry point: one clear line and a non-zero exit for any error of ours."""
    if typer is None:
        print("error: the activelab command needs its extra: pip install 'activelab[cli]'", file=sys.stderr)
        return 2
    try:
        code = app(args=argv, prog_name="activelab", standalone_mode=False)  # an Exit returns its code
    except ActiveLabError as exc:
        err.print(f"[bold red]error:[/] {exc}", highlight=False, soft_wrap=True)
        return 2
    except typer.Exit as exc:
        return exc.exit_code
    except KeyboardInterrupt:
        err.print("interrupted.")
        return 130
    except typer.Abort:
        return 130
    except typer.exceptions.TyperException as exc:  # usage errors: the usage line, one message
        return show_usage_error(exc)
    return code if isinstance(code, int) else 0


def show_usage_error(exc) -> int:
    """Print a command-line usage error (unknown option or command, a bad value) as the usage
    line and one message, as click would in standalone mode; returns its exit status (2)."""
    show = getattr(exc, "show", None)
    if show is None:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    show()
    return int(getattr(exc, "exit_code", 2))


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())


def run() -> None:  # pragma: no cover - the console script
    sys.exit(main())
