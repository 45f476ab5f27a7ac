#!/usr/bin/env bash
# Idle cost of the desktop app in the tray with automatic mode on (no work due):
# average CPU (% of one core) and RSS over IDLE_SECONDS (default 600).
#
# Launches target/release/backup-desk-app under Xvfb with a temporary HOME, a
# private D-Bus session and an unlocked gnome-keyring. The first launch sets up
# the demo account (BACKUP_DESK_DEMO=1); the script then switches automatic mode
# on for it in the app's state (as Settings would) and launches again: the first
# pass runs at launch, then nothing is due for 15 minutes. After SETTLE_SECONDS
# (default 30) it samples /proc/<pid>/stat (utime+stime) and VmRSS.
# Build first: npm --prefix ui run build && scripts/release-build.sh
set -euo pipefail

IDLE_SECONDS=${IDLE_SECONDS:-600}
SETTLE_SECONDS=${SETTLE_SECONDS:-30}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
APP=${APP:-$ROOT/target/release/backup-desk-app}
[[ -x $APP ]] || { echo "bench-idle: $APP is missing; build the release app first" >&2; exit 2; }
for tool in xvfb-run dbus-run-session gnome-keyring-daemon sqlite3; do
  command -v "$tool" >/dev/null || { echo "bench-idle: $tool is missing (scripts/deps.sh test)" >&2; exit 2; }
done

if [[ ${BENCH_IDLE_INNER:-} != 1 ]]; then
  # Re-run inside a private D-Bus session and a virtual display.
  TMP_HOME=$(mktemp -d)
  trap 'rm -rf "$TMP_HOME"' EXIT
  mkdir -m 700 "$TMP_HOME/run"
  HOME=$TMP_HOME XDG_CONFIG_HOME=$TMP_HOME/.config XDG_DATA_HOME=$TMP_HOME/.local/share \
    XDG_CACHE_HOME=$TMP_HOME/.cache XDG_RUNTIME_DIR=$TMP_HOME/run BENCH_IDLE_INNER=1 \
    xvfb-run -a dbus-run-session -- "$0"
  exit $?
fi

# An unlocked keychain owning the Secret Service name before anything asks for it
# (as tests/support does): the demo's key and token are stored there.
printf 'bench-keyring-password' | gnome-keyring-daemon --foreground --unlock --components=secrets >/dev/null 2>&1 &
keyring=$!
trap 'kill "$keyring" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  dbus-send --session --print-reply --dest=org.freedesktop.DBus / org.freedesktop.DBus.NameHasOwner \
    string:org.freedesktop.secrets 2>/dev/null | grep -q true && break
  sleep 0.1
done
DATA=$XDG_DATA_HOME/app.backupdesk.desktop
DB=$DATA/state.sqlite3

# 1. First launch: the window opens onto the demo account.
LOG=${BENCH_LOG:-/dev/null}
BACKUP_DESK_DEMO=1 "$APP" >>"$LOG" 2>&1 &
pid=$!
for _ in $(seq 60); do
  sleep 1
  [[ -f $DB ]] && [[ $(sqlite3 "$DB" "SELECT count(*) FROM accounts" 2>/dev/null || echo 0) -ge 1 ]] && break
done
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true
id=$(sqlite3 "$DB" "SELECT id FROM accounts ORDER BY id LIMIT 1")
[[ -n $id ]] || { echo "bench-idle: the demo account was not created" >&2; exit 1; }

# 2. Automatic mode on for the demo (what Settings saves).
sqlite3 "$DB" "INSERT OR REPLACE INTO settings (key, value) VALUES ('automatic:$id',
  '{\"enabled\":true,\"request_when_allowed\":true,\"download_when_ready\":true,\"keep\":3,\"accepted_terms_version\":null}')"

# 3. Second launch: a pass at launch, then idle.
"$APP" >>"$LOG" 2>&1 &
pid=$!
sleep "$SETTLE_SECONDS"
[[ -d /proc/$pid ]] || { echo "bench-idle: the app exited" >&2; exit 1; }
last=$(sqlite3 "$DB" "SELECT value FROM settings WHERE key = 'automatic_last:$id'" || true)
[[ -n $last ]] || echo "bench-idle: warning: no automatic pass recorded yet" >&2

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
rss_kb() { awk '/^VmRSS:/ {print $2}' "/proc/$pid/status"; }
hz=$(getconf CLK_TCK)
start_ticks=$(ticks)
start_ns=$(date +%s%N)
max_rss=0
sum_rss=0
samples=0
for _ in $(seq "$IDLE_SECONDS"); do
  sleep 1
  [[ -d /proc/$pid ]] || { echo "bench-idle: the app exited while idle" >&2; exit 1; }
  rss=$(rss_kb)
  sum_rss=$((sum_rss + rss))
  samples=$((samples + 1))
  ((rss > max_rss)) && max_rss=$rss
done
end_ticks=$(ticks)
end_ns=$(date +%s%N)
kill "$pid" 2>/dev/null || true
wait "$pid" 2>/dev/null || true

awk -v t=$((end_ticks - start_ticks)) -v hz="$hz" -v ns=$((end_ns - start_ns)) \
    -v avg=$((sum_rss / samples)) -v max="$max_rss" -v secs="$IDLE_SECONDS" 'BEGIN {
  cpu = 100 * (t / hz) / (ns / 1e9)
  printf "idle in the tray, automatic mode on, %d s\n", secs
  printf "  average CPU  %.3f %% of one core (%d ticks)\n", cpu, t
  printf "  RSS          %.1f MiB average, %.1f MiB max\n", avg / 1024, max / 1024
  if (cpu > 0.5) { print "  over the 0.5 % budget"; exit 1 }
}'
