#!/usr/bin/env bash
# Writes the fuzzers' seed corpora into $1/<target>/: the beginnings of the bundled data
# files and pipelines, and the shapes of input the tests exercise (quotes, headers, other
# delimiters, MatrixMarket variants, gzip-free). A corpus folder that exists keeps what
# earlier fuzzing found and only gains the seeds.
set -euo pipefail
out=$1
mkdir -p "$out"/{delimited,matrixmarket,dense,pipeline}

# The delimited target reads its first byte as settings: \x00 detects the header.
seed() { printf '\x00'; cat; }
head -c 3000 data/ml-latest-small/ratings.csv | seed > "$out/delimited/movielens"
head -c 2000 data/toy/toy.csv | seed > "$out/delimited/toy"
printf 'user\titem\trating\n1\t2\t3.5\n2\t1\t4\n' | seed > "$out/delimited/tsv"
printf '1::10::5::978300760\n1::20::3::978302109\n' | seed > "$out/delimited/colons"
printf '"a, b",x,1.5\n"c ""d""",y,-2e3\n# comment\n\nz,x,7\n' | seed > "$out/delimited/quoted"
printf '1 2 3\n4 5 6.25\n' | seed > "$out/delimited/spaces"

head -c 3000 data/toy/toy.mtx > "$out/matrixmarket/toy"
printf '%%%%MatrixMarket matrix coordinate real symmetric\n3 3 3\n1 1 1.0\n2 1 -2.5\n3 2 4e2\n' > "$out/matrixmarket/symmetric"
printf '%%%%MatrixMarket matrix coordinate pattern general\n%% comment\n2 3 2\n1 3\n2 1\n' > "$out/matrixmarket/pattern"
printf '%%%%MatrixMarket matrix coordinate integer general\n2 2 2\n1 1 7\n2 2 -3\n' > "$out/matrixmarket/integer"
printf '%%%%MatrixMarket matrix array real general\n2 3\n1\n2\n3\n4\n5\n6\n' > "$out/matrixmarket/array"

head -c 3000 data/synthetic/dense-rank6.csv > "$out/dense/rank6"
printf 'name,a,b\nr1,1,2\nr2,3,\n' > "$out/dense/named"
printf '1.5\t2\t3\n4\t5\t6\n' > "$out/dense/tabs"

for pipeline in pipelines/*.json; do cp "$pipeline" "$out/pipeline/$(basename "$pipeline" .json)"; done
