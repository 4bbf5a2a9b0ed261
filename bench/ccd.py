"""make bench (CCD++ part): mfpipe's ccd against LIBPMF, the CCD++ of Yu, Hsieh, Si and
Dhillon (2012), built by hand where LIBPMF_DIR names the folder of its `omp-pmf-train`, on
the SGD benchmark's 10 M split, k = 32, weighted-λ, two inner iterations per component and
no early end of them (LIBPMF's -T 2 -e 0; mfpipe's inner_iterations 2), 1 and 2 threads.

Both fit mean-centred ratings; mfpipe also fits row and column biases, LIBPMF has none.
LIBPMF's λ is on the ratings' scale, so it gets λ x the RMS of the centred ratings, what
mfpipe's λ on the unit-RMS scale amounts to. Seconds per iteration: LIBPMF's own wall time
of its training loop, (10 iterations − 1) / 9; mfpipe's training loop time over its
iterations, from the run record (no held-out scoring). Test RMSE after 10 iterations on the
1 M held-out ratings, neither clipped (mfpipe's from its training curve, LIBPMF's from a
third run that prints it after every component, -p 1 -q 1).
  ccd.py BINARY WORK"""
import os
import re
import sys

import numpy as np
import pandas as pd

from heldout import factorize, write_pipeline
from measure import measured

binary, work = sys.argv[1], sys.argv[2]
libpmf = os.environ.get("LIBPMF_DIR")
if not libpmf:
    print("LIBPMF: not measured (set LIBPMF_DIR to a folder with an omp-pmf-train built from LIBPMF's repository)")
    sys.exit(0)
k, iterations, inner, lam = 32, 10, 2, 0.05
names = ["row", "col", "rating"]
train = pd.read_csv(f"{work}/train.txt", sep=" ", header=None, names=names)
test = pd.read_csv(f"{work}/test.txt", sep=" ", header=None, names=names)
mean = float(train["rating"].mean())
scale = float(np.sqrt(np.mean((train["rating"] - mean) ** 2)))

data = f"{work}/libpmf"
if not os.path.exists(f"{data}/meta"):
    os.makedirs(data, exist_ok=True)
    for frame, name in ((train, "train.ratings"), (test, "test.ratings")):
        centred = frame.assign(rating=frame["rating"] - mean)
        centred.to_csv(f"{data}/{name}", sep=" ", header=False, index=False, float_format="%.6g")
    rows, cols = max(train["row"].max(), test["row"].max()), max(train["col"].max(), test["col"].max())
    with open(f"{data}/meta", "w") as f:
        f.write(f"{rows} {cols}\n{len(train)} train.ratings\n{len(test)} test.ratings\n")

pipeline = write_pipeline(work, "ccd", {"algorithm": "ccd", "k": k, "epochs": iterations, "inner_iterations": inner, "regularization": lam})


def libpmf_train(count, threads, *options):
    """LIBPMF's output with `count` iterations, the wall time of its training loop, and its peak RSS in MB (run in its data
    folder, where it writes its factors, p.txt and q.txt)."""
    out, _, rss = measured([f"{libpmf}/omp-pmf-train", "-k", str(k), "-n", str(threads), "-l", str(lam * scale), "-t", str(count),
                            "-T", str(inner), "-e", "0", *options, data], cwd=data)
    return out, float(re.search(r"Wall-time: ([0-9.e+-]+) secs", out).group(1)), rss


results = []
for threads in (1, 2):
    seconds, curve, _, rss = factorize(binary, pipeline, work, threads, timing_runs=1)
    results.append({"engine": "mfpipe ccd", "threads": threads, "seconds_per_iteration": seconds, "test_rmse": curve[-1], "peak_rss_mb": rss})
    _, one, _ = libpmf_train(1, threads)
    _, ten, rss = libpmf_train(iterations, threads)
    scored, _, _ = libpmf_train(iterations, threads, "-p", "1", "-q", "1")
    results.append({"engine": "LIBPMF", "threads": threads, "seconds_per_iteration": (ten - one) / (iterations - 1),
                    "test_rmse": float(re.findall(r"rmse ([0-9.e+-]+)", scored)[-1]), "peak_rss_mb": rss})

print(f"{'engine':<14}{'threads':>8}{'s/iteration':>13}{'test RMSE @10':>15}{'peak RSS MB':>13}")
for r in results:
    print(f"{r['engine']:<14}{r['threads']:>8}{r['seconds_per_iteration']:>13.3f}{r['test_rmse']:>15.4f}{r['peak_rss_mb']:>13.0f}")
for threads in (1, 2):
    ours, theirs = (next(r["seconds_per_iteration"] for r in results if r["engine"] == e and r["threads"] == threads) for e in ("mfpipe ccd", "LIBPMF"))
    print(f"{threads} thread(s): mfpipe ccd per iteration is {theirs / ours:.2f}x faster than LIBPMF")
