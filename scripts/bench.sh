#!/usr/bin/env bash
# Benchmarks: the SFTP engine against OpenSSH sftp (loopback and an emulated
# internet link), then what the archive check adds to a download (against
# unzip -t); each prints a table and writes target/bench/*.json.
# Arguments go to the SFTP engine's bench (see its header); ARCHIVE_MIB sets
# the archive check's size (default 1024).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo run --release -p backup-transfer --example bench -- "$@"
cargo run --release -p backup-archive --example bench -- --size-mib "${ARCHIVE_MIB:-1024}" --runs 3
