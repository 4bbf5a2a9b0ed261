"""make bench (ALS on real ratings): mfpipe's als against cmfrec's explicit ALS (conjugate
gradient and exact Cholesky) on the bundled MovieLens latest-small, the test RMSE of each
at the same k, λ and number of iterations: the ALS part's comparison (`als.py`, on the
synthetic 10 M set) on data that are not low rank plus Gaussian noise.

A seeded 80/20 split of data/ml-latest-small/ratings.csv (ids mapped to 0-based indices);
the same model for both engines as in `als.py` (ratings centred by their mean, biases and
factors by ALS with weighted-λ, λ mapped as `cmfrec_peer.py` says); k = 16, 32, 64, 128;
λ = 0.05 (mfpipe's default) and 0.1; the test RMSE after 10 and after 40 iterations, two
threads. mfpipe's curve is its training loop's held-out RMSE, unclipped (the test ratings
given as its validation set); cmfrec's a fit of its own for each count.
  als_movielens.py BINARY WORK"""
import os
import sys

import numpy as np
import pandas as pd

import cmfrec_peer
from heldout import factorize, write_pipeline

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
ratings = pd.read_csv(os.path.join(os.path.dirname(os.path.abspath(__file__)), "../data/ml-latest-small/ratings.csv"))
ratings = pd.DataFrame({"UserId": pd.factorize(ratings["userId"])[0], "ItemId": pd.factorize(ratings["movieId"])[0],
                        "Rating": ratings["rating"]})
held = np.random.default_rng(42).random(len(ratings)) < 0.2
train, test = ratings[~held], ratings[held]
train.to_csv(f"{work}/train.txt", sep=" ", header=False, index=False)
test.to_csv(f"{work}/test.txt", sep=" ", header=False, index=False)
scale = cmfrec_peer.centred_rms(train["Rating"])
counts = (10, 40)

print(f"{'k':>4}{'λ':>6}  " + "".join(f"{engine + ' @' + str(n):>20}" for engine in ("mfpipe als", "cmfrec cg", "cmfrec chol") for n in counts))
wins = 0
for k in (16, 32, 64, 128):
    for lam in (0.05, 0.1):
        pipeline = write_pipeline(work, "als-movielens", {"algorithm": "als", "k": k, "regularization": lam, "bias_regularization": lam,
                                                          "epochs": max(counts)})
        _, curve, _, _ = factorize(binary, pipeline, work, 2, timing_runs=1)
        ours = [curve[n - 1] for n in counts]
        theirs = [[cmfrec_peer.test_rmse(cmfrec_peer.fit(train, k, lam, scale, n, 2, cg), test) for n in counts] for cg in (True, False)]
        wins += ours[0] <= min(theirs[0][0], theirs[1][0])
        print(f"{k:>4}{lam:>6}  " + "".join(f"{x:>20.4f}" for x in ours + theirs[0] + theirs[1]), flush=True)
print(f"after {counts[0]} iterations mfpipe's als has the lowest test RMSE in {wins} of 8 settings")
