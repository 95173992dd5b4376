"""report.md and learning_curves.png for regression, multi-label and stream experiments: one
panel per metric (mean ± std over seeds), and for streams the labels spent over the stream."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import numpy as np

from .._tasks import HIGHER_IS_BETTER

_TITLES = {
    "r2": "R² (test)", "rmse": "RMSE (test)", "mae": "MAE (test)",
    "micro_f1": "micro-F1 (test)", "macro_f1": "macro-F1 (test)",
    "hamming_loss": "Hamming loss (test)", "subset_accuracy": "subset accuracy (test)",
    "prequential_accuracy": "prequential accuracy (test-then-train)",
    "windowed_accuracy": "windowed prequential accuracy", "label_rate": "labels / items",
}


def _grouped(results: dict) -> dict[str, list[dict]]:
    grouped = defaultdict(list)
    for r in results["runs"]:
        grouped[r["strategy"]].append(r)
    return {s: grouped[s] for s in results["config"]["strategies"] if grouped.get(s)}


def _x(run: dict) -> np.ndarray:
    return np.asarray(run.get("x", run["labels"]))


def _metrics(results: dict) -> list[str]:
    names: list[str] = []
    for r in results["runs"]:
        names += [m for m in r.get("metric_names", []) if m not in names]
    primary = results["runs"][0]["primary_metric"] if results["runs"] else None
    return sorted(names, key=lambda m: m != primary)


def plot_task_curves(results: dict, path: Path) -> None:
    """One panel per metric; streams add the labels spent against the items seen."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = results["config"]
    groups = _grouped(results)
    metrics = _metrics(results)
    stream = cfg.get("task") == "stream"
    panels = metrics + (["labels"] if stream else [])
    cols = min(3, max(1, len(panels)))
    rows = int(np.ceil(len(panels) / cols)) or 1
    fig, axes = plt.subplots(rows, cols, figsize=(5.2 * cols, 4.2 * rows), squeeze=False)
    colors = plt.get_cmap("tab10").colors
    for ax, key in zip(axes.ravel(), panels, strict=False):
        for i, (strategy, runs) in enumerate(groups.items()):
            x = _x(runs[0])
            values = np.asarray([r[key] for r in runs if len(r[key]) == len(x)], dtype=float)
            if values.size == 0:
                continue
            mean, std = values.mean(axis=0), values.std(axis=0)
            color = colors[i % len(colors)]
            ax.plot(x, mean, lw=1.5, color=color, label=f"{strategy} (n={len(values)})")
            ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.15)
        if key == "labels" and cfg.get("budget"):
            xs = _x(next(iter(groups.values()))[0])
            ax.plot(xs, cfg["budget"] * xs, color="grey", ls="--", lw=1, label="budget × items")
        ax.set_xlabel("items seen" if stream else "labeled examples")
        title = "labels spent" if key == "labels" else _TITLES.get(key, key)
        better = "" if key not in HIGHER_IS_BETTER else (" ↑" if HIGHER_IS_BETTER[key] else " ↓")
        ax.set_title(title + better)
        ax.grid(alpha=0.3)
    for ax in axes.ravel()[len(panels):]:
        ax.axis("off")
    axes[0][0].legend(fontsize=8)
    name = cfg.get("dataset") or Path(cfg.get("data") or "data").name
    detail = (f"budget {cfg.get('budget')}" if stream else f"batch {cfg['batch_size']}")
    fig.suptitle(f"{cfg['task']} · {name} · {cfg['model']} · {detail} · mean ± std over seeds")
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


def render_task_markdown(results: dict) -> str:
    """The report of a regression, multi-label or stream experiment."""
    from .report import _seed_text

    cfg, summary = results["config"], results["summary"]
    task = cfg["task"]
    name = cfg.get("dataset") or cfg.get("data")
    metrics = _metrics(results)
    primary = metrics[0] if metrics else "?"
    stream = task == "stream"
    if stream:
        setup = (f"Stream `{name}`, model `{cfg['model']}`, labeling budget {cfg.get('budget')} "
                 f"of the items, seeds {_seed_text(cfg['seeds'])}; each item is predicted "
                 "first, then the selector decides whether to buy its label (test-then-train).")
    else:
        setup = (f"Model `{cfg['model']}`, {cfg['initial']} initial labels "
                 f"({cfg['initial_strategy']}), batch {cfg['batch_size']}, {cfg['rounds']} "
                 f"rounds, seeds {_seed_text(cfg['seeds'])}, test fraction {cfg['test_size']}.")
    x_word = "items seen" if stream else "labels"
    lines = [
        f"# Active learning ({task}) on {name}", "", setup, "",
        f"AUC is the area under the {primary}-vs-{x_word} curve divided by the {x_word} range "
        f"({primary} is this task's primary metric; higher is better). Δ vs random is the "
        "paired difference over seeds ± its standard error; ✓ marks a gain larger than twice "
        "the standard error.", "",
    ]
    extra = [m for m in metrics[1:]]
    head = ["strategy", f"AUC {primary} (mean ± std)", "Δ AUC vs random", f"final {primary}"]
    head += [f"final {m}" for m in extra]
    head += ["labels spent"] if stream else ["labels to 95 %"]
    head += ["select s"]
    lines += ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for s in sorted(summary, key=lambda k: -summary[k]["auc_mean"]):
        e = summary[s]
        if "auc_minus_random" in e:
            delta = f"{e['auc_minus_random']:+.4f} ± {e['auc_minus_random_se']:.4f}"
            delta += " ✓" if e.get("beats_random") else ""
        else:
            delta = "—"
        row = [s, f"{e['auc_mean']:.4f} ± {e['auc_std']:.4f}", delta,
               f"{e['final_mean']:.4f} ± {e['final_std']:.4f}"]
        row += [f"{e.get(f'final_{m}_mean', float('nan')):.4f}" for m in extra]
        if stream:
            row.append(f"{e.get('labels_spent_mean', float('nan')):.1f}")
        else:
            row.append(str(e["labels_to_95"]) if e["labels_to_95"] is not None else "not reached")
        row.append(f"{e['select_seconds_mean']:.4f}")
        lines.append("| " + " | ".join(row) + " |")
    full_key = f"full_pool_{primary}"
    fulls = [r[full_key] for r in results["runs"] if full_key in r]
    if fulls:
        lines += ["", f"{primary} of the model trained on the whole pool: {np.mean(fulls):.4f}."]
    lines += ["", "![learning curves](learning_curves.png)", ""]
    return "\n".join(lines)
