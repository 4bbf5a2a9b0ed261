"""make bench (recommend part): mfpipe recommend against implicit's batched recommend for
every user, top 10 with each user's training entries left out, on the same factors: the
SGD benchmark's 10 M set (70,000 x 10,000; 9 M training entries), k = 64, 1 and 2 threads.

mfpipe trains the model (sgd, 10 epochs), exports it, and `mfpipe recommend` ranks every
column for every row; implicit gets the same W and H with the biases and column offsets
folded in as one more factor (W | 1, H | col_offset + col_bias: the same ranking of every
row), and `recommend(all users, user_items, N=10, filter_already_liked_items=True)` is timed
alone (no loading, no output), with BLAS held to one thread as implicit asks (its own
threads do the work); implicit without the filter is timed too, for reference. mfpipe's seconds are those of the recommender and its CSV
output, as the command prints them, and of the whole command (reading the export and the
9 M exclusion pairs too); peak RSS of each process. Agreement: the share of 2,000 sampled
users whose top-10 lists are identical.
  recommend.py BINARY WORK"""
import json
import re
import subprocess
import sys
import time

import h5py
import numpy as np
import pandas as pd
import scipy.sparse as sp

from measure import measured

binary, work = sys.argv[1], sys.argv[2]
k, top = 64, 10
pipeline = f"{work}/recommend.json"
with open(pipeline, "w") as f:
    json.dump({"version": 1, "name": "bench-recommend", "workdir": "runs", "seed": 1, "stages": [
        {"id": "train", "type": "ingest", "params": {"path": "train.txt", "delimiter": " "}},
        {"id": "held", "type": "ingest", "params": {"path": "test.txt", "delimiter": " "}},
        {"id": "split", "type": "split", "inputs": ["train", "held"], "params": {"method": "given", "held_out": "validation"}},
        {"id": "normalize", "type": "normalize", "inputs": ["split"]},
        {"id": "factorize", "type": "factorize", "inputs": ["normalize"],
         "params": {"k": k, "epochs": 10, "patience": 0, "tolerance": 0, "checkpoint_seconds": 0}},
        {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"refit": False}},
        {"id": "export", "type": "export", "inputs": ["evaluate"], "params": {"path": "recommend-model.h5"}}]}, f)
subprocess.run([binary, "run", pipeline, "--quiet"], check=True)
export = f"{work}/recommend-model.h5"


results = []
for threads in (1, 2):
    out, wall, rss = measured([binary, "recommend", export, "--top", str(top), "--output", f"{work}/recommend-{threads}.csv",
                               "--exclude", f"{work}/train.txt", "--threads", str(threads)])
    inner = float(re.search(r"in ([0-9.]+) s", out).group(1))
    results.append({"engine": "mfpipe recommend", "threads": threads, "seconds": inner, "command_seconds": wall, "peak_rss_mb": rss})
    print(results[-1], flush=True)

names = ["UserId", "ItemId", "Rating"]
train = pd.read_csv(f"{work}/train.txt", sep=" ", header=None, names=names)
with h5py.File(export, "r") as f:
    m = f["models"][f["models"].attrs["chosen"]]
    rows = np.array(f["rows/ids"].asstr()[:]).astype(np.int64)
    cols = np.array(f["cols/ids"].asstr()[:]).astype(np.int64)
    w = np.hstack([m["W"][:], np.ones((len(rows), 1), np.float32)])
    h = np.hstack([m["H"][:].T, (f["normalization/col_offset"][:] + m["col_bias"][:]).astype(np.float32)[:, None]])
row_index = pd.Series(np.arange(len(rows)), index=rows)
col_index = pd.Series(np.arange(len(cols)), index=cols)
user_items = sp.csr_matrix((np.ones(len(train), np.float32),
                            (row_index[train["UserId"]].to_numpy(), col_index[train["ItemId"]].to_numpy())),
                           shape=(len(rows), len(cols)))

import implicit  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

for threads in (1, 2):
    model = implicit.cpu.als.AlternatingLeastSquares(factors=k + 1, num_threads=threads)
    model.user_factors, model.item_factors = np.ascontiguousarray(w), np.ascontiguousarray(h)
    with threadpool_limits(1, "blas"):
        start = time.perf_counter()
        ids, _ = model.recommend(np.arange(len(rows)), user_items, N=top, filter_already_liked_items=True)
        seconds = time.perf_counter() - start
        start = time.perf_counter()
        model.recommend(np.arange(len(rows)), user_items, N=top, filter_already_liked_items=False)
        unfiltered = time.perf_counter() - start
    from resource import getrusage, RUSAGE_SELF  # noqa: E402
    results.append({"engine": "implicit recommend", "threads": threads, "seconds": seconds, "unfiltered_seconds": unfiltered,
                    "peak_rss_mb": getrusage(RUSAGE_SELF).ru_maxrss / 1024})
    print(results[-1], flush=True)

ours = pd.read_csv(f"{work}/recommend-2.csv")
sample = np.random.default_rng(1).choice(len(rows), 2000, replace=False)
lists = ours.groupby("row")["col"].apply(list)
same = np.mean([lists[rows[i]] == [cols[j] for j in ids[i]] for i in sample])
print(f"identical top-{top} lists on {len(sample)} sampled users: {same:.4f}")
for threads in (1, 2):
    mine = next(r for r in results if r["engine"] == "mfpipe recommend" and r["threads"] == threads)
    theirs = next(r for r in results if r["engine"] == "implicit recommend" and r["threads"] == threads)
    print(f"{threads} thread(s): mfpipe {mine['seconds']:.2f} s (command {mine['command_seconds']:.2f} s, {mine['peak_rss_mb']:.0f} MB), "
          f"implicit {theirs['seconds']:.2f} s (unfiltered {theirs['unfiltered_seconds']:.2f} s, {theirs['peak_rss_mb']:.0f} MB) "
          f"-> implicit/mfpipe {theirs['seconds'] / mine['seconds']:.2f}x")
json.dump({"results": results, "identical_lists": same}, open(f"{work}/recommend-results.json", "w"), indent=1)
