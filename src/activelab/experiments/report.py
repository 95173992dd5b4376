"""The human-readable side of results.json: learning-curve plot, adaptive-arm plot, estimated vs
true accuracy plot, report.md."""

from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

import numpy as np

from .summary import COVERAGE_FROM_LABELS, estimate_coverage, stopping_outcomes


def write_report(results: dict, out: str | Path) -> Path:
    """Write learning_curves.png (and arms.png when adaptive runs exist) and report.md; return
    the report's path."""
    out = Path(out)
    if results["config"].get("task", "classification") != "classification":
        from .task_report import plot_task_curves, render_task_markdown

        plot_task_curves(results, out / "learning_curves.png")
        path = out / "report.md"
        path.write_text(render_task_markdown(results))
        return path
    plot_learning_curves(results, out / "learning_curves.png")
    has_arms = any("arms" in r for r in results["runs"])
    if has_arms:
        plot_arms(results, out / "arms.png")
    if _monitored(results):
        plot_estimates(results, out / "estimated_accuracy.png")
    path = out / "report.md"
    path.write_text(render_markdown(results, has_arms))
    return path


def _curves(results: dict, key: str = "accuracy"):
    grouped = defaultdict(list)
    for r in results["runs"]:
        grouped[r["strategy"]].append(r)
    for strategy in results["config"]["strategies"]:
        runs = grouped.get(strategy)
        if not runs:
            continue
        labels = np.asarray(runs[0]["labels"])
        values = np.asarray([r[key] for r in runs if len(r[key]) == len(labels)])
        yield strategy, labels, values


