"""Cross-check activelab.stream's Žliobaitė selectors against scikit-activeml 1.0.1's
FixedUncertainty, VariableUncertainty, RandomVariableUncertainty, Split and StreamRandomSampling
(with their default budget managers) on the same streams.

Part A, same probabilities: one fixed sequence of class probabilities per stream (a model that
learns every label, prequentially) is shown to both libraries item by item; their query
decisions are compared one by one. activelab runs with ``allowance=1e9`` (its hard cap off,
so the rule and the windowed budget estimate are what is compared) and with its default
``allowance=1`` (the cap on: where and how much the decisions then differ is reported).

Part B, the active loop: each library's decisions drive its own copy of the same incremental
model (River StandardScaler | one-vs-rest LogisticRegression), test-then-train; both see the
uniform distribution until two classes are labeled (activelab's own run_stream would instead
query during cold start; kept equal here so only the rules differ). Deterministic rules must
make the same decisions; randomized ones use different random streams, so label counts and
the AUC of prequential accuracy are compared over seeds (mean ± 2·SE of the paired difference).

    .venv-bench/bin/python benchmarks/stream_peers.py [--quick]

Writes benchmarks/results/stream_peers.json and .md (--quick: results/quick/).
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine, versions, write_json

from activelab.experiments.metrics import learning_curve_auc, paired_difference
from activelab.stream import load_stream, make_selector, make_stream_model

PAIRS = {  # activelab selector -> scikit-activeml class name
    "fixed_uncertainty": "FixedUncertainty",
    "variable_uncertainty": "VariableUncertainty",
    "randomized_variable_uncertainty": "RandomVariableUncertainty",
    "split": "Split",
    "random": "StreamRandomSampling",
}
DETERMINISTIC = {"fixed_uncertainty", "variable_uncertainty"}


class _GivenProba:
    """Built lazily: a SkactivemlClassifier whose predict_proba returns the probabilities it is
    handed (the strategies only call predict_proba on the candidate)."""

    cls = None

    @classmethod
    def make(cls, classes):
        if cls.cls is None:
            from skactiveml.base import SkactivemlClassifier

            class GivenProba(SkactivemlClassifier):
                def fit(self, X, y, sample_weight=None):
                    return self

                def predict_proba(self, X):
                    return np.atleast_2d(self.proba_)

            cls.cls = GivenProba
        clf = cls.cls(classes=classes)
        clf.classes_ = np.asarray(classes)
        return clf


def skactiveml_strategy(name: str, budget: float, classes, seed: int):
    from skactiveml import stream as sk

    cls = getattr(sk, PAIRS[name])
    if name == "fixed_uncertainty":
        return cls(classes=classes, budget=budget, random_state=seed)
    return cls(budget=budget, random_state=seed)


def sk_decide(qs, clf, x: np.ndarray, proba: np.ndarray, name: str) -> bool:
    cand = x.reshape(1, -1)
    if name == "random":
        q = qs.query(cand)
    else:
        clf.proba_ = proba
        q = qs.query(cand, clf=clf)
    qs.update(cand, q)
    return len(q) > 0


class ActivelabRule:
    def __init__(self, name, budget, n_classes, seed, allowance=1.0):
        self.sel = make_selector(name, budget=budget, allowance=allowance).reset(n_classes, seed)

    def __call__(self, x, proba) -> bool:
        return self.sel.decide(x, proba).queried


class SkactivemlRule:
    def __init__(self, name, budget, classes, seed):
        self.name, self.qs = name, skactiveml_strategy(name, budget, list(classes), seed)
        self.clf = _GivenProba.make(classes)

    def __call__(self, x, proba) -> bool:
        return sk_decide(self.qs, self.clf, x, proba, self.name)


def full_information_proba(X, y, classes) -> np.ndarray:
    """Probabilities of a model that learns every label after predicting it (prequential)."""
    model = make_stream_model("river_logreg")
    model.start(classes)
    P = np.empty((X.shape[0], classes.size))
    for i, (x, label) in enumerate(zip(X, y)):
        P[i] = model.predict_proba(x[None])[0]
        model.learn_one(x, label)
    return P


def part_a(X, y, classes, budgets, seeds) -> list[dict]:
    P = full_information_proba(X, y, classes)
    rows = []
    for name in PAIRS:
        for budget in budgets:
            for seed in seeds if name not in DETERMINISTIC else seeds[:1]:
                sk = SkactivemlRule(name, budget, classes, seed)
                ours = {a: ActivelabRule(name, budget, classes.size, seed, allowance=a)
                        for a in (1e9, 1.0)}
                dec = {"skactiveml": [], 1e9: [], 1.0: []}
                for x, p in zip(X, P):
                    dec["skactiveml"].append(sk(x, p))
                    for a, rule in ours.items():
                        dec[a].append(rule(x, p))
                s = np.array(dec["skactiveml"])
                n = len(s)
                row = {"selector": name, "budget": budget, "seed": seed, "items": n,
                       "labels_skactiveml": int(s.sum())}
                for a, key in ((1e9, "cap_off"), (1.0, "cap_on")):
                    o = np.array(dec[a])
                    diff = np.flatnonzero(o != s)
                    cum_s = np.cumsum(s) - budget * np.arange(1, n + 1)
                    row[key] = {"labels": int(o.sum()), "same_decisions": int((o == s).sum()),
                                "first_difference": int(diff[0]) if diff.size else None}
                row["skactiveml_max_excess"] = float(cum_s.max())
                rows.append(row)
    return rows


def loop(rule, X, y, classes) -> tuple[list[bool], list[bool]]:
    """Test-then-train with the rule's decisions; uniform probabilities until two classes."""
    model = make_stream_model("river_logreg")
    model.start(classes)
    seen: set = set()
    queried, correct = [], []
    uniform = np.full(classes.size, 1.0 / classes.size)
    for x, label in zip(X, y):
        proba = model.predict_proba(x[None])[0] if len(seen) >= 2 else uniform
        correct.append(classes[int(np.argmax(proba))] == label)
        q = rule(x, proba)
        queried.append(q)
        if q:
            model.learn_one(x, label)
            seen.add(label.item() if isinstance(label, np.generic) else label)
    return queried, correct


