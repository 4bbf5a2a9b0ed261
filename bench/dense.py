"""make bench (dense part): mfpipe's nmf and svd against scikit-learn's NMF (cd and mu
solvers) and TruncatedSVD (randomized) on the same dense matrices, in the same run, mfpipe
with BENCH_THREADS threads (2 by default) and each peer with 1 or BENCH_THREADS, whichever
is faster (column "thr": on a small matrix numpy's OpenBLAS is often slower on two threads).

Data: scikit-learn's bundled digits (1797 x 64) and a 20,000 x 2,000 synthetic matrix
(non-negative rank-20 signal plus 5 % noise, seeded). k = 10, 20, 50. Both NMFs start from
random non-negative factors scaled to the data's mean (scikit-learn's init="random"); each
peer runs with its defaults otherwise (NMF: 200 iterations at most, tol 1e-4; TruncatedSVD:
5 power iterations, 10 oversamples). mfpipe's NMF then runs until its error first reaches
the peer's ("time to equal error", from its per-iteration curve); its SVD runs with its own
defaults (exact from the Gram matrix on digits, randomized with 4 power iterations and 10
oversamples on 20000 x 2000). Times: the peer's fit() call; mfpipe's factorize stage as its
artifact's manifest gives it (a fresh process reading the artifact, laying out the matrix, training
and writing its own artifact); for the SVD also its training alone, the part comparable to
fit() (printed after the row). Relative error: ||A - W H||_F / ||A||_F. Every timed run starts after a pause of
0.3 s, so that no engine's idle threads (numpy's OpenBLAS spins for a while after a call)
still hold a core; on digits, where a run lasts milliseconds, each time is the median of 5
runs. 1->2: mfpipe's training time on one thread over that on BENCH_THREADS (NMF over 30
iterations; medians of 5 runs on digits). Peak RSS: of mfpipe's whole `run` process, and of
a fresh Python process that loads the matrix (from .npy) and fits the peer once at its
thread count, this script re-run with --peer.
  dense.py BINARY WORK
  dense.py BINARY WORK --peer MATRIX.npy METHOD K THREADS   (one fit, for its peak RSS)"""
import glob
import json
import os
import sys
import time
import warnings

import h5py
import numpy as np

from measure import measured

binary, work = sys.argv[1], sys.argv[2]
threads = int(os.environ.get("BENCH_THREADS", "2"))
os.makedirs(work, exist_ok=True)
from sklearn.datasets import load_digits  # noqa: E402
from sklearn.decomposition import NMF, TruncatedSVD  # noqa: E402
from sklearn.exceptions import ConvergenceWarning  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

# The peer runs with its defaults, 200 iterations at most: that it stops there is expected.
warnings.filterwarnings("ignore", category=ConvergenceWarning)


def peer_model(method, k):
    """scikit-learn's model for `method`: "cd" or "mu" (NMF) or "svd" (TruncatedSVD)."""
    if method == "svd":
        return TruncatedSVD(n_components=k, algorithm="randomized", random_state=0)
    return NMF(n_components=k, init="random", solver=method, random_state=0, max_iter=200)


if sys.argv[3:4] == ["--peer"]:
    with threadpool_limits(int(sys.argv[7])):
        peer_model(sys.argv[5], int(sys.argv[6])).fit_transform(np.load(sys.argv[4]))
    sys.exit(0)


def peer_rss(array_file, method, k, count):
    """The peak RSS in MB of a fresh process that loads `array_file` and fits the peer once on `count` threads."""
    return measured([sys.executable, __file__, binary, work, "--peer", array_file, method, str(k), str(count)])[2]


def synthetic():
    rng = np.random.default_rng(20)
    w = rng.random((20000, 20), dtype=np.float32)
    h = rng.random((20, 2000), dtype=np.float32)
    a = w @ h
    return np.abs(a + 0.05 * a.std() * rng.standard_normal(a.shape, dtype=np.float32))


