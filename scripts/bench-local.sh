#!/usr/bin/env bash
# Measures berth up: time to the first 200 with a warm build cache, and the local load
# balancer's throughput, latency and CPU per request against the same replicas reached
# directly and through nginx (reverse proxy with upstream keep-alive). Everything is on
# loopback and on the Docker network berth up creates.
#
#   scripts/bench-local.sh [seconds per run, default 10] [rounds, default 3]
#   scripts/bench-local.sh first-200 [runs, default 5]
#
# first-200 measures only the time from starting berth up to its first 200, warm, over
# several runs (each after the last one's berth down), and prints each and the median.
#
# The paths are measured in interleaved rounds (direct, berth, nginx, then again), so
# that a neighbour's load hits them alike, after one warm-up run each; each figure is
# the median over the rounds. CPU per request is the proxy process's user + system time
# (/proc/PID/stat; nginx: its worker processes) over the requests wrk completed.
# The three ratios berth / nginx (requests per second, CPU per request, p99 latency)
# are taken within each round, where both ran under the same load, and their medians
# printed with every round's value. The machine's load is printed before and after:
# compare runs made when it was quiet.
#
# Needs: docker, wrk and nginx (apt-get install wrk nginx-light).
set -euo pipefail
cd "$(dirname "$0")/.."
mode=full
if [ "${1:-}" = first-200 ]; then mode=first-200; shift; fi
secs=${1:-10}
rounds=${2:-3}
env=bench
lbport=18080
ngport=18081
tools="wrk nginx docker curl"
[ $mode = first-200 ] && tools="docker curl"
for tool in $tools; do
  command -v "$tool" >/dev/null || { echo "need $tool (apt-get install wrk nginx-light curl)" >&2; exit 2; }
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

first200() { # -> ms from starting berth up to its first 200; berth up keeps running
  local start
  start=$(date +%s%N)
  "$work/berth" up --env "$env" --listen 127.0.0.1:$lbport >"$work/up.log" 2>&1 &
  uppid=$!
  until curl -sf "http://127.0.0.1:$lbport/" >/dev/null; do sleep 0.01; done
  echo $(( ($(date +%s%N) - start) / 1000000 ))
}
median() { sort -g | awk '{v[NR]=$1} END {print (NR % 2) ? v[(NR+1)/2] : (v[NR/2] + v[NR/2+1]) / 2}'; }

if [ $mode = first-200 ]; then
  runs=${1:-5}
  echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; $(nproc) CPUs)"
  : >"$work/first"
  for i in $(seq "$runs"); do
    first200 >>"$work/first"
    kill -INT $uppid; wait $uppid || true
    uppid=
  done
  echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
  echo "time from berth up to the first 200 (warm build cache), $runs runs: $(xargs <"$work/first" printf '%s ms ' | sed 's/ $//')"
  echo "median: $(median <"$work/first") ms"
  exit 0
fi

first200 >"$work/first"   # not in $(…): uppid must be this shell's
first=$(cat "$work/first")
until [ "$(grep -c ' is healthy' "$work/up.log")" -ge 2 ]; do sleep 0.1; done

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
ngworkers=$(pgrep -P "$ngpid" | tr '\n' ' ')
hz=$(getconf CLK_TCK)

ticks() { # pids... -> user+system clock ticks
  local sum=0 p
  for p in "$@"; do sum=$((sum + $(awk '{print $14 + $15}' "/proc/$p/stat"))); done
  echo $sum
}
run() { # name url secs pids... -> "name rps p50 p99 cpu_us_per_request" (latency in ms)
  local name=$1 url=$2 d=$3; shift 3
  local before after out
  before=$( [ $# -gt 0 ] && ticks "$@" || echo 0)
  out=$(wrk -t2 -c64 -d"${d}s" --latency "$url")
  after=$( [ $# -gt 0 ] && ticks "$@" || echo 0)
  awk -v name="$name" -v t=$((after - before)) -v hz="$hz" -v has=$# '
    function ms(v) { if (v ~ /us$/) return v/1000; if (v ~ /ms$/) return v+0; if (v ~ /s$/) return v*1000; return v }
    /requests in/ {n=$1} /Requests\/sec/ {rps=$2}
    /^ +50%/ {p50=ms($2)} /^ +99%/ {p99=ms($2)}
    END {cpu = has ? sprintf("%.1f", t / hz * 1e6 / n) : "-"; printf "%s %.0f %.2f %.2f %s\n", name, rps, p50, p99, cpu}' <<<"$out"
}
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg) (1, 5, 15 min; $(nproc) CPUs)"
for p in "direct http://${targets[0]}/" "berth http://127.0.0.1:$lbport/ $uppid" "nginx http://127.0.0.1:$ngport/ $ngworkers"; do
  set -- $p; name=$1 url=$2; shift 2
  run "$name" "$url" 5 "$@" >/dev/null   # warm-up: connection pools, heaps
done
: >"$work/runs"
for round in $(seq "$rounds"); do
  run direct "http://${targets[0]}/" "$secs" >>"$work/runs"
  run berth "http://127.0.0.1:$lbport/" "$secs" $uppid >>"$work/runs"
  run nginx "http://127.0.0.1:$ngport/" "$secs" $ngworkers >>"$work/runs"
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "time from berth up to the first 200 (warm build cache): ${first} ms"
echo
echo "each run (path, requests/s, p50 ms, p99 ms, proxy CPU us per request):"
sed 's/^/  /' "$work/runs"
echo
printf '| path | requests/s | p50 ms | p99 ms | proxy CPU per request |\n|---|---|---|---|---|\n'
for name in direct berth nginx; do
  col() { awk -v n="$name" -v c="$1" '$1 == n {print $c}' "$work/runs" | median; }
  rps=$(col 2); p50=$(col 3); p99=$(col 4)
  cpu=$([ $name = direct ] && echo "-" || echo "$(col 5) µs")
  printf '| %s | %.0f | %.2f | %.2f | %s |\n' "$name" "$rps" "$p50" "$p99" "$cpu"
done
echo
# the ratios within each round (runs are in order: direct, berth, nginx per round)
awk '$1 == "berth" {b[++nb] = $0} $1 == "nginx" {n[++nn] = $0}
  END {for (i = 1; i <= nb; i++) {split(b[i], x, " "); split(n[i], y, " ");
    printf "%.3f %.3f %.3f\n", x[2]/y[2], x[5]/y[5], x[4]/y[4]}}' "$work/runs" >"$work/ratios"
ratio() { # column -> "median [each round]"
  printf '%.2fx  [%s]' "$(cut -d' ' -f"$1" "$work/ratios" | median)" "$(cut -d' ' -f"$1" "$work/ratios" | xargs printf '%.2f ' | sed 's/ $//')"
}
echo "berth / nginx, median of the $rounds rounds' ratios [each round]:"
echo "  requests per second: $(ratio 1)   (above 1: berth serves more)"
echo "  CPU per request:     $(ratio 2)   (below 1: berth spends less)"
echo "  p99 latency:         $(ratio 3)   (below 1: berth is faster)"
echo "(medians of $rounds interleaved runs of wrk -t2 -c64 -d${secs}s; direct is one replica without a proxy)"
