#!/usr/bin/env bash
# The installed package, as an administrator gets it: build the .deb, check
# its metadata and contents, install it with apt, launch the installed
# /usr/bin/backup-desk-app under Xvfb through WebDriver until the demo's
# history is painted, run the installed CLI, and uninstall it (always).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PATH"

sudo=()
if [[ $(id -u) -ne 0 ]]; then
  command -v sudo >/dev/null || { echo "Need root or sudo to install the package." >&2; exit 1; }
  sudo=(sudo -n)
fi

# PACKAGE_PREBUILT=1: check the packages already built (a developer re-running the check).
[[ "${PACKAGE_PREBUILT:-}" == 1 ]] || scripts/package.sh
deb=$(ls target/release/bundle/deb/*.deb)
fail() { echo "package check failed: $*" >&2; exit 1; }

# Metadata.
[[ $(dpkg-deb -f "$deb" Package) == backup-desk ]] || fail "package name"
[[ $(dpkg-deb -f "$deb" Version) == "$(grep -m1 '"version"' src-tauri/tauri.conf.json | cut -d'"' -f4)" ]] || fail "version"
depends=$(dpkg-deb -f "$deb" Depends)
for dep in libwebkit2gtk-4.1-0 libgtk-3-0 libayatana-appindicator3-1 gnome-keyring; do
  [[ "$depends" == *"$dep"* ]] || fail "Depends lacks $dep: $depends"
done
# Contents.
contents=$(dpkg-deb -c "$deb")
for path in usr/bin/backup-desk-app usr/bin/backup-desk "usr/share/applications/Backup Desk.desktop" \
  usr/share/icons/hicolor/128x128/apps/backup-desk-app.png \
  usr/lib/systemd/user/backup-desk-auto.service usr/lib/systemd/user/backup-desk-auto.timer; do
  grep -qE -- " (\./)?$path$" <<<"$contents" || fail "missing $path"
done
size=$(stat -c %s "$deb")
((size <= 12000000)) || fail "the .deb is $size bytes (target ≤ 12 MB)"

cleanup() { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq backup-desk >/dev/null 2>&1 || true; }
trap cleanup EXIT
"${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "./$deb" >/dev/null
[[ -x /usr/bin/backup-desk-app && -x /usr/bin/backup-desk ]] || fail "binaries not installed"
installed=$(stat -c %s /usr/bin/backup-desk-app)
((installed <= 15000000)) || fail "the installed app is $installed bytes (target ≤ 15 MB)"
/usr/bin/backup-desk --version
grep -q '^Exec=backup-desk-app' "/usr/share/applications/Backup Desk.desktop" || fail "desktop entry Exec"

# The installed app, launched for real: the demo's history is painted.
BACKUP_DESK_APP=/usr/bin/backup-desk-app xvfb-run -a --server-args="-screen 0 1280x800x24" \
  cargo test -p backup-desk-e2e --test e2e --locked -- --ignored --test-threads=1 --nocapture \
  app::launch

awk -v d="$size" -v a="$installed" 'BEGIN { printf "deb %.1f MB, installed app %.1f MB\n", d / 1e6, a / 1e6 }'
echo "installed package: ok"
