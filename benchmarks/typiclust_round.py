"""TypiClust's cost per round on label-suite-sized pools: activelab's strategy against a plain
reference measured in the same run, with the same picks (issue 14).

    python benchmarks/typiclust_round.py            # writes results/typiclust_round.json
    python benchmarks/typiclust_round.py --repeats 3 --datasets digits

The reference is TypiClust as it reads, the way activelab ran it before: scikit-learn's
`KMeans(n_init="auto")` (k-means++ seeds, Lloyd iterations), then one `NearestNeighbors`
search per visited cluster. activelab's strategy finds the same k-means++ seeds itself
(`activelab.geometry.sklearn_kmeanspp_indices`: scikit-learn's greedy seeding calls
`euclidean_distances` once per center, ~1 ms of validation and upcasting each, 500 times for 500
clusters) and calls the brute-force K-NN routine that `NearestNeighbors.kneighbors` calls without
the estimator around it (~0.5 ms per visited cluster). Each state is a round of the label suite:
a pool of 75 % of the dataset, |L| labeled rows, clusters = min(|L| + batch, 500).

Times are CPU seconds of this process (`time.process_time`, single-threaded BLAS/OpenMP), the
median over repeats: on a shared 2-core machine wall-clock time measures the neighbours' load
(the label suite's 0.7–1.6 s per round were wall seconds under a load average of 6–20); wall
seconds are recorded too.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, machine, versions, write_json

from activelab import UNLABELED
from activelab.experiments import load_dataset
from activelab.loop import build_context
from activelab.strategies import make_strategy

STATES = [(10, 20), (10, 110), (10, 210), (50, 20), (50, 270), (50, 470)]  # (batch, |L|)
DATASETS = ("digits", "synthetic_many_classes", "synthetic_hard")


def reference_typiclust(F, labeled, batch_size, seed, k_neighbors=20, min_cluster_size=5,
                        max_clusters=500):
    """TypiClust plainly: KMeans into min(|L| + B, 500) clusters; clusters visited round-robin
    (fewest labels, largest, lowest id first; those of at most 5 rows once the others run out),
    each visit taking its remaining row of highest typicality from a fresh K-NN search."""
    from sklearn.cluster import KMeans
    from sklearn.neighbors import NearestNeighbors

    k = min(len(labeled) + batch_size, max_clusters, F.shape[0])
    labels = KMeans(k, n_init="auto", random_state=seed).fit_predict(F)
    sizes = np.bincount(labels, minlength=k)
    covered = np.bincount(labels[labeled], minlength=k)
    free = np.ones(F.shape[0], bool)
    free[labeled] = False
    members_of = {c: np.flatnonzero(labels == c) for c in range(k)}
    order = [c for c in np.lexsort((np.arange(k), -sizes, covered)) if sizes[c] > 0]
    chosen = []
    for tier in ([c for c in order if sizes[c] > min_cluster_size],
                 [c for c in order if sizes[c] <= min_cluster_size]):
        while len(chosen) < batch_size and any(free[members_of[c]].any() for c in tier):
            for c in tier:
                members = members_of[c][free[members_of[c]]]
                if len(chosen) == batch_size or members.size == 0:
                    continue
                if members.size == 1:
                    best = members[0]
                else:
                    kk = min(k_neighbors, members.size // 2)
                    dist, _ = NearestNeighbors(n_neighbors=kk).fit(F[members]).kneighbors()
                    best = members[np.argmax(1.0 / (dist.mean(axis=1) + 1e-5))]
                chosen.append(int(best))
                free[best] = False
    return np.asarray(chosen)


def _timed(fn, repeats):
    cpu, wall, out = [], [], None
    for _ in range(repeats):
        c0, w0 = time.process_time(), time.perf_counter()
        out = fn()
        cpu.append(time.process_time() - c0)
        wall.append(time.perf_counter() - w0)
    return float(np.median(cpu)), float(np.median(wall)), out


def measure(dataset: str, repeats: int) -> list[dict]:
    X, y = load_dataset(dataset)
    rng = np.random.default_rng(0)
    pool = np.sort(rng.permutation(len(y))[: int(0.75 * len(y))])
    X, y = X[pool], y[pool]
    strat = make_strategy("typiclust")
    rows = []
    for batch, n_labeled in STATES:
        y_round = np.full(len(y), UNLABELED)
        lab = np.sort(rng.choice(len(y), n_labeled, replace=False))
        y_round[lab] = y[lab]
        ctx = build_context(X, y_round, strategy=strat, random_state=0)
        F = ctx.features()
        seed = int(np.random.default_rng(1).integers(2**31 - 1))  # what select draws first
        ref_cpu, ref_wall, ref = _timed(
            lambda F=F, lab=lab, batch=batch, seed=seed: reference_typiclust(F, lab, batch, seed), repeats)
        new_cpu, new_wall, sel = _timed(
            lambda ctx=ctx, batch=batch: strat.select(ctx, batch, np.random.default_rng(1)), repeats)
        same = bool(np.array_equal(sel.idx, ref))
        rows.append({"dataset": dataset, "n_pool": len(y), "n_dims": F.shape[1], "batch": batch,
                     "n_labeled": n_labeled, "n_clusters": sel.info["n_clusters"],
                     "reference_cpu_s": ref_cpu, "activelab_cpu_s": new_cpu,
                     "reference_wall_s": ref_wall, "activelab_wall_s": new_wall, "same_picks": same})
        print(f"{dataset:24s} n={len(y):5d} d={F.shape[1]:3d} batch {batch:2d} |L| {n_labeled:3d} "
              f"k={sel.info['n_clusters']:3d}: reference {ref_cpu:.3f} s, activelab {new_cpu:.3f} s "
              f"CPU (wall {ref_wall:.3f} / {new_wall:.3f}); same picks: {same}", flush=True)
    return rows


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--datasets", type=lambda s: s.split(","), default=list(DATASETS))
    p.add_argument("--repeats", type=int, default=5)
    p.add_argument("--out", type=Path, default=RESULTS / "typiclust_round.json")
    args = p.parse_args(argv)
    rows = [r for d in args.datasets for r in measure(d, args.repeats)]
    ref = np.array([r["reference_cpu_s"] for r in rows])
    new = np.array([r["activelab_cpu_s"] for r in rows])
    summary = {"reference_cpu_s_mean": float(ref.mean()), "activelab_cpu_s_mean": float(new.mean()),
               "reference_cpu_s_max": float(ref.max()), "activelab_cpu_s_max": float(new.max()),
               "all_same_picks": all(r["same_picks"] for r in rows)}
    print(f"mean per round: reference {ref.mean():.3f} s, activelab {new.mean():.3f} s CPU "
          f"(max {ref.max():.3f} / {new.max():.3f}); same picks in every state: "
          f"{summary['all_same_picks']}")
    write_json(args.out, {"suite": "typiclust_round", "machine": machine(),
                          "versions": versions(["activelab", "numpy", "scikit-learn"]),
                          "repeats": args.repeats, "summary": summary, "rounds": rows})
    print(f"wrote {args.out}")
    return 0 if summary["all_same_picks"] else 1


if __name__ == "__main__":
    sys.exit(main())
