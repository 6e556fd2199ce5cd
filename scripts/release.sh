#!/usr/bin/env bash
# Builds berth's release: one archive per platform and their SHA-256 sums, reproducibly,
# so anyone with the same commit and Go toolchain gets the same bytes.
#
#   scripts/release.sh [--allow-dirty] VERSION [OUTDIR, default dist/VERSION]
#
# OUTDIR gets berth_VERSION_OS_ARCH.tar.gz (Windows: .zip holding berth.exe), each with
# README.md and LICENSE when present, and SHA256SUMS; the binaries stay in OUTDIR/bin.
# The binaries are stamped with VERSION, the commit and the commit's time (berth version
# prints them), built with CGO_ENABLED=0 -trimpath -buildvcs=false, and packed by
# scripts/pack with every mtime the commit time. BERTH_TARGETS="os/arch ..." builds fewer
# platforms.
set -euo pipefail

allow_dirty=
if [ "${1:-}" = --allow-dirty ]; then
  allow_dirty=1
  shift
fi
if [ $# -lt 1 ] || [ $# -gt 2 ] || [ -z "$1" ] || [[ $1 == -* ]]; then
  echo "usage: scripts/release.sh [--allow-dirty] VERSION [OUTDIR]" >&2
  exit 2
fi
version=$1
# the version names files: no slashes or spaces
if ! [[ $version =~ ^[A-Za-z0-9][A-Za-z0-9._+-]*$ ]]; then
  echo "release: $version: want a version such as v1.2.3" >&2
  exit 2
fi
# OUTDIR is relative to where the script was run, not to the repository
out=${2:-}
if [ -n "$out" ]; then
  mkdir -p "$out"
  out=$(cd "$out" && pwd)
fi
cd "$(dirname "$0")/.."
out=${out:-$PWD/dist/$version}
targets=${BERTH_TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}

# a stamped commit must be what was built, or the version lies
if [ -n "$(git status --porcelain)" ]; then
  if [ -z "$allow_dirty" ]; then
    echo "release: the work tree has uncommitted changes (git status); commit them, or pass --allow-dirty for a trial build" >&2
    exit 1
  fi
  echo "release: warning: building uncommitted changes; the binaries are not exactly commit $(git rev-parse --short=12 HEAD)" >&2
fi

commit=$(git rev-parse --short=12 HEAD)
# the commit time, in UTC: the stamp and every archive mtime, the same on every machine
when=$(TZ=UTC git log -1 --format=%cd --date=format-local:%Y-%m-%dT%H:%M:%SZ)

mkdir -p "$out/bin"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Everything the toolchain reads from the environment that changes the output is fixed
# here; what is left is the Go version, printed so that a rebuild can match it.
export CGO_ENABLED=0 GOFLAGS=-mod=readonly GOAMD64=v1 GOARM64=v8.0 GOEXPERIMENT=
go build -o "$work/pack" ./scripts/pack

stamp=github.com/berthdev/berth/internal/version
archives=()
for t in $targets; do
  os=${t%/*} arch=${t#*/}
  exe=berth
  [ "$os" = windows ] && exe=berth.exe
  bin=$out/bin/${os}_$arch/$exe
  GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false \
    -ldflags "-s -w -X $stamp.Release=$version -X $stamp.Commit=$commit -X $stamp.Date=$when" \
    -o "$bin" ./cmd/berth
  ext=tar.gz
  [ "$os" = windows ] && ext=zip
  archive=berth_${version}_${os}_$arch.$ext
  files=("$exe=$bin")
  for doc in README.md LICENSE; do
    [ -f "$doc" ] && files+=("$doc=$doc")
  done
  "$work/pack" -o "$out/$archive" -mtime "$when" "${files[@]}"
  archives+=("$archive")
done

# sha256sum's format, which shasum -a 256 -c reads too (macOS has no sha256sum)
sum=(sha256sum)
command -v sha256sum >/dev/null || sum=(shasum -a 256)
(cd "$out" && "${sum[@]}" "${archives[@]}" >SHA256SUMS)

echo "release: berth $version, commit $commit, $when, $(go env GOVERSION)"
(cd "$out" && ls -l "${archives[@]}" SHA256SUMS | awk '{print "  " $NF " (" $5 " bytes)"}')
echo "in $out; check with: (cd $out && sha256sum -c SHA256SUMS)"