def curve_auc(correct: list[bool], every: int) -> float:
    c = np.cumsum(correct) / np.arange(1, len(correct) + 1)
    x = list(range(every, len(correct) + 1, every))
    if x[-1] != len(correct):
        x.append(len(correct))
    return learning_curve_auc(x, c[np.array(x) - 1])


def part_b(X, y, classes, budgets, seeds, stream, stream_seeded) -> list[dict]:
    rows = []
    for name in PAIRS:
        for budget in budgets:
            per_seed = []
            for seed in seeds:
                Xs, ys = (load_stream(stream, seed=seed) if stream_seeded else (X, y))
                every = max(1, int(np.ceil(len(ys) / 100)))
                runs = {}
                for lib, rule in (("activelab", ActivelabRule(name, budget, classes.size, seed,
                                                              allowance=1e9)),
                                  ("skactiveml", SkactivemlRule(name, budget, classes, seed))):
                    q, c = loop(rule, Xs, ys, classes)
                    runs[lib] = {"labels": int(np.sum(q)), "auc": curve_auc(c, every),
                                 "queried": q}
                same = int(np.sum(np.array(runs["activelab"]["queried"])
                                  == np.array(runs["skactiveml"]["queried"])))
                per_seed.append({"seed": seed, "items": len(ys), "same_decisions": same,
                                 **{f"{k}_{lib}": runs[lib][k] for lib in runs
                                    for k in ("labels", "auc")}})
            d, se = paired_difference([r["auc_activelab"] for r in per_seed],
                                      [r["auc_skactiveml"] for r in per_seed])
            dl, sel = paired_difference([r["labels_activelab"] for r in per_seed],
                                        [r["labels_skactiveml"] for r in per_seed])
            rows.append({"selector": name, "budget": budget, "runs": per_seed,
                         "delta_auc": d, "two_se_auc": 2 * se, "delta_labels": dl,
                         "two_se_labels": 2 * sel,
                         "all_same_decisions": all(r["same_decisions"] == r["items"]
                                                   for r in per_seed)})
    return rows


