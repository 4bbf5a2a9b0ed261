"""make bench (ALS part): mfpipe's als against cmfrec's explicit ALS (its conjugate-gradient
default and exact Cholesky solves, weighted-lambda as mfpipe's) and implicit's ALS
(implicit feedback: time per iteration only) on the SGD benchmark's 10 M split, k = 32,
1 and 2 threads, in the same run.

Seconds per iteration: peers (time of 10 iterations - time of 1) / 9, so that loading and
setup are not counted; mfpipe's training loop time over its iterations, from the run
record (no held-out scoring). Test RMSE after 10 iterations, on the 1 M held-out ratings,
and, at equal accuracy on two threads, the time mfpipe's als and cmfrec cg take to reach a
test RMSE both reach (the worse of their best values over the 10 iterations, plus 0.002:
the SGD part's rule), cmfrec's curve from a fit of n iterations for each n;
and the objective both engines minimise, on the training ratings after 10 iterations (and
after 40, mfpipe's als beside cmfrec's exact solver, to compare the two at its optimum):
Σ (r − μ − b_i − c_j − W_i·H_j)² + λ_r Σ (n_i ‖W_i‖² + n_j ‖H_j‖²) + λ_b Σ (n_i b_i² + n_j c_j²).
The same model for both: ratings centred by their mean (mfpipe's normalize `mean`; cmfrec's
center), biases and factors fitted by ALS with weighted-λ. mfpipe's λ is on the unit-RMS
scale of the centred ratings, so cmfrec gets λ_r = λ x that RMS for the factors and λ_b = λ
for the biases (what mfpipe's penalties are on the rating scale; `cmfrec_peer.py`).
mfpipe's ccd (CCD++, the same model and objective) runs beside its als for reference.
Peak RSS: of mfpipe's whole scored `run` (its factorize node, the upstream ones cached), and
of a fresh Python process that loads the training file and fits the peer once (10
iterations), this script re-run with --peer.
  als.py BINARY WORK
  als.py BINARY WORK --peer ENGINE THREADS   (one fit, for its peak RSS)"""
import json
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

import cmfrec_peer
from heldout import factorize, write_pipeline
from measure import measured

binary, work = sys.argv[1], sys.argv[2]
k, iterations, lam = 32, 10, 0.05
names = ["UserId", "ItemId", "Rating"]
train = pd.read_csv(f"{work}/train.txt", sep=" ", header=None, names=names)
scale = cmfrec_peer.centred_rms(train["Rating"])
peers = ["cmfrec cg", "cmfrec cholesky", "implicit (implicit feedback)"]


def fit_peer(engine, n, threads):
    """`engine` (one of `peers`) fitted with `n` iterations on `threads` threads."""
    if engine.startswith("cmfrec"):
        return cmfrec_peer.fit(train, k, lam, scale, n, threads, cg=engine == "cmfrec cg")
    import implicit
    from threadpoolctl import threadpool_limits
    matrix = sp.csr_matrix((train["Rating"].to_numpy(np.float32), (train["UserId"].to_numpy(), train["ItemId"].to_numpy())))
    with threadpool_limits(1, "blas"):
        model = implicit.cpu.als.AlternatingLeastSquares(factors=k, iterations=n, num_threads=threads, random_state=1)
        model.fit(matrix, show_progress=False)
    return model


if sys.argv[3:4] == ["--peer"]:
    fit_peer(sys.argv[4], iterations, int(sys.argv[5]))
    sys.exit(0)

test = pd.read_csv(f"{work}/test.txt", sep=" ", header=None, names=names)
results = []

pipeline = write_pipeline(work, "als", {"algorithm": "als", "k": k, "epochs": iterations, "regularization": lam})
for algorithm in ("als", "ccd"):
    for threads in (1, 2):
        seconds, curve, objective, rss = factorize(binary, pipeline, work, threads, [f"factorize.algorithm={algorithm}"])
        results.append({"engine": f"mfpipe {algorithm}", "threads": threads, "seconds_per_iteration": seconds, "test_rmse": curve[-1],
                        "objective": objective, "peak_rss_mb": rss, "curve": curve})


def timed(engine, threads):
    """Seconds per iteration from fitting 1 and `iterations` iterations, and the longer model."""
    start = time.perf_counter()
    fit_peer(engine, 1, threads)
    one = time.perf_counter() - start
    start = time.perf_counter()
    model = fit_peer(engine, iterations, threads)
    return (time.perf_counter() - start - one) / (iterations - 1), model


