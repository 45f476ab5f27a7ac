#!/usr/bin/env bash
# Benchmarks: the SFTP engine against OpenSSH sftp (loopback and an emulated
# internet link), printing a table and writing target/bench/sftp.json.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! cargo metadata --no-deps --format-version 1 | grep -q '"name":"backup-transfer"'; then
  echo "The SFTP engine (crates/backup-transfer) is not in this tree yet: nothing to benchmark." >&2
  exit 1
fi
cargo run --release -p backup-transfer --example bench -- "$@"
