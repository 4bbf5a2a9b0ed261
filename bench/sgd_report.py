"""Prints the SGD benchmark table from sgd_record.py's JSON lines, with mfpipe/LIBMF ratios."""
import json
import sys

lines = [json.loads(line) for line in open(sys.argv[1])]
runs = [r for r in lines if r["engine"] != "shipped"]
print(f"{'engine':<8}{'k':>5}{'threads':>9}{'s/epoch':>10}{'RMSE@20':>10}{'RSS MB':>9}{'to target':>11}{'target':>9}")
for k in sorted({r["k"] for r in runs}):
    for threads in sorted({r["threads"] for r in runs}):
        group = [r for r in runs if r["k"] == k and r["threads"] == threads]
        target = max(min(r["curve"]) for r in group) + 0.002
        for r in group:
            reached = next((i + 1 for i, x in enumerate(r["curve"]) if x <= target), None)
            to_target = f"{reached * r['seconds_per_epoch']:.2f}s" if reached else "never"
            print(f"{r['engine']:<8}{k:>5}{threads:>9}{r['seconds_per_epoch']:>10.3f}{r['curve'][-1]:>10.4f}{r['rss_mb']:>9.0f}{to_target:>11}{target:>9.4f}")
        ours = [r for r in group if r["engine"] == "mfpipe"]
        peer = [r for r in group if r["engine"] == "libmf"]
        if ours and peer:
            print(f"{'':<8}{'':>5}{'':>9}  mfpipe is {peer[0]['seconds_per_epoch'] / ours[0]['seconds_per_epoch']:.2f}x LIBMF per epoch")
for k in sorted({r["k"] for r in runs}):
    one = [r for r in runs if r["k"] == k and r["threads"] == 1 and r["engine"] == "mfpipe"]
    two = [r for r in runs if r["k"] == k and r["threads"] == 2 and r["engine"] == "mfpipe"]
    if one and two:
        print(f"mfpipe k={k}: 1 -> 2 threads {one[0]['seconds_per_epoch'] / two[0]['seconds_per_epoch']:.2f}x")
for r in (r for r in lines if r["engine"] == "shipped"):
    libmf = [x["curve"][-1] for x in runs if x["engine"] == "libmf" and x["k"] == r["k"] and x["threads"] == 2]
    beside = f" (LIBMF after 20 epochs: {libmf[0]:.4f})" if libmf else ""
    print(f"mfpipe k={r['k']} as shipped (own validation, best of 20 epochs: {r['epoch_kept']}, refit): test RMSE {r['test_rmse']:.4f}{beside}")
