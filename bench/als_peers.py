"""ALS peers on the benchmark's 10 M split, same k, same threads: cmfrec's explicit ALS (with
its conjugate-gradient default and with exact Cholesky solves, weighted-lambda as mfpipe's)
and implicit's ALS (implicit feedback: its time per iteration only). Prints one JSON line
per engine.
  als_peers.py WORK K THREADS ITERATIONS LAMBDA"""
import json
import sys
import time

import numpy as np
import pandas as pd
import scipy.sparse as sp

work, k, threads, iterations, lam = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5])
names = ["UserId", "ItemId", "Rating"]
train = pd.read_csv(f"{work}/train.txt", sep=" ", header=None, names=names)
test = pd.read_csv(f"{work}/test.txt", sep=" ", header=None, names=names)


def rmse(predicted):
    return float(np.sqrt(np.mean((test["Rating"].to_numpy() - predicted) ** 2)))


import cmfrec  # noqa: E402

for use_cg in (True, False):
    model = cmfrec.CMF(k=k, lambda_=lam, method="als", use_cg=use_cg, user_bias=True, item_bias=True, scale_lam=True,
                       niter=iterations, nthreads=threads, use_float=True, random_state=1, verbose=False)
    start = time.perf_counter()
    model.fit(train)
    seconds = time.perf_counter() - start
    predicted = model.predict(test["UserId"].to_numpy(), test["ItemId"].to_numpy())
    print(json.dumps({"engine": "cmfrec-" + ("cg" if use_cg else "cholesky"), "k": k, "threads": threads,
                      "seconds_per_iteration": seconds / iterations, "test_rmse": rmse(predicted)}))

import implicit  # noqa: E402
from threadpoolctl import threadpool_limits  # noqa: E402

users = train["UserId"].to_numpy()
items = train["ItemId"].to_numpy()
matrix = sp.csr_matrix((train["Rating"].to_numpy(np.float32), (users, items)))
with threadpool_limits(1, "blas"):
    model = implicit.cpu.als.AlternatingLeastSquares(factors=k, iterations=iterations, regularization=lam, num_threads=threads,
                                                     random_state=1)
    start = time.perf_counter()
    model.fit(matrix, show_progress=False)
    seconds = time.perf_counter() - start
print(json.dumps({"engine": "implicit", "k": k, "threads": threads, "seconds_per_iteration": seconds / iterations}))