def write_mtx_array(a, path):
    """MatrixMarket array format (column-major), what mfpipe's ingest reads densely."""
    with open(path, "w") as f:
        f.write(f"%%MatrixMarket matrix array real general\n{a.shape[0]} {a.shape[1]}\n")
        np.savetxt(f, a.T.reshape(-1, 1), fmt="%.7g")


def pause():
    """Lets the previous run's idle threads go to sleep before the next timed run."""
    time.sleep(0.3)


def repeated(repeats, run):
    """The results of `repeats` calls of run(), each after a pause."""
    results = []
    for _ in range(repeats):
        pause()
        results.append(run())
    return results


def time_peer(model, a, repeats):
    """The peer at its best: the median seconds of `repeats` fit_transform(a) calls of the
    scikit-learn model on one thread and on `threads` (numpy's OpenBLAS can be many times
    slower on two threads than on one for a small matrix), the faster of the two, with the
    thread count that gave it and that fit's result."""
    best = None
    for count in sorted({1, threads}):
        outputs = []

        def fit():
            with threadpool_limits(count):
                start = time.perf_counter()
                outputs.append(model.fit_transform(a))
                return time.perf_counter() - start
        seconds = float(np.median(repeated(repeats, fit)))
        if best is None or seconds < best[0]:
            best = (seconds, count, outputs[-1])
    return best


def relative_error(a, w, h):
    return float(np.linalg.norm(a - w @ h) / np.linalg.norm(a))


def run_mfpipe(matrix, name, params, count=threads):
    """Runs one factorize node on `matrix` with `count` threads; returns (stage seconds, training seconds, per-iteration relative errors, W, H, peak RSS MB)."""
    pipeline = os.path.join(work, f"{name}.json")
    with open(pipeline, "w") as f:
        json.dump({"version": 1, "name": name, "workdir": "runs", "seed": 1, "threads": count, "stages": [
            {"id": "matrix", "type": "ingest", "params": {"path": os.path.abspath(matrix)}},
            {"id": "factorize", "type": "factorize", "inputs": ["matrix"], "params": params}]}, f)
    _, _, rss = measured([binary, "run", pipeline, "--quiet", "--force", "factorize"])
    candidates = [p for p in glob.glob(os.path.join(work, "runs/artifacts/factorize-*")) if os.path.exists(p + "/manifest.json")]
    folder = max(candidates, key=lambda p: os.path.getmtime(p + "/manifest.json"))
    # The stage's seconds from its manifest, unrounded (the run record keeps milliseconds, a
    # quarter of a digits run).
    stage = json.load(open(os.path.join(folder, "manifest.json")))["seconds"]
    with h5py.File(os.path.join(folder, "data.h5"), "r") as f:
        return stage, float(f.attrs["seconds"]), f["curve_train_rmse"][:], f["W"][:], f["H"][:], rss


def thread_scaling(matrix, name, params, repeats):
    """mfpipe's training seconds on one thread over those on `threads` (medians of `repeats` runs)."""
    one, many = (float(np.median([run[1] for run in repeated(repeats, lambda: run_mfpipe(matrix, name, params, count))]))
                 for count in (1, threads))
    return one / many


