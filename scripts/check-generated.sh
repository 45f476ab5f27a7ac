#!/usr/bin/env bash
# Fails when committed generated files (TypeScript bindings, icons) differ from
# what the sources generate now.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! git diff --quiet -- ui/src/lib/bindings 2>/dev/null; then
  echo "Generated TypeScript bindings drifted from the Rust types: commit ui/src/lib/bindings." >&2
  git --no-pager diff --stat -- ui/src/lib/bindings >&2
  exit 1
fi
echo "generated files are up to date"
