"""Cross-check of activelab's MMC, Adaptive and random against ALiPy 1.2.5's implementations.

1. Same state, same pick: from random labeled sets of Yeast (20, 50, 100 rows; 5 seeds each),
   both libraries pick one row (batch 1, where their algorithms coincide) with the same binary
   relevance model (bare liblinear logistic regression per label, ALiPy's Adaptive default;
   ALiPy's predict_real only reads decision values from a bare LogisticRegression or SVC).
   Reported: how often the picks agree, and where they differ, the rank of ALiPy's pick in
   activelab's scores and the reason.
2. Same curve within noise: 5 seeds on Yeast, the same seed set, 10 rounds of 10; each library
   picks, activelab's model is refitted and scored (micro-F1 on the held-out third); paired
   Δ AUC (activelab − ALiPy) ± 2·SE.

Writes benchmarks/results/multilabel_peers.{json,md}.

    .venv-bench/bin/python benchmarks/multilabel_peers.py [--quick]
"""

from __future__ import annotations

import argparse
import json
import time
import warnings
from pathlib import Path

import numpy as np
from alipy.index import MultiLabelIndexCollection
from alipy.query_strategy.multi_label import (
    QueryMultiLabelAdaptive,
    QueryMultiLabelMMC,
    QueryMultiLabelRandom,
)
from sklearn.linear_model import LogisticRegression

from activelab import UNLABELED
from activelab.experiments.metrics import learning_curve_auc, paired_difference
from activelab.multilabel import (
    BinaryRelevance,
    MultilabelContext,
    load_multilabel_dataset,
    make_multilabel_strategy,
    multilabel_metrics,
    simulate_multilabel,
)
from activelab.multilabel import scores as S

OUT = Path(__file__).parent / "results"
#: β grid for both libraries' Adaptive: Li & Guo's 0, 0.1, …, 1 without 0. At β = 0 the score is
#: the cardinality inconsistency alone, on which hundreds of Yeast rows tie; ALiPy keeps every
#: tied row as a look-ahead candidate and refits for each (one pick took 200 s in a trial run),
#: activelab draws one. Without 0 both keep one candidate per β, and the picks isolate the
#: algorithm itself.
BETAS = [i / 10 for i in range(1, 11)]


def base():
    return LogisticRegression(solver="liblinear")


def alipy_query(name, X, Y, seed):
    if name == "mmc":
        # ALiPy's default logreg_param passes multi_class=, which scikit-learn 1.9 removed;
        # lbfgs at C=1 is activelab's label-count model (same strictly convex optimum)
        return QueryMultiLabelMMC(X, Y, base_clf=base(), logreg_param={"max_iter": 1000},
                                  random_state=seed)
    if name == "adaptive":
        return QueryMultiLabelAdaptive(X, Y, base_clf=base(), betas=BETAS, random_state=seed)
    return QueryMultiLabelRandom(X, Y)


def alipy_pick(q, name, lab, unl, batch, L, seed):
    if name == "random":
        np.random.seed(seed)  # ALiPy's random draws from NumPy's global generator
        u = MultiLabelIndexCollection([(int(i),) for i in unl], label_size=L)
        return [int(t[0]) for t in q.select(None, u, batch_size=batch, select_type="ins")]
    return [int(t[0]) for t in q.select(list(map(int, lab)), list(map(int, unl)), batch_size=batch)]


def same_state(X, Y, sizes, seeds) -> dict:
    out = {}
    for name in ("mmc", "adaptive"):
        rows = []
        for size in sizes:
            for seed in seeds:
                rng = np.random.default_rng([seed, size])
                lab = np.sort(rng.choice(X.shape[0], size, replace=False))
                Y_obs = np.full(Y.shape, UNLABELED)
                Y_obs[lab] = Y[lab]
                model = BinaryRelevance(base()).fit(X[lab], Y[lab])
                ctx = MultilabelContext(X=X, Y=Y_obs, model=model, factory=BinaryRelevance(base()),
                                        random_state=seed)
                params = {"betas": tuple(BETAS)} if name == "adaptive" else {}
                strat = make_multilabel_strategy(name, **params)
                t0 = time.perf_counter()
                sel = strat.select(ctx, 1, np.random.default_rng(seed))
                t_ours = time.perf_counter() - t0
                scores = sel.scores
                unl = ctx.candidate_idx
                t0 = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    theirs = alipy_pick(alipy_query(name, X, Y, seed), name, lab, unl, 1,
                                        Y.shape[1], seed)[0]
                t_alipy = time.perf_counter() - t0
                pos = int(np.searchsorted(unl, theirs))
                rank = int((scores > scores[pos]).sum()) + 1
                note, emulated = "", None
                if name == "adaptive":
                    d = ctx.decision()
                    no_pos = int(((d > 0).sum(axis=1) == 0).sum())
                    emulated = alipy_rule_adaptive(ctx)
                    note = (f"beta {sel.info['beta']}; {no_pos} candidates predicted with no "
                            "label; activelab's score functions with ALiPy's margin rule pick "
                            f"{'the same row as ALiPy' if theirs in emulated else emulated}")
                rows.append({"alipy_rule_reproduces_alipy": None if emulated is None else theirs in emulated,
                             "labeled": size, "seed": seed, "ours": int(sel.idx[0]),
                             "alipy": theirs, "same": int(sel.idx[0]) == theirs,
                             "alipy_rank_in_ours": rank, "ties_at_top": int((scores == scores.max()).sum()),
                             "seconds_ours": t_ours, "seconds_alipy": t_alipy, "note": note})
                print(name, size, seed, rows[-1]["same"], rank, flush=True)
        out[name] = {"agree": sum(r["same"] for r in rows), "of": len(rows), "rows": rows}
    return out


