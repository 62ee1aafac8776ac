# The few verbs a newcomer needs. `make test` is the README's test command
# and what CI runs.
.PHONY: run test lint bench setup install

CARGO ?= cargo

# Run `vrm` on the default vault (creates one on first run, on a terminal).
# Pass arguments with ARGS="record list".
run: setup
	$(CARGO) run --release --quiet --bin vrm -- $(ARGS)

# Every test: formatting, lints, unit and integration tests (with the `age`
# command for interop).
test: setup lint
	$(CARGO) test --lib --bins --tests --locked
	$(CARGO) test --doc --locked

lint:
	$(CARGO) fmt --all --check
	$(CARGO) clippy --all-targets --locked -- -D warnings

# Criterion benchmarks; figures go in BENCHMARKS.md.
bench:
	$(CARGO) bench --bench vault

install:
	$(CARGO) install --locked --path .

setup:
	@bash scripts/setup
