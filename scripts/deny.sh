#!/usr/bin/env bash
# Supply chain of the Rust dependency tree, by deny.toml: licenses, bans and sources
# (offline: Cargo.lock and the local registry cache are enough), then the advisories,
# only when their database can be fetched. A missing network never fails this; a
# license, ban, source or advisory finding does.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

# The checks read every crate in Cargo.lock, other platforms' too (wasi, Android…), which no
# build here downloads: on a fresh machine they are fetched first. Where the registry cannot be
# reached, what is cached is checked.
if ! fetch_log=$(timeout 300 cargo fetch --locked 2>&1); then
  echo "cargo fetch failed (checking the local registry cache as it is): $(printf '%s\n' "$fetch_log" | tail -n 1)"
fi

# -L error: duplicate versions are warnings by policy; the stats line still counts them.
cargo deny --offline --locked -L error check --show-stats licenses bans sources

if fetched=$(timeout 60 cargo deny --locked fetch db 2>&1); then
  cargo deny --offline --locked -L error check --show-stats advisories
else
  reason=$(printf '%s\n' "$fetched" | grep -m1 'fatal:' || printf '%s\n' "$fetched" | grep -m1 -iE 'error' ||
    echo "no answer within 60 s")
  echo "advisories skipped: the advisory database is not reachable (${reason})"
fi
