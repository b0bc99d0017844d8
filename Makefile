# The complaint-routing mesh. `make run` starts it, `make test` tests it.
# Builds go to a target directory outside the clone, so CI and later clones
# reuse earlier builds.

CARGO_TARGET_DIR ?= $(HOME)/.cache/complaint-mesh/target
export CARGO_TARGET_DIR
BIN_DIR := $(CARGO_TARGET_DIR)/debug
CARGO ?= cargo

.PHONY: help run stop build test test-unit test-e2e test-faults infra chromium bench bench-mesh profile-mesh lint fmt check-cargo fuzz

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | sed 's/:.*## /\t/' | sort

check-cargo:
	@command -v $(CARGO) >/dev/null || { echo "cargo not found: install Rust with rustup (https://rustup.rs), then run make again" >&2; exit 1; }

build: check-cargo ## build every service and complaintctl
	$(CARGO) build --workspace --bins

infra: ## make sure Postgres and NATS JetStream run on loopback (installs them if missing)
	deploy/local/ensure-infra.sh

run: build ## run the whole mesh on this machine with the sample network (Ctrl-C stops it)
	BIN_DIR=$(BIN_DIR) deploy/local/run.sh

stop: ## stop services left running by `make run`
	deploy/local/stop.sh

chromium: ## make sure headless Chromium is installed (the report test opens the HTML report)
	deploy/local/ensure-chromium.sh

test: infra chromium build ## every test: unit tests and end-to-end tests against real Postgres and NATS
	$(CARGO) test --workspace --no-fail-fast

test-unit: check-cargo ## unit tests only (no Postgres or NATS needed)
	$(CARGO) test --workspace --lib --bins

test-e2e: infra chromium build ## end-to-end tests only
	$(CARGO) test -p mesh-e2e --no-fail-fast

test-faults: infra build ## the fault test alone: kill -9 every service, nats-server and Postgres under load, then reconcile (about 3 min; part of `make test` too)
	$(CARGO) test -p mesh-e2e --test faults -- --nocapture

bench: check-cargo infra ## benchmarks on a release build: 10 million open timers, reports over 10 million cases, the whole mesh under load
	$(CARGO) build --release --workspace --bins
	$(CARGO_TARGET_DIR)/release/timer-bench
	$(CARGO_TARGET_DIR)/release/report-bench
	$(CARGO_TARGET_DIR)/release/mesh-bench $(MESH_BENCH_ARGS)

bench-mesh: check-cargo infra ## the whole-mesh load benchmark alone, with its JetStream and Postgres ceilings (MESH_BENCH_ARGS="--rate 500 --secs 60")
	$(CARGO) build --release --workspace --bins
	$(CARGO_TARGET_DIR)/release/mesh-bench $(MESH_BENCH_ARGS)

PROFILE_DIR := $(CARGO_TARGET_DIR)/profile
profile-mesh: check-cargo infra ## where the time goes under load: mesh-bench with a Postgres statement profile, the whole machine sampled by perf (MESH_BENCH_ARGS="--rate 300 --secs 30")
	@command -v perf >/dev/null || { echo "perf not found: apt-get install linux-perf" >&2; exit 1; }
	$(CARGO) build --release --workspace --bins
	mkdir -p $(PROFILE_DIR)
	perf record -e cpu-clock -F 499 -a -g -o $(PROFILE_DIR)/perf.data -- \
		$(CARGO_TARGET_DIR)/release/mesh-bench --no-ceilings --statements 25 $(MESH_BENCH_ARGS)
	perf report -i $(PROFILE_DIR)/perf.data --sort comm --stdio --no-children 2>/dev/null | grep -v '^$$' | head -30
	perf report -i $(PROFILE_DIR)/perf.data --sort comm,dso --stdio --no-children -g none 2>/dev/null | grep -v '^$$' | head -45

lint: check-cargo ## formatting and clippy
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets -- -D warnings

fmt: check-cargo ## format the code
	$(CARGO) fmt --all

# Fuzzing (docs/fuzzing.md). cargo-fuzz needs nightly-only compiler flags;
# RUSTC_BOOTSTRAP=1 lets the stable toolchain take them. Builds and the
# corpus the fuzzer grows stay outside the clone; the seeds are in
# tests/fuzz/corpus, findings land in tests/fuzz/artifacts.
FUZZ_SECONDS ?= 30
FUZZ_DIR := tests/fuzz
FUZZ_TARGETS ?= $(sort $(basename $(notdir $(wildcard $(FUZZ_DIR)/fuzz_targets/*.rs))))
FUZZ_TARGET_DIR ?= $(HOME)/.cache/complaint-mesh/fuzz-target
FUZZ_CORPUS_DIR ?= $(HOME)/.cache/complaint-mesh/fuzz-corpus
# Our code forbids `unsafe`, so AddressSanitizer would only watch the
# dependencies, at half the speed; FUZZ_SANITIZER=address turns it on.
FUZZ_SANITIZER ?= none
CARGO_FUZZ = RUSTC_BOOTSTRAP=1 $(CARGO) fuzz
FUZZ_FLAGS = --fuzz-dir $(FUZZ_DIR) --target-dir $(FUZZ_TARGET_DIR) --sanitizer $(FUZZ_SANITIZER)

fuzz: check-cargo ## run every fuzz target for FUZZ_SECONDS (30) each; FUZZ_TARGETS="…" picks some
	@$(CARGO) fuzz --version >/dev/null 2>&1 || $(CARGO) install cargo-fuzz --locked
	$(CARGO_FUZZ) build $(FUZZ_FLAGS)
	@failed=""; for t in $(FUZZ_TARGETS); do \
	  echo "== fuzz $$t for $(FUZZ_SECONDS) s"; \
	  mkdir -p $(FUZZ_CORPUS_DIR)/$$t $(FUZZ_DIR)/corpus/$$t; \
	  $(CARGO_FUZZ) run $(FUZZ_FLAGS) $$t $(FUZZ_CORPUS_DIR)/$$t $(FUZZ_DIR)/corpus/$$t -- \
	    -max_total_time=$(FUZZ_SECONDS) -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
	    || failed="$$failed $$t"; \
	done; \
	if [ -n "$$failed" ]; then echo "fuzz targets with findings:$$failed (inputs in $(FUZZ_DIR)/artifacts)" >&2; exit 1; fi
