#!/usr/bin/env bash
# The declared `rust-version` (Cargo.toml) really builds: type-checks the whole
# workspace, tests included, with exactly that toolchain (installed with rustup
# when missing). When it is the toolchain every other step builds with, those
# steps are the check (nothing to do twice). Raise the declared version when a
# dependency needs a newer one.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
version=$(sed -n 's/^rust-version = "\(.*\)"/\1/p' Cargo.toml | head -1)
[[ -n "$version" ]] || { echo "no rust-version in Cargo.toml" >&2; exit 1; }
active=$(rustc --version | awk '{print $2}')
if [[ "$active" == "$version" || "$active" == "$version".* ]]; then
  echo "rust-version $version: the toolchain of every other step (rustc $active), checked by them"
  exit 0
fi
if ! rustup run "$version" rustc --version >/dev/null 2>&1; then
  rustup toolchain install "$version" --profile minimal
fi
echo "rust-version $version: $(rustup run "$version" rustc --version)"
cargo +"$version" check --workspace --all-targets --locked --target-dir target/msrv