results = []
for data_name, a in [("digits", load_digits().data.astype(np.float32)), ("synthetic 20000x2000", synthetic())]:
    matrix = os.path.join(work, data_name.split()[0] + ".mtx")
    array_file = os.path.join(work, data_name.split()[0] + ".npy")
    if not os.path.exists(matrix):
        write_mtx_array(a, matrix)
    np.save(array_file, a)
    rms = float(np.sqrt(np.mean(a.astype(np.float64) ** 2)))
    repeats = 5 if a.size < 1_000_000 else 1
    for k in (10, 20, 50):
        for solver in ("cd", "mu"):
            model = peer_model(solver, k)
            peer_seconds, peer_threads, w = time_peer(model, a, repeats)
            peer_error = relative_error(a, w, model.components_)
            update = "hals" if solver == "cd" else "mu"
            params = {"algorithm": "nmf", "update": update, "k": k, "epochs": 500 if update == "mu" else 400, "tolerance": 0, "patience": 0}
            runs = repeated(repeats, lambda: run_mfpipe(matrix, f"nmf-{update}", params))
            stage, training, curve, w, h, rss = runs[-1]
            errors = curve / rms
            reached = next((i + 1 for i, e in enumerate(errors) if e <= peer_error), None)
            per_iteration = float(np.median([run[1] / len(run[2]) for run in runs]))
            to_equal = float(np.median([run[0] - run[1] for run in runs])) + per_iteration * reached if reached else None
            results.append({"data": data_name, "k": k, "method": f"nmf {update} vs sklearn {solver}", "peer_seconds": peer_seconds,
                            "peer_threads": peer_threads,
                            "peer_iterations": int(model.n_iter_), "peer_error": peer_error, "mfpipe_seconds_to_equal": to_equal,
                            "mfpipe_iterations_to_equal": reached, "mfpipe_best_error": float(errors.min()),
                            "mfpipe_seconds_per_iteration": per_iteration, "mfpipe_peak_rss_mb": rss,
                            "mfpipe_thread_scaling": thread_scaling(matrix, f"nmf-{update}", {**params, "epochs": 30}, repeats),
                            "peer_peak_rss_mb": peer_rss(array_file, solver, k, peer_threads)})
        model = peer_model("svd", k)
        peer_seconds, peer_threads, scores = time_peer(model, a, repeats)
        peer_error = relative_error(a, scores, model.components_)
        runs = repeated(repeats, lambda: run_mfpipe(matrix, "svd", {"algorithm": "svd", "k": k}))
        stage = float(np.median([run[0] for run in runs]))
        training = float(np.median([run[1] for run in runs]))
        _, _, curve, w, h, rss = runs[-1]
        results.append({"data": data_name, "k": k, "method": "svd vs sklearn TruncatedSVD", "peer_seconds": peer_seconds, "peer_threads": peer_threads,
                        "peer_error": peer_error, "mfpipe_seconds": stage, "mfpipe_training_seconds": training,
                        "mfpipe_error": relative_error(a, w, h), "mfpipe_peak_rss_mb": rss,
                        "mfpipe_thread_scaling": thread_scaling(matrix, "svd", {"algorithm": "svd", "k": k}, repeats),
                        "peer_peak_rss_mb": peer_rss(array_file, "svd", k, peer_threads)})

print(f"{'data':<22}{'k':>4}  {'method':<30}{'peer s':>9}{'thr':>4}{'peer err':>10}{'mfpipe s':>10}{'mfpipe err':>11}{'speed-up':>9}{'peer MB':>8}{'ours MB':>8}{'1->2':>6}")
for r in results:
    if "mfpipe_seconds_to_equal" in r:
        ours, error = r["mfpipe_seconds_to_equal"], r["peer_error"] if r["mfpipe_iterations_to_equal"] else r["mfpipe_best_error"]
        note = f" ({r['mfpipe_iterations_to_equal']} it. vs {r['peer_iterations']})" if ours else " (never reached)"
    else:
        ours, error = r["mfpipe_seconds"], r["mfpipe_error"]
        training = r["mfpipe_training_seconds"]
        note = f" (training alone {training:.4f} s: {r['peer_seconds'] / training:.2f}x)"
    speed = f"{r['peer_seconds'] / ours:.2f}x" if ours else "-"
    print(f"{r['data']:<22}{r['k']:>4}  {r['method']:<30}{r['peer_seconds']:>9.3f}{r['peer_threads']:>4}{r['peer_error']:>10.4f}"
          f"{(ours or float('nan')):>10.3f}{error:>11.4f}{speed:>9}{r['peer_peak_rss_mb']:>8.0f}{r['mfpipe_peak_rss_mb']:>8.0f}{r['mfpipe_thread_scaling']:>6.2f}{note}")
with open(os.path.join(work, "dense-results.json"), "w") as f:
    json.dump(results, f, indent=1)
