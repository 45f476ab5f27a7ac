#!/usr/bin/env bash
# Builds the UI into ui/dist, only when something under ui/ (its sources,
# config or installed packages) is newer than the last build: a fresh ui/dist
# makes cargo re-embed it and relink the release app for nothing (3.5 min on
# the 2-core machine). Used by `make test` and the packaging.
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ -f ui/dist/index.html ]]; then
  newer=$(find ui -path ui/dist -prune -o -path ui/node_modules -prune -o -newer ui/dist/index.html -print -quit)
  if [[ -z "$newer" && ! ui/node_modules/.package-lock.json -nt ui/dist/index.html ]]; then
    echo "ui/dist is newer than every UI source: not built again"
    exit 0
  fi
fi
npm --prefix ui run build
