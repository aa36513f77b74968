#!/usr/bin/env bash
# Regenerate go.mod/go.sum of this wrapper module for one Kubernetes version.
# Usage: ./pin.sh v1.37.2 v3.7.0     (k8s.io/kubernetes version, etcd server version)
# Staging list comes from the proxy's .mod of k8s.io/kubernetes (its
# `k8s.io/<m> => ./staging/...` replaces); each becomes k8s.io/<m>@v0.<minor>.<patch>.
# Only needs the Go module proxy. Afterwards update K8S_VERSION/ETCD_VERSION in ../build.sh.
set -euo pipefail
KV=${1:?k8s version, e.g. v1.37.2}; EV=${2:?etcd version, e.g. v3.7.0}
SV=v0.${KV#v1.}
cd "$(dirname "$0")"
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator
export GOMODCACHE=${GOMODCACHE_OVERRIDE:-$CACHE/go-mod} GOCACHE=$CACHE/go-build GOFLAGS=-mod=mod GOTOOLCHAIN=local

GOMOD=$(go mod download -json "k8s.io/kubernetes@$KV" | sed -n 's/.*"GoMod": *"\([^"]*\)".*/\1/p')
[ -f "$GOMOD" ] || { echo "pin.sh: no .mod for k8s.io/kubernetes@$KV" >&2; exit 1; }
GOVER=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$GOMOD")
GODEBUG_LINE=$(grep -m1 '^godebug ' "$GOMOD" || true)

rm -f go.mod go.sum
go mod init atlas-k8s-migrator.local/e2e/controlplane/tools >/dev/null 2>&1
go mod edit -go="$GOVER"
[ -z "$GODEBUG_LINE" ] || go mod edit -godebug="${GODEBUG_LINE#godebug }"
skipped=()
for m in $(grep -o 'k8s.io/[a-z0-9-]* => ./staging' "$GOMOD" | cut -d' ' -f1 | sort -u); do
  # The proxy does not serve some never-imported sample modules (e.g. sample-controller
  # at v0.37.x); a replace for them would be dead anyway, so leave them out.
  if go list -m "$m@$SV" >/dev/null 2>&1; then
    go mod edit -replace="$m=$m@$SV"
  else
    skipped+=("$m")
  fi
done
go mod edit -require="k8s.io/kubernetes@$KV" -require="go.etcd.io/etcd/server/v3@$EV"
go mod tidy
# MVS may lift etcd above the pin if k8s requires a newer one; report what won.
echo "pinned: k8s.io/kubernetes $(go list -m -f '{{.Version}}' k8s.io/kubernetes)," \
     "etcd $(go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3), staging $SV," \
     "replaces $(grep -c '=> k8s.io/' go.mod)${skipped[*]:+, not served (skipped): ${skipped[*]}}"
