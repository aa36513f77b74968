#!/usr/bin/env bash
# Build the OCI peers of e2e/oci.e2e.test.ts from the Go module proxy, pinned by
# oci/go.mod + oci/go.sum: the CNCF distribution registry (oci/registry/main.go,
# upstream's cmd/registry with the filesystem driver and htpasswd auth only),
# the oras CLI (oras.land/oras/cmd/oras) and a bcrypt htpasswd writer
# (oci/htpasswd, golang.org/x/crypto as the registry itself uses it).
#   bin dir: ${XDG_CACHE_HOME:-~/.cache}/atlas-k8s-migrator/oci/<stamp hash>/{registry,oras,htpasswd}
# A warm run (same go.mod, go.sum and main.go) does nothing. Prints the bin dir
# on the last line (stdout).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
MOD=$HERE/oci
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator
STAMP="module=$(cat "$MOD/go.mod" "$MOD/go.sum" "$MOD/registry/main.go" "$MOD/htpasswd/main.go" "$MOD/tools.go" | cksum | cut -d' ' -f1)"
OUT=$CACHE/oci/$(echo "$STAMP" | cksum | cut -d' ' -f1)

if [[ -x $OUT/registry && -x $OUT/oras && -x $OUT/htpasswd && -f $OUT/.stamp && $(<"$OUT/.stamp") == "$STAMP" ]]; then
  echo "registry and oras already built ($(<"$OUT/versions"))" >&2
  echo "$OUT"
  exit 0
fi

command -v go >/dev/null || { echo "build-oci.sh: go not found (need Go >= the go directive in oci/go.mod)" >&2; exit 1; }
export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
mkdir -p "$GOMODCACHE" "$GOCACHE" "$CACHE/oci"
TMP=$(mktemp -d "$CACHE/oci/tmp.XXXXXX")
trap 'rm -rf "$TMP"' EXIT
trap 'echo "FAILED building the registry and oras (see errors above)" >&2' ERR
echo "building the distribution registry and oras (GOCACHE=$GOCACHE)" >&2

versions=$(cd "$MOD" && go list -m -f '{{.Path}} {{.Version}}' github.com/distribution/distribution/v3 oras.land/oras | tr '\n' ' ')
dist=$(cd "$MOD" && go list -m -f '{{.Version}}' github.com/distribution/distribution/v3)
(cd "$MOD" && go build -trimpath -ldflags "-s -w -X github.com/distribution/distribution/v3/version.version=$dist" -o "$TMP/registry" ./registry \
  && go build -trimpath -ldflags "-s -w" -o "$TMP/oras" oras.land/oras/cmd/oras \
  && go build -trimpath -ldflags "-s -w" -o "$TMP/htpasswd" ./htpasswd)

"$TMP/registry" --version >&2
oras_version=$("$TMP/oras" version)
echo "oras ${oras_version%%$'\n'*}" >&2
echo "$versions" >"$TMP/versions"
chmod 755 "$TMP"; rm -rf "$OUT"; mv "$TMP" "$OUT"; trap - EXIT
echo "$STAMP" >"$OUT/.stamp"
echo "$OUT"
