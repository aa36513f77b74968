#!/usr/bin/env bash
# Build the conditions reader (readers/main.go: kstatus from sigs.k8s.io/cli-utils
# and gopher-lua, pinned by readers/go.mod + readers/go.sum) from the Go module
# proxy, and take Argo CD's own health check for AtlasMigration from the Argo CD
# module (pinned below by version and module hash; nothing of Argo CD is committed).
#   out dir: ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/readers/<stamp hash>/
#     conditions-reader, AtlasMigration.health.lua, versions
# A warm run (same go.mod, go.sum, main.go and Argo CD pin) does nothing.
# Prints the out dir on the last line (stdout).
set -euo pipefail

# Argo CD's module (its go.mod pins the gopher-lua version readers/go.mod uses).
# The hash is the module zip's go.sum hash (h1:), also checked by the Go checksum database.
ARGO_CD_MODULE=github.com/argoproj/argo-cd/v3
ARGO_CD_VERSION=v3.6.2
ARGO_CD_SUM=h1:t6RQrVV4hg9M0+lPMsUvi9e4RnYV9dE99/guXGxG6Lc=
HEALTH_LUA=resource_customizations/db.atlasgo.io/AtlasMigration/health.lua

HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$HERE/readers
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator
STAMP="argo-cd=$ARGO_CD_VERSION $ARGO_CD_SUM module=$(cat "$MOD/go.mod" "$MOD/go.sum" "$MOD/main.go" | cksum | cut -d' ' -f1)"
OUT=$CACHE/readers/$(echo "$STAMP" | cksum | cut -d' ' -f1)

if [[ -x $OUT/conditions-reader && -f $OUT/AtlasMigration.health.lua && -f $OUT/.stamp && $(<"$OUT/.stamp") == "$STAMP" ]]; then
  echo "conditions reader already built ($(<"$OUT/versions"))" >&2
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build-readers.sh: go not found (need Go >= the go directive in readers/go.mod)" >&2; exit 1; }
export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
mkdir -p "$GOMODCACHE" "$GOCACHE" "$CACHE/readers"
TMP=$(mktemp -d "$CACHE/readers/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'echo "FAILED building the conditions reader (see errors above)" >&2' ERR
echo "building the conditions reader (GOCACHE=$GOCACHE)" >&2

(cd "$MOD" && go build -trimpath -ldflags "-s -w" -o "$TMP/conditions-reader" .)

# `go mod download` fetches and verifies the module (go.sum hash against the
# checksum database) but, with GOTOOLCHAIN=local, reports an error when the
# module asks for a newer Go than this one: that is no concern here, as none of
# it is compiled; only the verified zip is read.
json=$(cd "$TMP" && GOFLAGS= go mod download -json "$ARGO_CD_MODULE@$ARGO_CD_VERSION" 2>&1) || true
zip=$(sed -n 's/^[[:space:]]*"Zip": *"\([^"]*\)".*/\1/p' <<<"$json")
if [[ -z $zip || ! -f $zip || ! -f ${zip%.zip}.ziphash || $(<"${zip%.zip}.ziphash") != "$ARGO_CD_SUM" ]]; then
  echo "build-readers.sh: could not download $ARGO_CD_MODULE@$ARGO_CD_VERSION with hash $ARGO_CD_SUM:" >&2
  echo "$json" >&2
  exit 1
fi
"$TMP/conditions-reader" -unzip "$zip" "$ARGO_CD_MODULE@$ARGO_CD_VERSION/$HEALTH_LUA" >"$TMP/AtlasMigration.health.lua"

versions=$(cd "$MOD" && go list -m -f '{{.Path}} {{.Version}}' sigs.k8s.io/cli-utils github.com/yuin/gopher-lua | tr '\n' ' ')
echo "${versions}$ARGO_CD_MODULE $ARGO_CD_VERSION ($HEALTH_LUA)" >"$TMP/versions"
echo "built the conditions reader: $(<"$TMP/versions")" >&2

chmod 755 "$TMP"; rm -rf "$OUT"; mv "$TMP" "$OUT"; trap - EXIT
echo "$STAMP" >"$OUT/.stamp"
echo "$OUT"
