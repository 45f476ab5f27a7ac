#!/usr/bin/env bash
# Every check and test of Backup Desk, failing on the first red.
# Ends with one line: "N passed, N failed" (tests, plus one per lint/format/type check).
set -uo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"
export CARGO_TERM_COLOR=never
log_dir=target/test-logs
mkdir -p "$log_dir"

passed=0
failed=0
# How long each step took, printed at the end (where CI time goes).
timings=()
say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
finish() {
  echo
  ((${#timings[@]})) && printf '%s\n' "Time per step (s):" "${timings[@]}"
  echo "$passed passed, $failed failed"
  exit "$1"
}

# Adds the counts a test runner printed in $1 (nextest, cargo test or vitest).
count() {
  local p f log
  log=$(mktemp)
  sed 's/\x1b\[[0-9;]*m//g' "$1" > "$log"
  set -- "$log"
  p=$(grep -E '^ +Summary \[' "$1" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}')
  f=$(grep -E '^ +Summary \[' "$1" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}')
  if [[ -z "$p" ]]; then
    p=$(grep -E '^test result: ' "$1" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}')
    f=$(grep -E '^test result: ' "$1" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | awk '{s+=$1} END {if (NR) print s}')
  fi
  if [[ -z "$p" ]]; then
    p=$(grep -E '^ +Tests +' "$1" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+' | head -1)
    f=$(grep -E '^ +Tests +' "$1" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+' | head -1)
  fi
  rm -f "$log"
  passed=$((passed + ${p:-0}))
  failed=$((failed + ${f:-0}))
}

# step NAME KIND CMD...: KIND is "check" (counts as one) or "tests" (counts the runner's tests).
step() {
  local name="$1" kind="$2"
  shift 2
  say "$name"
  local log="$log_dir/${name// /-}.log" started=$SECONDS
  "$@" 2>&1 | tee "$log"
  local rc=${PIPESTATUS[0]}
  timings+=("$(printf '%6d  %s' $((SECONDS - started)) "$name")")
  if [[ "$kind" == tests ]]; then
    count "$log"
    if ((rc != 0)); then
      ((failed == 0)) && failed=1
      say "FAILED: $name (log: $log)"
      finish 1
    fi
  elif ((rc == 0)); then
    passed=$((passed + 1))
  else
    failed=$((failed + 1))
    say "FAILED: $name (log: $log)"
    finish 1
  fi
}

if command -v cargo-nextest >/dev/null; then
  rust_tests=(cargo nextest run --workspace --no-fail-fast --failure-output final)
else
  rust_tests=(cargo test --workspace --no-fail-fast)
fi

step "install dependencies" check scripts/deps.sh test
step "cargo fmt" check cargo fmt --all --check
step "ui build" check scripts/ui-build.sh
step "declared rust-version builds" check scripts/msrv.sh
step "cargo clippy" check cargo clippy --workspace --all-targets --locked -- -D warnings
step "rust tests" tests "${rust_tests[@]}"
step "ui type check" check npm --prefix ui run check
step "ui lint" check npm --prefix ui run lint
step "ui unit tests" tests npm --prefix ui run test
step "npm audit (runtime dependencies)" check scripts/npm-audit.sh
step "cargo deny (licenses, bans, sources; advisories when reachable)" check scripts/deny.sh
step "openapi contract validates" check scripts/validate-openapi.sh
# The app and the CLI in one build (the package holds both): each ends in a fat-LTO link
# that runs on one core, so the two links share the machine's two.
step "app and CLI build (release)" check scripts/release-build.sh
step "webdriver e2e" tests xvfb-run -a --server-args="-screen 0 1280x800x24" \
  cargo test -p backup-desk-e2e --test e2e --locked -- --ignored --test-threads=1 --nocapture app::
step "installed package smoke test (.deb)" check scripts/package-smoke.sh
finish 0