def markdown(result: dict) -> str:
    cfg = result["config"]
    out = ["# activelab.stream vs scikit-activeml 1.0.1 (stream selectors)", "",
           f"Streams {', '.join(cfg['streams'])}; budgets {cfg['budgets']}; seeds {cfg['seeds']}. "
           "Generated by `benchmarks/stream_peers.py`" + (" --quick" if cfg["quick"] else "")
           + f" in {result['seconds']:.0f} s. Same defaults on both sides: θ₀ = 1, s = 0.01, "
           "δ = 1, v = 0.1, budget window w = 100.", ""]
    for stream, res in result["streams"].items():
        out += [f"## {stream}", "", "### A. Same probability sequence, decisions item by item", "",
                ("| selector | b | seed | skactiveml labels | activelab, cap off: labels · same decisions | "
                "activelab, cap on (allowance 1): labels · same · first difference | skactiveml max spent(t) − b·t |"),
                "|---|---|---|---|---|---|---|"]
        for r in res["same_proba"]:
            off, on = r["cap_off"], r["cap_on"]
            out.append(f"| {r['selector']} | {r['budget']} | {r['seed']} | {r['labels_skactiveml']} | "
                       f"{off['labels']} · {off['same_decisions']}/{r['items']} | "
                       f"{on['labels']} · {on['same_decisions']}/{r['items']} · "
                       f"{on['first_difference'] if on['first_difference'] is not None else '—'} | "
                       f"{r['skactiveml_max_excess']:.2f} |")
        out += ["", "### B. Active loop (each library's decisions train its own model)", "",
                ("| selector | b | identical decisions (all seeds) | labels activelab / skactiveml (mean) | "
                "Δ labels ± 2·SE | AUC activelab / skactiveml | Δ AUC ± 2·SE |"),
                "|---|---|---|---|---|---|---|"]
        for r in res["loop"]:
            la = np.mean([x["labels_activelab"] for x in r["runs"]])
            ls = np.mean([x["labels_skactiveml"] for x in r["runs"]])
            aa = np.mean([x["auc_activelab"] for x in r["runs"]])
            asn = np.mean([x["auc_skactiveml"] for x in r["runs"]])
            out.append(f"| {r['selector']} | {r['budget']} | {'yes' if r['all_same_decisions'] else 'no'} | "
                       f"{la:.1f} / {ls:.1f} | {r['delta_labels']:+.1f} ± {r['two_se_labels']:.1f} | "
                       f"{aa:.4f} / {asn:.4f} | {r['delta_auc']:+.4f} ± {r['two_se_auc']:.4f} |")
        out.append("")
    return "\n".join(out) + "\n"


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--out", type=Path, default=None)
    args = ap.parse_args(argv)
    cfg = {"quick": args.quick,
           "streams": ["phishing"] if args.quick else ["phishing", "segment_phased"],
           "budgets": [0.1] if args.quick else [0.05, 0.1, 0.2],
           "seeds": [0, 1] if args.quick else [0, 1, 2, 3, 4]}
    out = args.out or (RESULTS / "quick" if args.quick else RESULTS)
    t0 = time.perf_counter()
    streams = {}
    for stream in cfg["streams"]:
        X, y = load_stream(stream, seed=0)
        classes = np.unique(y)
        streams[stream] = {
            "same_proba": part_a(X, y, classes, cfg["budgets"], cfg["seeds"]),
            "loop": part_b(X, y, classes, cfg["budgets"], cfg["seeds"], stream, True),
        }
        print(f"{stream}: {time.perf_counter() - t0:.0f} s", flush=True)
    for res in streams.values():  # per-item decisions are not worth storing
        for r in res["loop"]:
            for run in r["runs"]:
                run.pop("queried", None)
    result = {"config": cfg, "machine": machine(),
              "versions": versions(["activelab", "skactiveml", "numpy", "scikit-learn", "river"]),
              "seconds": time.perf_counter() - t0, "streams": streams}
    write_json(out / "stream_peers.json", result)
    (out / "stream_peers.md").write_text(markdown(result))
    print(f"wrote {out / 'stream_peers.json'} in {result['seconds']:.0f} s")


if __name__ == "__main__":
    main()
