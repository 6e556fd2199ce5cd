#!/usr/bin/env bash
# Measures what every berth command pays before it does anything: the whole process's
# wall time and peak memory for "berth version", "berth synth" of the repository's
# berth.yml and "berth check" of the same, none of which calls AWS or Docker.
#
#   scripts/bench-start.sh [--rt] [rounds, default 5] [BINARY ...]
#
# With no BINARY it builds ./cmd/berth as the release does (CGO_ENABLED=0 -trimpath,
# -ldflags "-s -w": the symbol table and DWARF left out, as scripts/release.sh does).
# Several binaries are compared: label=path names one (base=/tmp/old new=/tmp/new).
# Rounds are interleaved (every binary and command once, then again) so that a
# neighbour's load hits them alike; a round is hyperfine -N with 3 warm-up runs and 20
# timed runs. Each line is the median wall time over every timed run, with the minimum
# and the maximum; the CPU time (user + system, the mean of the rounds' means), which a
# busy machine moves less than the wall time; and the median peak RSS of five runs under
# /usr/bin/time. The machine's load is printed before and after: compare runs made
# when it was quiet.
#
# --rt runs hyperfine and berth at real-time priority (chrt -f 50, as root): the
# neighbours' work then waits for berth's instead of the other way round, which is as
# near to a quiet machine as a shared one gets. Each run is milliseconds of one core,
# and the kernel keeps 5 % of every second for everything else.
#
# Needs: hyperfine (apt-get install hyperfine), jq, GNU time.
set -euo pipefail
cd "$(dirname "$0")/.."
rt=()
if [ "${1:-}" = --rt ]; then
  rt=(chrt -f 50)
  [ "$(id -u)" = 0 ] || { echo "--rt needs root (chrt -f)" >&2; exit 2; }
  shift
fi
rounds=${1:-5}
shift || true
for tool in hyperfine jq /usr/bin/time; do
  command -v "$tool" >/dev/null || { echo "need $tool (apt-get install hyperfine jq time)" >&2; exit 2; }
done
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

labels=() bins=()
if [ $# -eq 0 ]; then
  CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$work/berth" ./cmd/berth
  labels=(berth) bins=("$work/berth")
fi
for b in "$@"; do
  label=${b%%=*}
  [ "$label" = "$b" ] && label=$(basename "$b")
  labels+=("$label") bins+=("$(realpath "${b#*=}")")
done

# the commands, each run from the repository's root; check exits 1 for BERTH009 (the
# example serves plain HTTP), which is not what is measured, so it is ignored
cmds=("version" "synth -f berth.yml -o $work/out" "check -f berth.yml --ignore BERTH009")
names=("version" "synth" "check")

echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
for ((r = 0; r < rounds; r++)); do
  for i in "${!bins[@]}"; do
    for j in "${!cmds[@]}"; do
      "${rt[@]}" hyperfine -N --warmup 3 --runs 20 --style none \
        --export-json "$work/$i-$j-$r.json" "${bins[$i]} ${cmds[$j]}" >/dev/null
    done
  done
done
echo "load after:  $(cut -d' ' -f1-3 /proc/loadavg)"

printf '%-12s %-8s %10s %8s %8s %8s %13s\n' binary command "median ms" "min ms" "max ms" "CPU ms" "peak RSS MiB"
for i in "${!bins[@]}"; do
  for j in "${!cmds[@]}"; do
    ms=$(jq -s '[.[].results[0].times[]] | sort | (.[length/2|floor], .[0], .[-1]) * 1000 | . * 10 | round / 10' \
      "$work/$i-$j-"*.json | tr '\n' ' ')
    cpu=$(jq -s '[.[].results[0] | .user + .system] | add / length * 10000 | round / 10' "$work/$i-$j-"*.json)
    rss=$(for _ in 1 2 3 4 5; do
      # shellcheck disable=SC2086 # the command's words are split on purpose
      /usr/bin/time -f %M "${bins[$i]}" ${cmds[$j]} 2>&1 >/dev/null | tail -1
    done | sort -n | sed -n 3p)
    # shellcheck disable=SC2086
    printf '%-12s %-8s %10s %8s %8s %8s %13s\n' "${labels[$i]}" "${names[$j]}" $ms "$cpu" "$(echo "scale=1; $rss / 1024" | bc)"
  done
done
