# geodes: the two commands are `make demo` and `make test`; everything else is for developers.
# Each target installs what is missing first (scripts/setup), so a fresh Debian machine needs
# nothing else.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
JOBS ?= $(shell nproc)
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: all setup build build-cpp build-python demo test test-cpp test-python test-asan \
        test-fuzz test-install test-release fuzz-long bench bench-scale bench-peers calibrate-mysql \
        format lint tidy clean

all: build

setup:
	@scripts/setup

build: setup build-cpp build-python

build-cpp:
	@cmake --preset dev >/dev/null
	@cmake --build --preset dev -j $(JOBS)

# Rebuilds the _core extension in the project venv (incremental: build/python persists).
build-python:
	@$(PY) -m pip install -q --no-build-isolation --no-deps -e .

# The main job: the built-in two-city login scenario, its summary on the terminal, its results in
# build/demo/ (HDF5, summary JSON and the HTML report), by the `geodes` command pip installed.
demo: build
	@mkdir -p build/demo
	@$(VENV)/bin/geodes run --out build/demo/results.h5 --json build/demo/summary.json \
	  --report build/demo/report.html
	@echo "results: build/demo/results.h5 (HDF5, docs/results.md), build/demo/summary.json"
	@echo "report:  build/demo/report.html (open it in a browser)"


test: build test-cpp test-python test-install test-release test-asan test-fuzz

test-cpp:
	@ctest --preset dev -j $(JOBS)

test-python:
	@$(PY) -m pytest -q

test-asan: setup
	@cmake --preset asan >/dev/null
	@cmake --build --preset asan -j $(JOBS)
	@ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	  ctest --preset asan -j $(JOBS)

# The scenario loader under libFuzzer for a bounded time, seeded with scenarios/ and fuzz/corpus/;
# new inputs go to build/fuzz/corpus (kept between runs), crashes to build/fuzz/ as crash-*.
FUZZ_SECONDS ?= 60
test-fuzz: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@mkdir -p build/fuzz/corpus
	@cd build/fuzz && fuzz/scenario_loader_fuzz -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	  -rss_limit_mb=2048 -print_final_stats=1 -dict=../../fuzz/scenario.dict \
	  corpus ../../scenarios ../../fuzz/corpus 2>fuzz.log || { tail -n 60 fuzz.log; exit 1; }
	@grep -E "INITED|DONE|stat::number_of_executed_units|stat::new_units_added" build/fuzz/fuzz.log

# The release build the benchmarks measure (scripts/build-release: profile-guided optimisation,
# trained on the shipped scenarios), with its check that the profile changed no result.
test-release: setup
	@JOBS=$(JOBS) scripts/build-release geodes

# `pip install .` into a fresh venv and the `geodes` command it gives (scripts/test-install).
test-install: setup
	@scripts/test-install

# Fuzzing that accumulates (hours; outside `make test`): libFuzzer at the lowest priority for
# FUZZ_LONG_SECONDS, keeping its corpus in build/fuzz/corpus between runs, then a minimised merge
# of everything found (that corpus, fuzz/corpus, scenarios/) written back to fuzz/corpus/, to be
# committed, so that every `make test-fuzz` starts from all past coverage. Crashes go to
# build/fuzz/ as crash-*; the final figures (executions, cov, ft) to build/fuzz/fuzz-long.log.
FUZZ_LONG_SECONDS ?= 7200
fuzz-long: setup
	@cmake --preset fuzz >/dev/null
	@cmake --build --preset fuzz -j $(JOBS)
	@mkdir -p build/fuzz/corpus
	@cd build/fuzz && nice -n 19 fuzz/scenario_loader_fuzz -max_total_time=$(FUZZ_LONG_SECONDS) \
	  -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 -dict=../../fuzz/scenario.dict \
	  corpus ../../fuzz/corpus ../../scenarios >fuzz-long.log 2>&1 || { tail -n 60 fuzz-long.log; exit 1; }
	@rm -rf build/fuzz/merged && mkdir -p build/fuzz/merged
	@cd build/fuzz && nice -n 19 fuzz/scenario_loader_fuzz -merge=1 -timeout=10 -rss_limit_mb=2048 \
	  merged ../../fuzz/corpus corpus ../../scenarios >merge.log 2>&1 || { tail -n 30 merge.log; exit 1; }
	@rm -rf fuzz/corpus && mv build/fuzz/merged fuzz/corpus
	@grep -E "stat::number_of_executed_units|stat::new_units_added|DONE" build/fuzz/fuzz-long.log
	@tail -n 1 build/fuzz/merge.log
	@echo "fuzz/corpus: $$(ls fuzz/corpus | wc -l) inputs (git add fuzz/corpus to keep them)"

bench: setup
	@JOBS=$(JOBS) scripts/build-release geodes geodes_bench
	@build/release/bench/geodes_bench --benchmark_repetitions=3 --benchmark_report_aggregates_only=true
	@$(PY) bench/peer_simpy_hold.py --bench build/release/bench/geodes_bench

# Cost growth at a glance: the built-in scenario at 10k ops/s with 100 k / 1 M / 10 M users for
# 10 min / 1 h / 2 h, one CLI run each (the largest needs about 6 GiB and several minutes);
# SCALE_ARGS narrows it, e.g. SCALE_ARGS="--users 100k,1M --durations 10m,1h".
SCALE_ARGS ?=
bench-scale: setup
	@JOBS=$(JOBS) scripts/build-release geodes
	@$(PY) bench/scale.py --geodes build/release/app/geodes $(SCALE_ARGS)

# The M/M/1 replication channel in geodes (scenario format), SimPy 4 and SimGrid, 1 M writes each,
# 3 runs each in turns (medians). PEERS_ARGS passes options, e.g. PEERS_ARGS="--repeat 5".
PEERS_ARGS ?=
bench-peers: setup
	@JOBS=$(JOBS) scripts/build-release geodes peer_simgrid_mm1
	@$(PY) bench/peers.py --geodes build/release/app/geodes \
	  --simgrid build/release/bench/peer_simgrid_mm1 $(PEERS_ARGS)

# geodes' MySQL channel against a real MariaDB primary and replica (calibration/mariadb/, docs/
# calibration.md): about 25 minutes; take it on a quiet machine. Results in build/calibration/.
# CALIBRATE_ARGS passes options, e.g. CALIBRATE_ARGS="--quiet-load 0.7".
calibrate-mysql: build
	@$(PY) -m calibration.mariadb --out build/calibration/mariadb $(CALIBRATE_ARGS)

format: setup
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format -i
	@$(PY) -m ruff format python tests/python tests/calibration bench calibration

lint: setup
	@git ls-files '*.cpp' '*.hpp' | xargs clang-format --dry-run -Werror
	@$(PY) -m ruff check python tests/python tests/calibration bench calibration

tidy: build-cpp
	@git ls-files 'sim/*.cpp' 'models/*.cpp' 'app/*.cpp' | xargs clang-tidy -p build/dev --quiet

clean:
	rm -rf build
