# Lockstep: the two set-up commands are `make run` and `make test` (see README.md).
SWIFT ?= swift
VENV := .venv
LOCKSTEP := .build/release/lockstep
# Arguments for `make run`; the default starts the whole two-chain harness, kept in .lockstep-data, with a
# background searcher (--traffic) so that based blocks show up within a minute
# (lockstep devnet --help lists its options; `make run ARGS="devnet --slot-time 12"` changes them).
ARGS ?= devnet --data-dir .lockstep-data --traffic

.PHONY: deps build run test test-swift test-interop bench fuzz clean

deps:
	@bash Deploy/install-deps.sh

# Builds every product: lockstep and the benchmarks' lockstep-bench (which `lockstep bench` runs).
build: deps
	$(SWIFT) build -c release

# Starts the main job: the two-chain devnet (L1 :8545, L2 :9545, builder :9555, provers :9565-9566); Ctrl-C stops it.
run: build
	$(LOCKSTEP) $(ARGS)

# Heavy suites run in release mode; the Python interop suite drives the release binary.
test: deps
	$(SWIFT) test -c release
	$(SWIFT) build -c release --product lockstep
	$(SWIFT) build -c release --product lockstep-bench
	LOCKSTEP_BIN=$(abspath $(LOCKSTEP)) $(VENV)/bin/python -m pytest -q Tests/Interop

# libFuzzer on every decoder of outside bytes, FUZZ_SECONDS each (Deploy/fuzz.sh; not part of `make test`, which
# replays the seed corpus and the regressions).
FUZZ_SECONDS ?= 600
fuzz: deps
	bash Deploy/fuzz.sh --seconds $(FUZZ_SECONDS)

bench: build
	$(LOCKSTEP) bench primitives

clean:
	rm -rf .build
