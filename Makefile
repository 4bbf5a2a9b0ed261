# mfpipe — build, run and test. `make run` and `make test` install what is missing first.
#
# A plain release build: the binary runs on any CPU of its architecture, and the hot
# kernels (Sources/CMFKernels) choose AVX-512, AVX2+FMA or SSE2 at run time.

PREFIX ?= /usr/local
SWIFT_FLAGS = -c release
DEBIAN_PACKAGES = libhdf5-dev zlib1g-dev libopenblas-dev liblapacke-dev hdf5-tools pkg-config python3-venv
VENV = .venv
PYTHON_PACKAGES = h5py numpy
BINARY = .build/release/mfpipe

.PHONY: all deps venv bench-venv build run test bench install clean

all: build

# Debian packages, installed only when one is missing (quiet when all are present).
deps:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg-query -W -f='$${Status}\n' $$p 2>/dev/null | grep -q '^install ok installed$$' || echo $$p; done); \
	if [ -n "$$missing" ]; then \
		echo "installing Debian packages:" $$missing; \
		sudo=$$( [ "$$(id -u)" -eq 0 ] || echo sudo ); \
		$$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$sudo apt-get install -y -qq $$missing >/dev/null; \
	fi

# A project-local Python with h5py, for the interoperability tests.
venv: $(VENV)/.installed

$(VENV)/.installed:
	@python3 -m venv $(VENV)
	@$(VENV)/bin/pip install -q --disable-pip-version-check $(PYTHON_PACKAGES)
	@touch $@

# The peers `make bench` measures against (PyPI), beside h5py.
bench-venv: venv
	@$(VENV)/bin/pip install -q --disable-pip-version-check pyarrow pandas scikit-surprise

build: deps
	@swift build $(SWIFT_FLAGS)

run: build
	$(BINARY) run pipelines/movielens.json

test: deps venv
	swift test $(SWIFT_FLAGS) --disable-swift-testing

bench: build bench-venv
	bash bench/run.sh
	bash bench/sgd.sh

install: build
	install -D -m 755 $(BINARY) $(DESTDIR)$(PREFIX)/bin/mfpipe

clean:
	rm -rf .build runs out bench/work
