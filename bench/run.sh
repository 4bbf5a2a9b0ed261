#!/usr/bin/env bash
# make bench: ingest speed and memory of mfpipe against pyarrow and pandas on the same
# synthetic MovieLens-25M-shaped CSV (userId,movieId,rating,timestamp) in the same run.
# BENCH_RATINGS sets the size (default 10 million); BENCH_REPEATS the repeats (default 5).
# Each repeat runs mfpipe, pyarrow and pandas back to back, so that all three see the same
# machine load; medians are reported.
set -euo pipefail
cd "$(dirname "$0")/.."
ratings=${BENCH_RATINGS:-10000000}
repeats=${BENCH_REPEATS:-5}
binary=.build/release/mfpipe
work=${BENCH_DIR:-bench/work}
mkdir -p "$work"
csv="$work/ratings-$ratings.csv"
if [ ! -f "$csv" ]; then
    "$binary" synth --output "$csv" --rows $((ratings / 62 + 1)) --cols $((ratings / 170 + 1)) --ratings "$ratings" --timestamps --header --seed 25
fi
bytes=$(stat -c %s "$csv")
cat > "$work/ingest.json" <<JSON
{"version": 1, "name": "bench-ingest", "workdir": "runs", "stages": [
  {"id": "ingest", "type": "ingest", "params": {"path": "$(realpath "$csv")", "header": true,
   "columns": {"row": 0, "col": 1, "value": 2, "timestamp": 3}}}]}
JSON
cat "$csv" > /dev/null
times=()
peers=()
for _ in $(seq "$repeats"); do
    /usr/bin/time -f "%M" -o "$work/rss.txt" "$binary" run "$work/ingest.json" --force-all --quiet
    seconds=$(python3 -c "import json,glob,os; f=max(glob.glob('$work/runs/runs/*.json'), key=os.path.getmtime); n=json.load(open(f))['nodes'][0]; print(f\"{n['seconds']}:{n['metrics']['read_seconds']}\")")
    times+=("$seconds")
    peers+=("$(.venv/bin/python bench/ingest_peers.py "$csv" 1)")
done
rss_kb=$(cat "$work/rss.txt")
python3 - "$bytes" "$ratings" "$rss_kb" "$(printf '%s\n' "${peers[@]}")" "${times[@]}" <<'PY'
import json, statistics, sys
size, ratings, rss_kb = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
runs = [json.loads(line) for line in sys.argv[4].splitlines()]
peers = {name: statistics.median(run[name] for run in runs) for name in ("pyarrow", "pandas")}
peers.update({key: runs[0][key] for key in ("pyarrow_version", "pandas_version", "pyarrow_threads")})
ours = statistics.median(float(t.split(":")[0]) for t in sys.argv[5:])
reading = statistics.median(float(t.split(":")[1]) for t in sys.argv[5:])
pairs = sorted(run["pyarrow"] / float(t.split(":")[1]) for t, run in zip(sys.argv[5:], runs))
print("mfpipe read vs pyarrow, repeat by repeat (sorted): " + ", ".join(f"{x:.2f}x" for x in pairs))
mb = size / 1e6
columnar = ratings * (4 + 4 + 4 + 8) / 1e6
print(f"file: {mb:.0f} MB, {ratings} ratings (integer user id, item id, rating, timestamp)")
print(f"{'reader':<30}{'seconds':>9}{'MB/s':>9}{'vs mfpipe read':>16}{'vs whole stage':>16}")
print(f"{'mfpipe read (columns, ids)':<30}{reading:>9.3f}{mb / reading:>9.0f}{1.0:>16.2f}{'':>16}")
print(f"{'mfpipe ingest (whole stage)':<30}{ours:>9.3f}{mb / ours:>9.0f}{'':>16}{1.0:>16.2f}")
for name in ("pyarrow", "pandas"):
    t = peers[name]
    print(f"{name + ' read_csv':<30}{t:>9.3f}{mb / t:>9.0f}{t / reading:>16.2f}{t / ours:>16.2f}")
print("(a ratio above 1 means mfpipe is that many times faster)")
print(f"mfpipe peak RSS {rss_kb / 1e3:.0f} MB; final columns {columnar:.0f} MB ({rss_kb / 1e3 / columnar:.2f}x)")
print(f"pyarrow {peers['pyarrow_version']} ({peers['pyarrow_threads']} threads), pandas {peers['pandas_version']}")
PY
