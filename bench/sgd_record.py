"""Prints one JSON line of SGD benchmark results: seconds per epoch, held-out RMSE after each
epoch, peak RSS.
  sgd_record.py mfpipe K THREADS WORK RSS_KB           (reads mfpipe's last run record and export curve)
  sgd_record.py libmf K THREADS WORK RSS_KB T1 T21     (seconds of 1- and 21-epoch runs; WORK/libmf-curve.txt)"""
import glob
import json
import os
import sys

import h5py

engine, k, threads, work, rss_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
if engine == "mfpipe":
    record = max(glob.glob(os.path.join(work, "runs/runs/*.json")), key=os.path.getmtime)
    node = [n for n in json.load(open(record))["nodes"] if n["node"] == "factorize"][0]
    epochs = node["metrics"]["iterations"]
    # The training loop's own seconds (the blocked layout is built before it). Each epoch
    # includes scoring the 1 M held-out ratings, which LIBMF's timed runs (without -p) do not.
    artifact = glob.glob(os.path.join(work, f"runs/artifacts/factorize-*"))
    newest = max(artifact, key=lambda p: os.path.getmtime(os.path.join(p, "manifest.json")) if os.path.exists(os.path.join(p, "manifest.json")) else 0)
    with h5py.File(os.path.join(newest, "data.h5"), "r") as f:
        curve = [float(x) for x in f["curve_validation_rmse"][:]]
    seconds_per_epoch = node["metrics"]["seconds"] / epochs
    total = node["seconds"]
else:
    one, many = float(sys.argv[6]), float(sys.argv[7])
    seconds_per_epoch = (many - one) / 20
    curve = []
    for line in open(os.path.join(work, "libmf-curve.txt")):
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            curve.append(float(parts[2]))
    total = many
print(json.dumps({"engine": engine, "k": k, "threads": threads, "seconds_per_epoch": seconds_per_epoch,
                  "curve": curve, "rss_mb": rss_kb / 1000, "total_seconds": total}))
