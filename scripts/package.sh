#!/usr/bin/env bash
# Installable Linux packages with Tauri's bundler, offline (nothing is
# downloaded at build time): .deb and .rpm holding the desktop app, the
# backup-desk CLI, the desktop entry, the icons, and a systemd user timer and
# service for `backup-desk auto --once` (shipped, not enabled).
# AppImage needs tools the bundler downloads (linuxdeploy): built only with
# APPIMAGE=1 on a machine that has them (see README).
# Prints each package with its size.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

[[ -f ui/node_modules/.bin/tauri ]] || npm --prefix ui ci --no-audit --no-fund
scripts/ui-build.sh
scripts/release-build.sh

bundles=deb,rpm
[[ "${APPIMAGE:-}" == 1 ]] && bundles=deb,rpm,appimage
rm -rf target/release/bundle/deb target/release/bundle/rpm
(cd ui && TAURI_APP_PATH=../src-tauri TAURI_FRONTEND_PATH=. ./node_modules/.bin/tauri bundle \
  --bundles "$bundles" --config ../src-tauri/tauri.linux-packages.json)

for f in target/release/bundle/deb/*.deb target/release/bundle/rpm/*.rpm; do
  awk -v f="$f" -v s="$(stat -c %s "$f")" 'BEGIN { printf "%s\t%.1f MB\n", f, s / 1e6 }'
done
