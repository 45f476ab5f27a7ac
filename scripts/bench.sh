#!/usr/bin/env bash
# Benchmarks: the SFTP engine against OpenSSH sftp, rclone and lftp (loopback
# and emulated internet links), the full download path (API calls, engine,
# check) against the engine alone, then what the archive check adds to a
# download (against unzip -t); each prints a table and writes target/bench/*.json.
# Arguments go to the SFTP engine's bench (see its header); ARCHIVE_MIB sets
# the archive check's size (default 1024); QUICK=1 runs everything small, once.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -n "${QUICK:-}" ]]; then
  # A few minutes: small files, one run each, no 4 GiB memory run.
  cargo run --release -p backup-transfer --example bench -- --quick --kill-at-half "$@"
  cargo run --release -p backup-workflows --example full_path -- --quick
  cargo run --release -p backup-archive --example bench -- --size-mib 128 --runs 1
else
  cargo run --release -p backup-transfer --example bench -- --kill-at-half "$@"
  cargo run --release -p backup-workflows --example full_path
  cargo run --release -p backup-archive --example bench -- --size-mib "${ARCHIVE_MIB:-1024}" --runs 3
fi
