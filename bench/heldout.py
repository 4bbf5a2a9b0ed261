"""mfpipe on the SGD benchmark's 10 M split as the ALS and CCD++ parts run it: the training
file and the 1 M held-out ratings ingested, the held-out ones as the validation set (so that
the training curve gives the test RMSE after every iteration, unclipped), ratings centred by
their mean, one factorize node."""
import glob
import json
import os
import statistics
import subprocess

import h5py

from measure import measured


def write_pipeline(work, name, params):
    """Writes WORK/NAME.json with a factorize node of `params`; returns its path."""
    pipeline = f"{work}/{name}.json"
    with open(pipeline, "w") as f:
        json.dump({"version": 1, "name": f"bench-{name}", "workdir": "runs", "seed": 1, "stages": [
            {"id": "train", "type": "ingest", "params": {"path": "train.txt", "delimiter": " "}},
            {"id": "held", "type": "ingest", "params": {"path": "test.txt", "delimiter": " "}},
            {"id": "split", "type": "split", "inputs": ["train", "held"], "params": {"method": "given", "held_out": "validation"}},
            {"id": "normalize", "type": "normalize", "inputs": ["split"], "params": {"method": "mean"}},
            {"id": "factorize", "type": "factorize", "inputs": ["normalize"],
             "params": {"patience": 0, "tolerance": 0, "checkpoint_seconds": 0, **params}}]}, f)
    return pipeline


def factorize(binary, pipeline, work, threads, sets=(), timing_runs=2):
    """The factorize node of `pipeline` on `threads` threads, with `--set` options `sets`:
    its training loop's seconds an iteration (median of `timing_runs` runs without held-out
    scoring, from the run record), then a scored run's test RMSE after each iteration (a
    list), objective after the last and peak RSS in MB."""
    run = [binary, "run", pipeline, "--quiet", "--force", "factorize", "--threads", str(threads)]
    for option in sets:
        run += ["--set", option]
    per_iteration = []
    for _ in range(timing_runs):
        subprocess.run(run + ["--set", "split.held_out=test"], check=True)
        record = max(glob.glob(f"{work}/runs/runs/*.json"), key=os.path.getmtime)
        metrics = [n for n in json.load(open(record))["nodes"] if n["node"] == "factorize"][0]["metrics"]
        per_iteration.append(metrics["seconds"] / metrics["iterations"])
    _, _, rss = measured(run)
    artifacts = [p for p in glob.glob(f"{work}/runs/artifacts/factorize-*") if os.path.exists(p + "/manifest.json")]
    with h5py.File(max(artifacts, key=lambda p: os.path.getmtime(p + "/manifest.json")) + "/data.h5", "r") as f:
        curve, objective = f["curve_validation_rmse"][:], float(f["curve_objective"][-1])
    return statistics.median(per_iteration), [float(x) for x in curve], objective, rss
