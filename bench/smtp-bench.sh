#!/usr/bin/env bash
# smtp-bench.sh BIN CLIENTS [REPEATS] — the standard workload (../shared/bench/mailgen.py
# --n 500 --seed 1) into a fresh trygg over SMTP, CLIENTS concurrent sessions, REPEATS
# (default 3) fresh runs; one JSON line per run (see smtp-feed.py), then the median rate.
# Needs python3. Ports 29443/29525 on 127.0.0.1.
set -euo pipefail
BIN=$(readlink -f "${1:?usage: smtp-bench.sh BIN CLIENTS [REPEATS]}")
CLIENTS=${2:?clients}
REPEATS=${3:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SHARED=${TRYGG_SHARED:-$HERE/../../shared}
T=$(mktemp -d)
trap 'kill "$PID" 2>/dev/null || true; rm -rf "$T"' EXIT
python3 "$SHARED/bench/mailgen.py" --n 500 --seed 1 --out "$T/wl" --run-id bench1 >/dev/null
echo 'Solros-Kaffe-Vinter-42' > "$T/pw"
RATES=()
for r in $(seq "$REPEATS"); do
  rm -rf "$T/data"
  "$BIN" setup --data "$T/data" --org Bench --admin-email a@bench.test \
    --admin-password-file "$T/pw" --mailbox support@helpdesk.example >/dev/null
  TRYGG_LOG=warn "$BIN" serve --data "$T/data" --http 127.0.0.1:29443 --smtp 127.0.0.1:29525 \
    >"$T/log" 2>&1 &
  PID=$!
  for _ in $(seq 100); do [ -S "$T/data/control.sock" ] && break; sleep 0.1; done
  echo "load before run $r: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
  OUT=$(python3 "$HERE/smtp-feed.py" --dir "$T/wl" --port 29525 --clients "$CLIENTS" --pid "$PID" \
    --data "$T/data" --trygg "$BIN")
  echo "$OUT"
  RATES+=("$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["mails_per_s"])' "$OUT")")
  kill "$PID"; wait "$PID" 2>/dev/null || true
done
printf '%s\n' "${RATES[@]}" | sort -n | awk '{a[NR]=$1} END {print "median mails/s:", a[int((NR+1)/2)]}'
