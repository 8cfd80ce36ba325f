# Lockstep: the two set-up commands are `make run` and `make test` (see README.md).
SWIFT ?= swift
VENV := .venv
LOCKSTEP := .build/release/lockstep
# Arguments for `make run`; the default starts the L1 devnet (lockstep l1 --help lists its options).
ARGS ?= l1 --slot-time 2 --data-dir .lockstep-data

.PHONY: deps build run test test-swift test-interop bench clean

deps:
	@bash Deploy/install-deps.sh

# Builds every product: lockstep and the benchmarks' lockstep-bench (which `lockstep bench` runs).
build: deps
	$(SWIFT) build -c release

# Starts the main job: for now the L1 devnet on http://127.0.0.1:8545 (the sequencer and builder come next).
run: build
	$(LOCKSTEP) $(ARGS)

# Heavy suites run in release mode; the Python interop suite drives the release binary.
test: deps
	$(SWIFT) test -c release
	$(SWIFT) build -c release --product lockstep
	$(SWIFT) build -c release --product lockstep-bench
	LOCKSTEP_BIN=$(abspath $(LOCKSTEP)) $(VENV)/bin/python -m pytest -q Tests/Interop

bench: build
	$(LOCKSTEP) bench primitives

clean:
	rm -rf .build
