"""make bench (MPI part): mfpipe's ALS and DSGD on the 10 M synthetic set (9 M train, 1 M
held out, k = 32) in one process with one thread, in one process with two threads, and under
`mpirun -np 2` (one thread per rank); prints seconds per iteration (median of three runs
of each node alone, held-out scoring included), the speed-up from one
rank to two, and whether the factors have the same bits in every configuration.

usage: mpi.py BINARY WORK   (WORK holds train.txt and test.txt, as bench/sgd.sh makes them)
"""
import glob
import hashlib
import json
import os
import subprocess
import sys

import h5py

binary, work = sys.argv[1], sys.argv[2]
pipeline = os.path.join(work, "mpi.json")
with open(pipeline, "w") as f:
    json.dump({"version": 1, "name": "bench-mpi", "workdir": "runs", "seed": 1, "stages": [
        {"id": "train", "type": "ingest", "params": {"path": "train.txt", "delimiter": " "}},
        {"id": "held", "type": "ingest", "params": {"path": "test.txt", "delimiter": " "}},
        {"id": "split", "type": "split", "inputs": ["train", "held"], "params": {"method": "given", "held_out": "validation"}},
        {"id": "normalize", "type": "normalize", "inputs": ["split"]},
        {"id": "als", "type": "factorize", "inputs": ["normalize"],
         "params": {"algorithm": "als", "k": 32, "epochs": 5, "patience": 0, "tolerance": 0, "checkpoint_seconds": 0}},
        {"id": "sgd", "type": "factorize", "inputs": ["normalize"],
         "params": {"algorithm": "sgd", "k": 32, "epochs": 20, "patience": 0, "tolerance": 0, "checkpoint_seconds": 0}}]}, f)
launcher = ["mpirun"] + (["--allow-run-as-root"] if os.getuid() == 0 else []) + ["--oversubscribe"]
configurations = [
    ("1 process, 1 thread", [binary, "run", pipeline, "--threads", "1"]),
    ("1 process, 2 threads", [binary, "run", pipeline, "--threads", "2"]),
    ("mpirun -np 2, 1 thread each", launcher + ["-np", "2", binary, "run", pipeline, "--threads", "2"]),
]
subprocess.run([binary, "run", pipeline, "--quiet"], check=True)


def measure(command):
    """Seconds per iteration of each factorize node (run alone, so that it has every
    thread), and a digest of its factors."""
    result = {}
    for node in ["als", "sgd"]:
        times = []
        for _ in range(3):
            subprocess.run(command + ["--quiet", "--force", node], check=True)
            records = sorted(glob.glob(os.path.join(work, "runs", "runs", "*.json")), key=os.path.getmtime)
            with open(records[-1]) as f:
                metrics = {entry["node"]: entry for entry in json.load(f)["nodes"]}[node]["metrics"]
            times.append(metrics["seconds"] / metrics["iterations"])
        digest = hashlib.sha256()
        newest = max(glob.glob(os.path.join(work, "runs", "artifacts", node + "-*", "data.h5")), key=os.path.getmtime)
        with h5py.File(newest) as model:
            for name in ["W", "H", "row_bias", "col_bias"]:
                digest.update(model[name][()].tobytes())
        result[node] = (sorted(times)[1], digest.hexdigest()[:16])
    return result


results = [(name, measure(command)) for name, command in configurations]
print("\nMPI on this machine: 10 M ratings (9 M train), k = 32")
print(f"{'configuration':30} {'ALS s/iter':>11} {'DSGD s/epoch':>13}  factors (sha256 of W, H, biases)")
for name, result in results:
    print(f"{name:30} {result['als'][0]:11.3f} {result['sgd'][0]:13.3f}  als {result['als'][1]}, sgd {result['sgd'][1]}")
one, two = results[0][1], results[2][1]
for node, label in [("als", "ALS"), ("sgd", "DSGD")]:
    print(f"{label}: 1 -> 2 ranks speed-up {one[node][0] / two[node][0]:.2f}x; "
          f"2 ranks vs 2 threads {results[1][1][node][0] / two[node][0]:.2f}x")
same = all(result[node][1] == one[node][1] for _, result in results for node in ["als", "sgd"])
print("factors identical in every configuration:", "yes" if same else "NO")