def plot_learning_curves(results: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    cfg = results["config"]
    n = len(results["config"]["strategies"])
    colors = plt.get_cmap("tab20" if n > 10 else "tab10").colors
    styles = ("-", "--", ":", "-.")
    fig, axes = plt.subplots(1, 2, figsize=(13 if n > 8 else 12, 4.8))
    for ax, key, title in ((axes[0], "accuracy", "Test accuracy"), (axes[1], "f1", "Macro-F1")):
        for i, (strategy, labels, values) in enumerate(_curves(results, key)):
            mean, std = values.mean(axis=0), values.std(axis=0)
            color = colors[i % len(colors)]
            ax.plot(labels, mean, label=f"{strategy} (n={len(values)})", lw=1.6, color=color,
                    ls=styles[(i // len(colors)) % len(styles)])
            ax.fill_between(labels, mean - std, mean + std, color=color, alpha=0.12 if n > 8 else 0.15)
        ax.set_xlabel("labeled examples")
        ax.set_ylabel(title.lower())
        ax.set_title(title)
        ax.grid(alpha=0.3)
    fulls = [r["full_pool_accuracy"] for r in results["runs"] if "full_pool_accuracy" in r]
    if fulls:
        axes[0].axhline(np.mean(fulls), color="grey", ls="--", lw=1, label="full pool")
    name = cfg.get("dataset") or Path(cfg.get("data") or "data").name
    fig.suptitle(f"{name} · {cfg['model']} · batch {cfg['batch_size']} · mean ± std over seeds")
    if n > 6:  # many strategies: one legend beside the panels, never over the curves
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, fontsize=8, loc="center left", bbox_to_anchor=(0.86, 0.5))
        fig.tight_layout(rect=(0, 0, 0.86, 1))
    else:
        axes[0].legend(fontsize=8, loc="lower right")
        fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _monitored(results: dict) -> list[dict]:
    return [r for r in results["runs"] if r.get("estimated_accuracy")]


def plot_estimates(results: dict, path: Path) -> None:
    """Left: estimated vs test accuracy, every round of every run (bars: the 90 % interval).
    Right: share of runs whose interval holds the test accuracy, by label count."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    runs = _monitored(results)
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(12, 4.8))
    by_labels = defaultdict(list)
    for covered in (True, False):
        xs, ys, lo, hi = [], [], [], []
        for r in runs:
            for n, acc, est, ci in zip(r["labels"], r["accuracy"], r["estimated_accuracy"],
                                       r["estimated_accuracy_ci"], strict=False):
                if est is None:
                    continue
                hit = ci[0] <= acc <= ci[1]
                if covered:
                    by_labels[n].append(hit)
                if hit == covered:
                    xs.append(acc)
                    ys.append(est)
                    lo.append(max(est - ci[0], 0.0))
                    hi.append(max(ci[1] - est, 0.0))
        ax.errorbar(xs, ys, yerr=[lo, hi], fmt="o", ms=2.5, lw=0.4, alpha=0.35,
                    color="tab:blue" if covered else "tab:red",
                    label="interval holds the test accuracy" if covered else "it does not")
    lim = [min(ax.get_xlim()[0], ax.get_ylim()[0]), 1.0]
    ax.plot(lim, lim, color="grey", ls="--", lw=1)
    ax.set_xlabel("test accuracy")
    ax.set_ylabel("estimated accuracy (no test labels)")
    ax.set_title("Estimated vs true accuracy, every round")
    ax.legend(fontsize=8, loc="upper left")
    ax.grid(alpha=0.3)
    ns = sorted(by_labels)
    ax2.plot(ns, [np.mean(by_labels[n]) for n in ns], marker="o", ms=3)
    ax2.axhline(0.9, color="grey", ls="--", lw=1, label="nominal 90 %")
    ax2.axvline(COVERAGE_FROM_LABELS, color="grey", ls=":", lw=1)
    ax2.set_ylim(0, 1.02)
    ax2.set_xlabel("labeled examples")
    ax2.set_ylabel("share of runs covered")
    ax2.set_title("Coverage of the 90 % interval")
    ax2.legend(fontsize=8, loc="lower right")
    ax2.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_arms(results: dict, path: Path) -> None:
    """Share of seeds in which each arm was chosen, per round, one panel per adaptive strategy."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from matplotlib.ticker import MaxNLocator

    grouped = defaultdict(list)
    for r in results["runs"]:
        if "arms" in r:
            grouped[r["strategy"]].append(r["arms"])
    fig, axes = plt.subplots(1, len(grouped), figsize=(6 * len(grouped), 4), squeeze=False)
    for ax, (strategy, arm_runs) in zip(axes[0], grouped.items()):
        n_rounds = max(len(a) for a in arm_runs)
        names = sorted({a for arms in arm_runs for a in arms if a is not None})
        share = np.zeros((len(names), n_rounds))
        for arms in arm_runs:
            for t, a in enumerate(arms):
                if a is not None:
                    share[names.index(a), t] += 1.0 / len(arm_runs)
        # round 0 is the seed set: no arm chose it
        ax.stackplot(np.arange(1, n_rounds), share[:, 1:], labels=names, alpha=0.85)
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_xlabel("round")
        ax.set_ylabel("share of seeds")
        ax.set_title(f"{strategy}: arm chosen per round")
        ax.set_ylim(0, 1)
        ax.legend(fontsize=8, loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def render_markdown(results: dict, has_arms: bool = False) -> str:
    cfg, summary = results["config"], results["summary"]
    name = cfg.get("dataset") or cfg.get("data")
    lines = [
        f"# Active learning on {name}",
        "",
        f"Model `{cfg['model']}`, {cfg['initial']} initial labels ({cfg['initial_strategy']}), "
        f"batch {cfg['batch_size']}, {cfg['rounds']} rounds, seeds {_seed_text(cfg['seeds'])}, "
        f"test fraction {cfg['test_size']}, feature scaling `{cfg.get('scale', 'pool')}`.",
        "",
        "AUC is the area under the accuracy-vs-labels curve divided by the label range (a mean "
        "accuracy over the budget). Δ vs random is the paired difference over seeds ± its standard "
        "error; ✓ marks a gain larger than twice the standard error.",
        "",
        "| strategy | AUC (mean ± std) | Δ AUC vs random | final accuracy | final macro-F1 | labels to 95 % | select s/round |",
        "|---|---|---|---|---|---|---|",
    ]
    order = sorted(summary, key=lambda s: -summary[s]["auc_mean"])
    for s in order:
        e = summary[s]
        if "auc_minus_random" in e:
            delta = f"{e['auc_minus_random']:+.4f} ± {e['auc_minus_random_se']:.4f}"
            delta += " ✓" if e.get("beats_random") else ""
        else:
            delta = "—"
        l95 = e["labels_to_95"] if e["labels_to_95"] is not None else "not reached"
        lines.append(
            f"| {s} | {e['auc_mean']:.4f} ± {e['auc_std']:.4f} | {delta} | "
            f"{e['final_accuracy_mean']:.4f} ± {e['final_accuracy_std']:.4f} | "
            f"{e['final_f1_mean']:.4f} | {l95} | {e['select_seconds_mean']:.3f} |"
        )
    fulls = [r["full_pool_accuracy"] for r in results["runs"] if "full_pool_accuracy" in r]
    if fulls:
        lines += ["", f"Accuracy of the model trained on the whole pool: {np.mean(fulls):.4f}."]
    lines += ["", "![learning curves](learning_curves.png)", ""]
    if _monitored(results):
        lines += _monitor_markdown(results)
    if has_arms:
        lines += ["## Arms chosen by the adaptive strategies", "", "![arms](arms.png)", ""]
        for strategy, counts in _arm_counts(results).items():
            text = ", ".join(f"{a}: {c}" for a, c in counts.most_common())
            lines.append(f"- {strategy}: {text}")
        lines.append("")
    return "\n".join(lines)


def _monitor_markdown(results: dict) -> list[str]:
    runs = _monitored(results)
    cov = estimate_coverage(runs)
    lines = [
        "## Accuracy without a test set",
        "",
        "After every round the model's accuracy was estimated from its labels alone "
        "(`activelab.estimate.estimate_accuracy`: the model's confidence over the pool, corrected "
        "by the 5-fold held-out hits of the random seed labels) with a 90 % interval.",
        "",
    ]
    if cov["estimate_rounds"]:
        lines.append(
            f"Over all runs, the interval held the test accuracy in **{cov['estimate_coverage']:.1%}** "
            f"of {cov['estimate_rounds']} rounds with at least {COVERAGE_FROM_LABELS} labels "
            f"(mean estimate − test accuracy {cov['estimate_bias']:+.4f}, mean absolute error "
            f"{cov['estimate_mae']:.4f})."
        )
    lines += ["", "| strategy | coverage (≥ 50 labels) | rounds | bias | MAE |", "|---|---|---|---|---|"]
    for s in results["config"]["strategies"]:
        c = estimate_coverage([r for r in runs if r["strategy"] == s])
        if c["estimate_rounds"]:
            lines.append(f"| {s} | {c['estimate_coverage']:.1%} | {c['estimate_rounds']} | "
                         f"{c['estimate_bias']:+.4f} | {c['estimate_mae']:.4f} |")
    lines += ["", "![estimated vs true accuracy](estimated_accuracy.png)", "",
              "## When to stop: labels saved vs accuracy lost", "",
              "Each rule (`activelab.stopping`) against labeling the whole budget, over all runs: "
              "the runs where it fired, the mean label count at which it did, and over all runs the "
              "labels it saved and the test accuracy given up (both 0 where it never fired).",
              "",
              "| rule | fired | labels at stop | labels saved | accuracy lost (mean) | accuracy lost (worst) |",
              "|---|---|---|---|---|---|"]
    for rule, o in stopping_outcomes(runs).items():
        at = f"{o['labels_at_stop_mean']:.0f}" if o["labels_at_stop_mean"] is not None else "—"
        lines.append(f"| {rule} | {o['fired']}/{o['runs']} | {at} | {o['labels_saved_mean']:.1f} | "
                     f"{o['accuracy_lost_mean']:+.4f} | {o['accuracy_lost_max']:+.4f} |")
    lines.append("")
    return lines


def _arm_counts(results: dict) -> dict[str, Counter]:
    out: dict[str, Counter] = defaultdict(Counter)
    for r in results["runs"]:
        for a in r.get("arms", [])[1:]:
            if a is not None:
                out[r["strategy"]][a] += 1
    return out


def _seed_text(seeds: list[int]) -> str:
    if seeds and seeds == list(range(seeds[0], seeds[-1] + 1)) and len(seeds) > 2:
        return f"{seeds[0]}–{seeds[-1]}"
    return ", ".join(map(str, seeds))
