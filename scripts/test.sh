#!/usr/bin/env bash
# Sets up what is missing, then runs the whole test suite: formatting, lints, unit tests and
# the integration tests (real two-peer calls over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --workspace --all-targets --locked -- -D warnings
cargo test --release --workspace --locked -- --test-threads=2