def cmfrec_objective(model):
    """The shared objective (see above) of a cmfrec model on the training ratings."""
    users = pd.Index(model.user_mapping_).get_indexer(train["UserId"])
    items = pd.Index(model.item_mapping_).get_indexer(train["ItemId"])
    a, b = model.A_.astype(np.float64), model.B_.astype(np.float64)
    predicted = model.glob_mean_ + model.user_bias_[users] + model.item_bias_[items] + np.einsum("ij,ij->i", a[users], b[items])
    by_user, by_item = np.bincount(users, minlength=len(a)), np.bincount(items, minlength=len(b))
    return float(np.sum((train["Rating"].to_numpy() - predicted) ** 2)
                 + lam * scale * (np.sum(by_user * np.sum(a ** 2, 1)) + np.sum(by_item * np.sum(b ** 2, 1)))
                 + lam * (np.sum(by_user * model.user_bias_.astype(np.float64) ** 2) + np.sum(by_item * model.item_bias_.astype(np.float64) ** 2)))


for threads in (1, 2):
    for engine in peers:
        seconds, model = timed(engine, threads)
        result = {"engine": engine, "threads": threads, "seconds_per_iteration": seconds, "test_rmse": None, "objective": None}
        if engine.startswith("cmfrec"):
            result["test_rmse"] = cmfrec_peer.test_rmse(model, test)
            result["objective"] = cmfrec_objective(model)
        _, _, result["peak_rss_mb"] = measured([sys.executable, __file__, binary, work, "--peer", engine, str(threads)])
        results.append(result)

print(f"{'engine':<30}{'threads':>8}{'s/iteration':>13}{'test RMSE @10':>15}{'objective @10':>15}{'peak RSS MB':>13}")
for r in results:
    rmse = f"{r['test_rmse']:.4f}" if r["test_rmse"] is not None else "-"
    objective = f"{r['objective']:.6g}" if r["objective"] is not None else "-"
    print(f"{r['engine']:<30}{r['threads']:>8}{r['seconds_per_iteration']:>13.3f}{rmse:>15}{objective:>15}{r['peak_rss_mb']:>13.0f}")
for threads in (1, 2):
    ours = [r for r in results if r["engine"] == "mfpipe als" and r["threads"] == threads][0]["seconds_per_iteration"]
    for r in results:
        if r["threads"] == threads and not r["engine"].startswith("mfpipe"):
            print(f"{threads} thread(s): mfpipe als per iteration is {r['seconds_per_iteration'] / ours:.2f}x faster than {r['engine']}")
for engine in dict.fromkeys(r["engine"] for r in results):
    one, two = (next(r["seconds_per_iteration"] for r in results if r["engine"] == engine and r["threads"] == t) for t in (1, 2))
    print(f"{engine}: 1 -> 2 threads {one / two:.2f}x")


def cmfrec_curve(threads):
    """cmfrec cg's test RMSE after n iterations, n = 1 … `iterations` (a fit of its own for each n)."""
    curve = []
    for n in range(1, iterations + 1):
        curve.append(cmfrec_peer.test_rmse(fit_peer("cmfrec cg", n, threads), test))
    return curve


# Equal accuracy on two threads: the time each engine's iterations take to reach a held-out RMSE
# both reach (the worse of their best values plus 0.002, as the SGD part's target).
mine = next(r for r in results if r["engine"] == "mfpipe als" and r["threads"] == 2)
theirs = next(r for r in results if r["engine"] == "cmfrec cg" and r["threads"] == 2)
theirs["curve"] = cmfrec_curve(2)
target = max(min(mine["curve"]), min(theirs["curve"])) + 0.002
for r in (mine, theirs):
    reached = next(i + 1 for i, x in enumerate(r["curve"]) if x <= target)
    r["seconds_to_target"] = reached * r["seconds_per_iteration"]
    print(f"{r['engine']}, 2 threads: test RMSE by iteration {' '.join(f'{x:.4f}' for x in r['curve'])}; "
          f"{target:.4f} reached at iteration {reached}, {r['seconds_to_target']:.2f} s")
print(f"time to test RMSE {target:.4f}: mfpipe als {theirs['seconds_to_target'] / mine['seconds_to_target']:.2f}x faster than cmfrec cg")

# Run on to the optimum both minimise (`converged` iterations, two threads): the objective and
# the test RMSE there, mfpipe's als beside cmfrec's exact (Cholesky) solver, so that the test
# RMSE after 10 iterations can be read against where each engine is on its way.
converged = 40
_, curve, objective, _ = factorize(binary, pipeline, work, 2, [f"factorize.epochs={converged}"], timing_runs=1)
model = fit_peer("cmfrec cholesky", converged, 2)
for engine, rmse, value in [("mfpipe als", curve[-1], objective),
                            ("cmfrec cholesky", cmfrec_peer.test_rmse(model, test), cmfrec_objective(model))]:
    print(f"{engine}, {converged} iterations: test RMSE {rmse:.4f}, objective {value:.6g}")
with open(f"{work}/als-results.json", "w") as f:
    json.dump(results, f, indent=1)
