# mfpipe — build, run and test. `make run` and `make test` install what is missing first.
#
# A plain release build: the binary runs on any CPU of its architecture, and the hot
# kernels (Sources/CMFKernels) choose AVX-512, AVX2+FMA or SSE2 at run time.

PREFIX ?= /usr/local
SWIFT_FLAGS = -c release
DEBIAN_PACKAGES = libhdf5-dev zlib1g-dev libopenblas-dev liblapacke-dev libopenmpi-dev openmpi-bin hdf5-tools pkg-config python3-venv time
VENV = .venv
PYTHON_PACKAGES = h5py numpy jsonschema anndata
BINARY = .build/release/mfpipe
# Where make bench keeps its data and runs (BENCH_DIR from the environment, as bench/*.sh).
BENCH_WORK = $(abspath $(or $(BENCH_DIR),bench/work))

.PHONY: all deps venv bench-venv build run test bench bench-large fuzz sanitize report-check install clean

all: build

# Debian packages, installed only when one is missing (quiet when all are present).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

# A project-local Python with h5py (with jsonschema and anndata), for the interoperability tests;
# reinstalled when the Makefile changes (a package added to the list).
venv: $(VENV)/.installed

$(VENV)/.installed: Makefile
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check $(PYTHON_PACKAGES)
	@touch $@

# The peers `make bench` measures against (PyPI), beside h5py.
bench-venv: venv
	@$(VENV)/bin/pip install -q --disable-pip-version-check pyarrow pandas scikit-surprise scikit-learn cmfrec implicit threadpoolctl

build: deps
	@swift build $(SWIFT_FLAGS)

run: build
	$(BINARY) run pipelines/movielens.json

test: deps venv
	swift test $(SWIFT_FLAGS) --disable-swift-testing

bench: build bench-venv
	bash bench/run.sh
	bash bench/sgd.sh
	$(VENV)/bin/python bench/als.py $(abspath $(BINARY)) $(BENCH_WORK)/sgd
	$(VENV)/bin/python bench/als_movielens.py $(abspath $(BINARY)) $(BENCH_WORK)/als-movielens
	$(VENV)/bin/python bench/ccd.py $(abspath $(BINARY)) $(BENCH_WORK)/sgd
	$(VENV)/bin/python bench/dense.py $(abspath $(BINARY)) $(BENCH_WORK)/dense
	$(VENV)/bin/python bench/recommend.py $(abspath $(BINARY)) $(BENCH_WORK)/sgd
	$(VENV)/bin/python bench/mpi.py $(abspath $(BINARY)) $(BENCH_WORK)/sgd

# One box at Netflix shape: 100 M synthetic ratings (480,189 x 17,770, power-law degrees;
# written once, 1.4 GB) through pipelines/netflix-shape.json — ingest, split, normalize,
# sgd and als each over k = 16, 32, 64, evaluate, export, report — with the peak RSS of the
# whole run (GNU time, when installed); per-stage times are in the run record.
NETFLIX = bench/work/netflix
bench-large: build
	@mkdir -p $(NETFLIX)
	@[ -f $(NETFLIX)/ratings.csv ] || $(BINARY) synth --rows 480189 --cols 17770 --ratings 100000000 --seed 11 --output $(NETFLIX)/ratings.csv
	@if [ -x /usr/bin/time ]; then /usr/bin/time -v $(BINARY) run pipelines/netflix-shape.json; else $(BINARY) run pipelines/netflix-shape.json; fi

# libFuzzer over the delimited, MatrixMarket and dense readers and the pipeline parser,
# FUZZ_SECONDS each, under AddressSanitizer; a crash stops with its input in .build/fuzz/.
# Leak checks are off: what the process keeps until exit (caches, thread pools) is not a bug.
FUZZ_SECONDS ?= 60
FUZZ_TARGETS = delimited matrixmarket dense pipeline
fuzz: deps
	MFPIPE_FUZZ=1 swift build -c release --scratch-path .build/fuzz --product mfpipe-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	bash Fuzz/seed-corpus.sh .build/fuzz/corpus
	@for target in $(FUZZ_TARGETS); do \
		echo "fuzz $$target for $(FUZZ_SECONDS) s"; \
		ASAN_OPTIONS=detect_leaks=0 MFPIPE_FUZZ_TARGET=$$target .build/fuzz/release/mfpipe-fuzz -max_total_time=$(FUZZ_SECONDS) \
			-detect_leaks=0 -max_len=8192 -timeout=10 \
			-rss_limit_mb=4096 -print_final_stats=1 -artifact_prefix=.build/fuzz/crash-$$target- .build/fuzz/corpus/$$target || exit 1; \
	done

# The whole test suite under AddressSanitizer, then under ThreadSanitizer, each in its own
# build folder (the tests run the sanitized mfpipe binary built beside them). Leak checks are
# off: Swift keeps enum tags in the spare bits of pointers, so LeakSanitizer does not see that
# globals (the parameter tables) still reference their boxes, and reports them at exit.
sanitize: deps venv
	ASAN_OPTIONS=detect_leaks=0 swift test -c release --scratch-path .build/asan --sanitize=address --disable-swift-testing
	swift test -c release --scratch-path .build/tsan --sanitize=thread --disable-swift-testing

# The MovieLens HTML reports — the default sweep, and the 5-fold one of
# pipelines/movielens-kfold.json — rendered by headless Chromium (installed from Debian when
# missing; too heavy for every test run) to docs/report.png and docs/report-kfold.png; any
# console message fails it.
REPORTS = movielens-report:report movielens-kfold-report:report-kfold
report-check: run
	$(BINARY) run pipelines/movielens-kfold.json
	@command -v chromium >/dev/null || { sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq --no-install-recommends chromium >/dev/null; }
	@for pair in $(REPORTS); do \
		html=$${pair%%:*}; png=$${pair##*:}; \
		chromium --headless --disable-gpu --no-sandbox --hide-scrollbars --enable-logging=stderr --v=0 --window-size=1000,1400 \
			--screenshot=docs/$$png.png file://$(abspath out)/$$html.html 2> out/chromium.log || exit 1; \
		! grep "CONSOLE" out/chromium.log || exit 1; \
		echo "rendered out/$$html.html to docs/$$png.png with no console messages"; \
	done

install: build
	install -D -m 755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/mfpipe

clean:
	rm -rf .build runs out bench/work
