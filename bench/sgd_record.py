"""Prints one JSON line of SGD benchmark results: seconds per epoch, held-out RMSE after each
epoch, peak RSS.
  sgd_record.py epoch-seconds WORK                     (prints the last mfpipe run's seconds per epoch)
  sgd_record.py mfpipe K THREADS WORK RSS_KB S1 S2 S3  (the last run's curve; the median of S1..S3 per epoch)
  sgd_record.py libmf K THREADS WORK RSS_KB T1 T41     (seconds of 1- and 41-epoch runs; WORK/libmf-curve.txt)
  sgd_record.py shipped K WORK                         (the last run's evaluate: test RMSE of the refit chosen model)"""
import glob
import json
import os
import statistics
import sys

import h5py


def last_nodes(work):
    """The nodes of the newest run record under WORK, by name."""
    record = max(glob.glob(os.path.join(work, "runs/runs/*.json")), key=os.path.getmtime)
    return {n["node"]: n for n in json.load(open(record))["nodes"]}


if sys.argv[1] == "epoch-seconds":
    node = last_nodes(sys.argv[2])["factorize"]
    print(node["metrics"]["seconds"] / node["metrics"]["iterations"])
    sys.exit(0)
if sys.argv[1] == "shipped":
    nodes = last_nodes(sys.argv[3])
    print(json.dumps({"engine": "shipped", "k": int(sys.argv[2]), "test_rmse": nodes["evaluate"]["metrics"]["test_rmse"],
                      "epoch_kept": nodes["factorize"]["metrics"]["epoch_kept"]}))
    sys.exit(0)
engine, k, threads, work, rss_kb = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], int(sys.argv[5])
if engine == "mfpipe":
    node = last_nodes(work)["factorize"]
    artifacts = [p for p in glob.glob(os.path.join(work, "runs/artifacts/factorize-*")) if os.path.exists(os.path.join(p, "manifest.json"))]
    newest = max(artifacts, key=lambda p: os.path.getmtime(os.path.join(p, "manifest.json")))
    with h5py.File(os.path.join(newest, "data.h5"), "r") as f:
        curve = [float(x) for x in f["curve_validation_rmse"][:]]
    seconds_per_epoch = statistics.median(float(x) for x in sys.argv[6:9])
    total = node["seconds"]
else:
    one, many = float(sys.argv[6]), float(sys.argv[7])
    seconds_per_epoch = (many - one) / 40
    curve = []
    for line in open(os.path.join(work, "libmf-curve.txt")):
        parts = line.split()
        if len(parts) >= 3 and parts[0].isdigit():
            curve.append(float(parts[2]))
    total = many
print(json.dumps({"engine": engine, "k": k, "threads": threads, "seconds_per_epoch": seconds_per_epoch,
                  "curve": curve, "rss_mb": rss_kb / 1000, "total_seconds": total}))
