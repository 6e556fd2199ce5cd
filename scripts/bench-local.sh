#!/usr/bin/env bash
# Measures berth up: time to the first 200 with a warm build cache, and the local load
# balancer's throughput and latency against the same replicas reached directly and
# through nginx (reverse proxy with upstream keep-alive). Everything is on loopback and
# on the Docker network berth up creates.
#
#   scripts/bench-local.sh [seconds per run, default 10]
#
# Needs: docker, wrk and nginx (apt-get install wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
env=bench
lbport=18080
ngport=18081
for tool in wrk nginx docker; do
  command -v "$tool" >/dev/null || { echo "need $tool (apt-get install wrk nginx-light)" >&2; exit 2; }
done
work=$(mktemp -d)
go build -o "$work/berth" ./cmd/berth
cleanup() {
  [ -n "${ngpid:-}" ] && kill "$ngpid" 2>/dev/null || true
  [ -n "${uppid:-}" ] && kill -INT "$uppid" 2>/dev/null && wait "$uppid" 2>/dev/null || true
  "$work/berth" down --env "$env" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

"$work/berth" up --env "$env" --listen 127.0.0.1:$lbport >/dev/null 2>&1 &   # warm the build cache
uppid=$!
until curl -sf "http://127.0.0.1:$lbport/" >/dev/null; do sleep 0.1; done
kill -INT $uppid; wait $uppid || true

start=$(date +%s%N)
"$work/berth" up --env "$env" --listen 127.0.0.1:$lbport >"$work/up.log" 2>&1 &
uppid=$!
until curl -sf "http://127.0.0.1:$lbport/" >/dev/null; do sleep 0.02; done
first=$(( ($(date +%s%N) - start) / 1000000 ))
sleep 2  # both replicas healthy

mapfile -t targets < <(docker ps --filter "label=dev.berth.env=$env" --format '{{.ID}}' |
  xargs docker inspect -f "{{(index .NetworkSettings.Networks \"berth-$env-api\").IPAddress}}:8080")
{
  echo "worker_processes 2; pid $work/nginx.pid; error_log stderr error; daemon off;"
  echo "events { worker_connections 4096; }"
  echo "http { access_log off; upstream api { keepalive 128;"
  for t in "${targets[@]}"; do echo "  server $t;"; done
  echo "} server { listen 127.0.0.1:$ngport; location / { proxy_pass http://api; proxy_http_version 1.1; proxy_set_header Connection \"\"; } } }"
} >"$work/nginx.conf"
nginx -c "$work/nginx.conf" -p "$work" &
ngpid=$!
sleep 0.5

run() { # name url -> "rps p50 p99" (latency in ms)
  wrk -t2 -c64 -d"${secs}s" --latency "$2" | awk -v name="$1" '
    /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=$2} /^ +99%/ {p99=$2}
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    END {printf "%s %.0f %.2f %.2f\n", name, rps, ms(p50), ms(p99)}'
}
direct=$(run direct "http://${targets[0]}/")
berth=$(run berth "http://127.0.0.1:$lbport/")
ngx=$(run nginx "http://127.0.0.1:$ngport/")

echo "time from berth up to the first 200 (warm build cache): ${first} ms"
echo
printf '| path | requests/s | p50 ms | p99 ms |\n|---|---|---|---|\n'
for r in "$direct" "$berth" "$ngx"; do set -- $r; printf '| %s | %s | %s | %s |\n' "$1" "$2" "$3" "$4"; done
set -- $berth; b_rps=$2; b_p99=$4
set -- $ngx; n_rps=$2; n_p99=$4
echo
awk -v br="$b_rps" -v nr="$n_rps" -v bp="$b_p99" -v np="$n_p99" \
  'BEGIN {printf "berth / nginx: %.2f x the requests per second, %.2f x the p99 latency\n", br/nr, bp/np}'
echo "(wrk -t2 -c64 -d${secs}s; direct is one replica without a proxy)"
