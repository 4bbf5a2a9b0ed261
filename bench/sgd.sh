#!/usr/bin/env bash
# make bench (SGD part): mfpipe's SGD against LIBMF and scikit-surprise on the same data in
# the same run.
#
# - 10 M synthetic ratings (70,000 x 10,000, rank 16, noise 0.5; 9 M train / 1 M held out),
#   k = 32 and 128, 1 and 2 threads, 20 epochs: seconds per epoch, held-out RMSE after each
#   epoch (mfpipe: median of three, without held-out scoring; LIBMF: 41 minus 1 epochs),
#   time to a held-out RMSE both reach, peak RSS of the factorization. LIBMF runs
#   with the issue's settings (-l2 0.05 -r 0.1) where LIBMF_DIR names a folder holding an
#   mf-train built from LIBMF's own repository; mfpipe runs with its defaults.
# - MovieLens latest-small, the default pipeline's seeded 80/20 split: scikit-surprise's SVD
#   (defaults, and the best of a small grid) trained on train + validation, tested on test,
#   beside mfpipe's refit model.
# BENCH_DIR sets the work folder (default bench/work).
set -euo pipefail
cd "$(dirname "$0")/.."
binary=$PWD/.build/release/mfpipe
work=$(realpath -m "${BENCH_DIR:-bench/work}")/sgd
mkdir -p "$work"
if [ ! -f "$work/test.txt" ]; then
    "$binary" synth --output "$work/all.tsv" --format tsv --rows 70000 --cols 10000 --ratings 10000000 --rank 16 --noise 0.5 --seed 6
    python3 bench/split_lines.py "$work/all.tsv" "$work/train.txt" "$work/test.txt" 1000000 6
    rm "$work/all.tsv"
fi
# A pipeline over train.txt and test.txt: $1 its name, $2 what test.txt holds out (the
# given split's held_out), $3 the factorize stage's params, $4 stages after it.
pipeline() {
    cat <<JSON
{"version": 1, "name": "$1", "workdir": "runs", "seed": 1, "stages": [
  {"id": "train", "type": "ingest", "params": {"path": "train.txt", "delimiter": " "}},
  {"id": "held", "type": "ingest", "params": {"path": "test.txt", "delimiter": " "}},
  {"id": "split", "type": "split", "inputs": ["train", "held"], "params": {"method": "given", "held_out": "$2"}},
  {"id": "normalize", "type": "normalize", "inputs": ["split"]},
  {"id": "factorize", "type": "factorize", "inputs": ["normalize"], "params": $3}${4:-}]}
JSON
}
pipeline bench-sgd validation '{"k": 32, "epochs": 20, "patience": 0, "tolerance": 0, "checkpoint_seconds": 0}' > "$work/sgd.json"
"$binary" run "$work/sgd.json" --quiet
results="$work/results.jsonl"
: > "$results"
for k in 32 128; do
    for threads in 1 2; do
        # Timed without a validation set (as LIBMF's timed runs), median of three; then one
        # run scoring the 1 M held-out ratings after every epoch, for the curve.
        epoch_times=()
        for _ in 1 2 3; do
            "$binary" run "$work/sgd.json" --quiet --force factorize --threads "$threads" --set factorize.k="$k" --set split.held_out=test
            epoch_times+=("$(.venv/bin/python bench/sgd_record.py epoch-seconds "$work")")
        done
        /usr/bin/time -f "%M" -o "$work/rss.txt" "$binary" run "$work/sgd.json" --quiet --force factorize --threads "$threads" --set factorize.k="$k"
        .venv/bin/python bench/sgd_record.py mfpipe "$k" "$threads" "$work" "$(cat "$work/rss.txt")" "${epoch_times[@]}" >> "$results"
        if [ -n "${LIBMF_DIR:-}" ] && [ -x "$LIBMF_DIR/mf-train" ]; then
            start=$(date +%s.%N)
            /usr/bin/time -f "%M" -o "$work/rss.txt" "$LIBMF_DIR/mf-train" -k "$k" -t 1 -s "$threads" -l2 0.05 -r 0.1 --quiet "$work/train.txt" "$work/libmf.model"
            one=$(python3 -c "import time; print(time.time() - $start)")
            start=$(date +%s.%N)
            /usr/bin/time -f "%M" -o "$work/rss.txt" "$LIBMF_DIR/mf-train" -k "$k" -t 41 -s "$threads" -l2 0.05 -r 0.1 --quiet "$work/train.txt" "$work/libmf.model"
            many=$(python3 -c "import time; print(time.time() - $start)")
            "$LIBMF_DIR/mf-train" -k "$k" -t 20 -s "$threads" -l2 0.05 -r 0.1 -p "$work/test.txt" "$work/train.txt" "$work/libmf.model" > "$work/libmf-curve.txt"
            .venv/bin/python bench/sgd_record.py libmf "$k" "$threads" "$work" "$(cat "$work/rss.txt")" "$one" "$many" >> "$results"
        fi
    done
done
# As a user meets it: the same 20 epochs with mfpipe's defaults, which carve a 10 % validation
# set from the training file, keep the best epoch on it and refit the chosen model on all
# 9 M training ratings; test RMSE of that model, beside the last epoch's above.
pipeline bench-sgd-shipped test '{"k": 32, "epochs": 20}' ',
  {"id": "evaluate", "type": "evaluate", "inputs": ["factorize"], "params": {"ranking_at": 0}}' > "$work/sgd-shipped.json"
for k in 32 128; do
    "$binary" run "$work/sgd-shipped.json" --quiet --force factorize --threads 2 --set factorize.k="$k"
    .venv/bin/python bench/sgd_record.py shipped "$k" "$work" >> "$results"
done
[ -n "${LIBMF_DIR:-}" ] && [ -x "$LIBMF_DIR/mf-train" ] || echo "LIBMF: not measured (set LIBMF_DIR to a folder with an mf-train built from LIBMF's repository)"
python3 bench/sgd_report.py "$results"
"$binary" run pipelines/movielens.json --quiet
.venv/bin/python bench/surprise_peer.py runs/movielens
