#!/usr/bin/env bash
# Sets up what is missing, then runs the whole test suite: formatting, lints, unit tests and
# the integration tests (real two-peer calls over loopback).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cargo fmt --all -- --check
cargo clippy --release --all-targets --locked -- -D warnings
cargo test --release --locked -- --test-threads=2
