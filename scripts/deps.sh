#!/usr/bin/env bash
# Installs what Backup Desk needs on Debian/Ubuntu, and nothing that is already there.
#   scripts/deps.sh run   — build and run the app (Tauri's webkit2gtk-4.1 stack, build tools, Node.js)
#   scripts/deps.sh test  — the above plus sshd, Xvfb, gnome-keyring, D-Bus, WebKitWebDriver, tauri-driver, cargo-nextest, cargo-deny
#   scripts/deps.sh bench — the test packages plus the peers the benchmark compares with (rclone, lftp)
#   scripts/deps.sh windows — only the Windows cross build and its tests: the Rust target, mingw-w64, Wine
# Uses sudo when not root; never prompts when CI=true (or without a terminal).
set -euo pipefail

mode="${1:-run}"
run_pkgs=(build-essential pkg-config curl file libwebkit2gtk-4.1-dev libxdo-dev libssl-dev
  libayatana-appindicator3-dev librsvg2-dev libdbus-1-dev gnome-keyring dbus)
test_pkgs=(openssh-server openssh-client putty-tools xvfb xauth dbus-x11 webkit2gtk-driver libsecret-tools python3 python3-venv sqlite3)
windows_pkgs=(gcc-mingw-w64-x86-64 wine wine64)
# The peers `make bench` times the engine against (besides OpenSSH's sftp).
bench_pkgs=(rclone lftp)
pkgs=("${run_pkgs[@]}")
[[ "$mode" == test || "$mode" == bench ]] && pkgs+=("${test_pkgs[@]}")
[[ "$mode" == bench ]] && pkgs+=("${bench_pkgs[@]}")
[[ "$mode" == windows ]] && pkgs=("${windows_pkgs[@]}")

say() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

if ! command -v dpkg-query >/dev/null; then
  say "Not a Debian/Ubuntu system: install the equivalents of: ${pkgs[*]} (see README)."
  exit 1
fi

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [[ "$mode" != windows ]] && { ! command -v node >/dev/null || ! command -v npm >/dev/null; }; then
  missing+=(nodejs npm)
fi

if ((${#missing[@]})); then
  sudo=()
  if [[ $(id -u) -ne 0 ]]; then
    command -v sudo >/dev/null || { say "Need root or sudo to install: ${missing[*]}"; exit 1; }
    sudo=(sudo)
    [[ "${CI:-}" == true || ! -t 0 ]] && sudo=(sudo -n)
  fi
  say "Installing system packages: ${missing[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

if ! command -v cargo >/dev/null; then
  say "Rust is missing: install it with rustup (https://rustup.rs), then run this again."
  exit 1
fi

if [[ "$mode" == windows ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  target=x86_64-pc-windows-gnu
  if ! rustup target list --installed | grep -qx "$target"; then
    say "Installing the Rust target $target (rustup)"
    rustup target add "$target" || {
      say "rustup could not fetch the $target standard library; install it where it can be reached."
      exit 1
    }
  fi
  exit 0
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if ((node_major < 20)); then
  say "Node.js $(node --version) is too old: the UI needs Node 20.19 or newer (https://nodejs.org)."
  exit 1
fi

if [[ "$mode" == test ]]; then
  export PATH="$HOME/.cargo/bin:$PATH"
  # The test tools are built unoptimized (--debug): same findings, and a clean
  # machine (CI) builds them in less time than they then run. Measured on the
  # 2-core machine: cargo-deny 1:21 instead of 3:30 (its release profile is fat
  # LTO), its checks 6.7 s instead of 2.3 s; tauri-driver 27 s instead of 40 s.
  if ! command -v tauri-driver >/dev/null; then
    say "Installing tauri-driver (cargo install --locked)"
    cargo install tauri-driver --locked --version '^2' --quiet --debug
  fi
  # One process per test: tests that start a private Secret Service need it
  # (libdbus keeps the first session bus of a process).
  if ! command -v cargo-nextest >/dev/null; then
    say "Installing cargo-nextest (cargo install --locked)"
    cargo install cargo-nextest --locked --quiet
  fi
  # Licenses, bans, sources and advisories of the dependency tree (scripts/deny.sh).
  if ! command -v cargo-deny >/dev/null; then
    say "Installing cargo-deny (cargo install --locked; compiles for a minute or two)"
    cargo install cargo-deny --locked --quiet --debug
  fi
fi

if [[ ! -d ui/node_modules ]] || [[ ui/package-lock.json -nt ui/node_modules/.package-lock.json ]]; then
  say "Installing the UI's npm packages (npm ci)"
  (cd ui && npm ci --no-audit --no-fund --loglevel=error)
fi