def alipy_rule_adaptive(ctx) -> list[int]:
    """ALiPy's Adaptive rebuilt from activelab's pieces with its one different rule: a row with no
    label predicted present (or none absent) has separation margin ∞, so uncertainty 0. Every
    row tied at a β's maximum is a candidate. Returns the pool rows of minimal look-ahead error."""
    d = ctx.decision()
    pos = np.where(d > 0, d, np.inf).min(axis=1)
    neg = np.where(d < 0, d, -np.inf).max(axis=1)
    u = 1.0 / (pos - neg)
    c = S.label_cardinality_inconsistency(d, ctx.Y_labeled)
    pred = (d > 0).astype(np.int64)
    cand = set()
    for beta in BETAS:
        s = S.adaptive_scores(u, c, beta)
        cand |= set(np.flatnonzero(s == s.max()).tolist())
    err = {i: S.approximate_error(ctx.decision_rows(ctx.candidate_idx, model=ctx.refit_with(
        ctx.candidate_idx[i], pred[i]))) for i in sorted(cand)}
    low = min(err.values())
    return [int(ctx.candidate_idx[i]) for i, e in err.items() if e == low]


def curves(X, Y, seeds, rounds, batch, initial) -> dict:
    out = {}
    for name in ("random", "mmc", "adaptive"):
        ours_auc, alipy_auc, o_curves, a_curves = [], [], [], []
        for seed in seeds:
            perm = np.random.default_rng([seed, 99]).permutation(X.shape[0])
            test, pool = np.sort(perm[: X.shape[0] // 3]), np.sort(perm[X.shape[0] // 3:])
            Xp, Yp, Xt, Yt = X[pool], Y[pool], X[test], Y[test]
            params = {"betas": tuple(BETAS)} if name == "adaptive" else {}
            ours = simulate_multilabel(Xp, Yp, Xt, Yt, strategy=name, model=BinaryRelevance(base()),
                                       initial=initial, batch_size=batch, rounds=rounds,
                                       random_state=seed, **params)
            lab = np.array(ours.selected[0])
            q = alipy_query(name, Xp, Yp, seed)
            curve, x = [], []
            for r in range(rounds + 1):
                if r:
                    unl = np.setdiff1d(np.arange(Xp.shape[0]), lab)
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")
                        picks = alipy_pick(q, name, lab, unl, batch, Y.shape[1], seed * 1000 + r)
                    lab = np.union1d(lab, picks)
                m = BinaryRelevance(base()).fit(Xp[lab], Yp[lab])
                curve.append(multilabel_metrics(Yt, (m.predict_proba(Xt) > 0.5).astype(int))["micro_f1"])
                x.append(lab.size)
            assert x == ours.x
            ours_auc.append(learning_curve_auc(ours.x, ours.metrics["micro_f1"]))
            alipy_auc.append(learning_curve_auc(x, curve))
            o_curves.append(ours.metrics["micro_f1"])
            a_curves.append(curve)
            print(name, seed, round(ours_auc[-1], 4), round(alipy_auc[-1], 4), flush=True)
        d, se = paired_difference(ours_auc, alipy_auc)
        out[name] = {"auc_ours": ours_auc, "auc_alipy": alipy_auc, "delta": d, "se": se,
                     "within_noise": bool(abs(d) <= 2 * se), "x": x,
                     "mean_curve_ours": np.mean(o_curves, axis=0).tolist(),
                     "mean_curve_alipy": np.mean(a_curves, axis=0).tolist()}
    return out


def markdown(res: dict) -> str:
    c = res["config"]
    lines = ["# Multi-label cross-check: activelab vs ALiPy 1.2.5", "",
             f"Yeast; model: binary relevance over bare liblinear logistic regression in both "
             f"libraries. Same-state picks from labeled sets of {c['sizes']} rows × seeds "
             f"{c['seeds']}; curves: seeds {c['seeds']}, seed set {c['initial']}, "
             f"{c['rounds']} rounds of {c['batch']}.", "",
             "## 1. Same state, same pick (batch 1)", "",
             "| strategy | same pick | ALiPy's pick: median rank in activelab's scores | max rank "
             "| ALiPy's rule rebuilt from activelab's pieces gives ALiPy's pick | s/pick activelab | s/pick ALiPy |",
             "|---|---|---|---|---|---|---|"]
    for name, v in res["same_state"].items():
        ranks = [r["alipy_rank_in_ours"] for r in v["rows"]]
        rep = [r["alipy_rule_reproduces_alipy"] for r in v["rows"]]
        rep_s = "—" if rep[0] is None else f"{sum(rep)} / {len(rep)}"
        lines.append(f"| {name} | {v['agree']} / {v['of']} | {np.median(ranks):.0f} | {max(ranks)} | "
                     f"{rep_s} | {np.mean([r['seconds_ours'] for r in v['rows']]):.2f} | "
                     f"{np.mean([r['seconds_alipy'] for r in v['rows']]):.2f} |")
    lines += ["", "## 2. Same curve within noise (batch 10)", "",
              "| strategy | micro-F1 AUC activelab | ALiPy | Δ ± 2·SE | within noise |",
              "|---|---|---|---|---|"]
    for name, v in res["curves"].items():
        lines.append(f"| {name} | {np.mean(v['auc_ours']):.4f} | {np.mean(v['auc_alipy']):.4f} | "
                     f"{v['delta']:+.4f} ± {2 * v['se']:.4f} | {'yes' if v['within_noise'] else 'no'} |")
    lines += ["", "## Where and why they differ", ""] + [f"- {n}" for n in res["notes"]] + [""]
    return "\n".join(lines)


NOTES = [
    "MMC, batch 1: the same algorithm (2p − 1 outputs, label count from a logistic regression on "
    "sorted normalized probabilities, ŷ on the most probable labels). ALiPy's default "
    "logreg_param passes multi_class=, which scikit-learn 1.9 removed, so the cross-check passes "
    "{'max_iter': 1000} (lbfgs, C = 1, activelab's label-count model).",
    "MMC quirk: ALiPy decides whether the label count is constant from the whole y (unlabeled "
    "rows' true labels included), activelab from the labeled rows only.",
    "Batch mode (MMC and Adaptive): ALiPy picks a batch one row at a time, retraining its model "
    "on the true labels of the rows it already picked in that batch (an oracle answer before the "
    "batch is sent); activelab scores once and takes the top k (no labels leak). Curves are "
    "therefore compared within noise, not pick by pick.",
    "Adaptive: ALiPy gives a row predicted with no label (or with every label) a separation "
    "margin of ∞, i.e. uncertainty 0; activelab measures the margin to the threshold 0 on the "
    "missing side (the distance of the closest label to a flip). The column 'ALiPy's rule "
    "rebuilt' swaps in ALiPy's rule (and its all-ties candidate set) around activelab's own score "
    "functions and refits: where it reproduces ALiPy's pick, that rule is the whole difference.",
    "Adaptive, β grid: both libraries run Li & Guo's grid without β = 0 here. At β = 0 the score "
    "is the label-cardinality inconsistency alone, on which hundreds of Yeast rows tie; ALiPy "
    "keeps every tied row as a look-ahead candidate and refits for each (one pick took 200 s in "
    "a trial run with 50 labeled rows), activelab keeps one per β, drawn by its rng.",
    "Adaptive quirk: ALiPy's predict_real reads decision values only from a bare "
    "LogisticRegression or SVC; a Pipeline (e.g. with StandardScaler) silently yields all-zero "
    "outputs, so the cross-check uses bare liblinear logistic regression.",
    "Random: both draw uniformly (ALiPy from NumPy's global generator); only the curves compare.",
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    X, Y, _ = load_multilabel_dataset("yeast")
    seeds = list(range(2 if args.quick else 5))
    cfg = {"sizes": [20, 50, 100], "seeds": seeds, "initial": 20, "batch": 10,
           "rounds": 3 if args.quick else 10}
    t0 = time.perf_counter()
    res = {"config": cfg,
           "same_state": same_state(X, Y, cfg["sizes"], seeds),
           "curves": curves(X, Y, seeds, cfg["rounds"], cfg["batch"], cfg["initial"]),
           "notes": NOTES}
    res["config"]["wall_seconds"] = time.perf_counter() - t0
    stem = "multilabel_peers_quick" if args.quick else "multilabel_peers"
    (OUT / f"{stem}.json").write_text(json.dumps(res, indent=1))
    (OUT / f"{stem}.md").write_text(markdown(res))
    print(markdown(res))


if __name__ == "__main__":
    main()
