"""scikit-surprise's SVD on exactly the split of mfpipe's MovieLens pipeline (read from its
split artifact): trained on train + validation, tested on test, as mfpipe's refit model is.
Usage: surprise_peer.py WORKDIR."""
import glob
import json
import os
import sys
import time

import h5py
from surprise import SVD, Reader, accuracy
from surprise.dataset import DatasetAutoFolds

workdir = sys.argv[1]
with h5py.File(glob.glob(os.path.join(workdir, "artifacts/split-*/data.h5"))[0], "r") as f:
    def part(name):
        group = f["parts"][name]
        return list(zip(group["row"][:].tolist(), group["col"][:].tolist(), group["value"][:].astype(float).tolist()))
    seen, test = part("train") + part("validation"), part("test")


class Ratings(DatasetAutoFolds):
    """The training entries as a Surprise data set."""

    def __init__(self, rows):
        self.reader = Reader(rating_scale=(0.5, 5))
        self.has_been_split = False
        self.raw_ratings = [(u, i, r, None) for u, i, r in rows]


trainset = Ratings(seen).build_full_trainset()
record = max(glob.glob(os.path.join(workdir, "runs/*.json")), key=os.path.getmtime)
evaluate = [n for n in json.load(open(record))["nodes"] if n["node"] == "evaluate"][0]
print(f"MovieLens latest-small, seeded 80/20 split ({len(seen)} train + validation, {len(test)} test):")
print(f"  mfpipe sgd (defaults, k chosen by validation, refit): test RMSE {evaluate['metrics']['test_rmse']:.4f}")
for name, settings in [("defaults", {}), ("best of a grid", dict(n_factors=150, n_epochs=40, lr_all=0.01, reg_all=0.1))]:
    started = time.time()
    model = SVD(random_state=0, **settings)
    model.fit(trainset)
    seconds = time.time() - started
    rmse = accuracy.rmse(model.test(test), verbose=False)
    print(f"  surprise SVD {name} {settings or ''}: test RMSE {rmse:.4f} ({seconds:.2f} s to train)")
