#!/bin/sh
# install.sh — install a built trygg binary as a systemd service (run as root).
#   ./install.sh [PATH-TO-BINARY]
# Default binary: target/x86_64-unknown-linux-gnu/release/trygg (build it with
# `cargo build --release`). Creates the `trygg` system user, /var/lib/trygg (0700),
# /etc/trygg/trygg.env, installs the hardened unit and starts it; the one-time setup link
# is then in `journalctl -u trygg`.
set -eu
BIN=${1:-target/x86_64-unknown-linux-gnu/release/trygg}
HERE=$(dirname "$0")
[ "$(id -u)" = 0 ] || { echo "install.sh: run as root" >&2; exit 2; }
[ -x "$BIN" ] || { echo "install.sh: no binary at $BIN (cargo build --release first)" >&2; exit 2; }
id trygg >/dev/null 2>&1 || useradd --system --home-dir /var/lib/trygg --shell /usr/sbin/nologin trygg
install -m 0755 "$BIN" /usr/local/bin/trygg
install -d -m 0700 -o trygg -g trygg /var/lib/trygg
install -d -m 0750 -o root -g trygg /etc/trygg
[ -e /etc/trygg/trygg.env ] || install -m 0640 -o root -g trygg "$HERE/packaging/trygg.env" /etc/trygg/trygg.env
install -m 0644 "$HERE/packaging/trygg.service" /etc/systemd/system/trygg.service
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl daemon-reload
  systemctl enable --now trygg
  echo "trygg started; the setup link: journalctl -u trygg | grep setup"
else
  echo "installed; start it with: sudo -u trygg /usr/local/bin/trygg serve --data /var/lib/trygg"
fi
