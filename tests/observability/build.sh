#!/usr/bin/env bash
# Builds the trace backends of tests/observability into .tmp/observability/ only when needed:
#   - otelcol: our own collector (otelcol/main.go: OTLP in; debug, OTLP and OTLP/HTTP out),
#     rebuilt when missing or older than otelcol/{main.go,go.mod,go.sum};
#   - jaeger: Jaeger v2 from its Go module as a tool of jaeger/go.mod (`go install` refuses its
#     replace directives), rebuilt when missing or older than jaeger/go.{mod,sum}.
# Versions are pinned by the go.mod files (collector v0.165.0 / v1.71.0, Jaeger v1.76.0).
# Uses the default GOCACHE and GOMODCACHE, so a machine that built once rebuilds from cache.
# Environment: NICE (default 10) is the niceness of the builds.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$here/../../.tmp/observability"
mkdir -p "$out"
export CGO_ENABLED=0 GOWORK=off GOFLAGS="${GOFLAGS:-} -buildvcs=false"
nice_go() { nice -n "${NICE:-10}" go "$@"; }

stale() { # stale BIN FILE...: BIN is missing or older than one of FILE
  local bin="$1"; shift
  [[ ! -x "$bin" ]] && return 0
  for file in "$@"; do [[ "$file" -nt "$bin" ]] && return 0; done
  return 1
}

if stale "$out/otelcol" "$here"/otelcol/{main.go,go.mod,go.sum}; then
  echo "build.sh: building .tmp/observability/otelcol"
  start=$SECONDS
  (cd "$here/otelcol" && nice_go build -trimpath -ldflags "-s -w" -o "$out/otelcol.new" .)
  mv -f "$out/otelcol.new" "$out/otelcol"
  echo "build.sh: built otelcol in $((SECONDS - start))s"
else
  echo "build.sh: otelcol is up to date"
fi

if stale "$out/jaeger" "$here"/jaeger/{go.mod,go.sum}; then
  echo "build.sh: building .tmp/observability/jaeger"
  start=$SECONDS
  (cd "$here/jaeger" && nice_go build -trimpath -ldflags "-s -w" -o "$out/jaeger.new" github.com/jaegertracing/jaeger/cmd/jaeger)
  mv -f "$out/jaeger.new" "$out/jaeger"
  echo "build.sh: built jaeger in $((SECONDS - start))s"
else
  echo "build.sh: jaeger is up to date"
fi
