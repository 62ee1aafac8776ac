# The few verbs a newcomer needs. `make test` is the README's test command
# and what CI runs; `make run` starts the app.
.PHONY: run test test-long lint deny audit fuzz-check ui ui-test e2e bench deb test-deb cli install setup

CARGO ?= cargo
TAURI := ui/node_modules/.bin/tauri

# Build and start the desktop app on the default vault (first run: create it).
run: setup ui
	$(TAURI) build --no-bundle --ci
	./target/release/vrm-vault-app

# Every test: lints, Rust unit and integration tests, UI tests, and the
# end-to-end tests through the real app under Xvfb.
test: setup ui lint
	$(CARGO) test --workspace --lib --bins --tests --locked
	$(CARGO) test --workspace --doc --locked
	npm --prefix ui test
	bash scripts/e2e

lint: ui fuzz-check deny
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings
	RUSTDOCFLAGS="-D warnings" $(CARGO) doc --no-deps --workspace --locked

# Licences, banned crates and sources of every dependency (deny.toml);
# offline, so it runs anywhere once the crates are fetched (a fresh machine
# has none of them yet, and cargo-deny reads every one's metadata).
deny:
	$(CARGO) fetch --locked
	cargo deny --offline check licenses bans sources

# Known vulnerabilities too: needs GitHub (RustSec) and the npm registry's
# audit service, which this project's CI machines cannot reach.
audit: deny
	cargo deny check advisories
	npm --prefix ui audit

# The fuzz targets (fuzz/README.md) still build against the core; running
# them is `bash fuzz/run.sh`.
fuzz-check:
	$(CARGO) fmt --manifest-path fuzz/Cargo.toml --check
	CARGO_TARGET_DIR=$${CARGO_TARGET_DIR:-$(CURDIR)/target} $(CARGO) clippy --manifest-path fuzz/Cargo.toml --bins --lib --locked -- -D warnings

# The UI, built into ui/dist (which the app embeds).
ui: setup
	npm --prefix ui run build

# The Debian package: the app, and `vrm` with its man pages and completions
# (target/release/bundle/deb/vrm-vault_0.1.0_amd64.deb; scripts/deb).
deb: setup ui
	bash scripts/deb

# Unpack that package into a scratch root and check both programs run.
test-deb: deb
	bash tests/deb/test_deb.sh

# What `make test` leaves out for CI's time (figures in BENCHMARKS.md): the
# package's release build (cold, about 40 min more on 2 busy cores; 9 min
# once the release dependencies are built) and its test, the long forms of
# the crash and byte-flip harnesses, and ten minutes of each fuzz target.
test-long: test test-deb
	VRM_CRASH_TRIALS=200 $(CARGO) test --release --locked --test integration crash -- --nocapture
	VRM_FLIP_TRIALS=1000 VRM_ROW_TRIALS=1000 $(CARGO) test --release --locked --test integration flips -- --nocapture
	VRM_SYNC_CASES=200 $(CARGO) test --release --locked --lib sync::engine::tests::three
	bash fuzz/run.sh

# The command line alone: make cli ARGS="record list"
cli:
	$(CARGO) run --release --quiet --bin vrm -- $(ARGS)

# Criterion benchmarks; figures go in BENCHMARKS.md.
bench:
	$(CARGO) bench --bench vault
	$(CARGO) bench --bench discover

install:
	$(CARGO) install --locked --path .

setup:
	@bash scripts/setup
