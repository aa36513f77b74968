# Sourced by build.sh and build-node.sh: the pinned Kubernetes version, the
# cached Go module and build folders, and the version stamping of release
# builds (kubernetes' hack/lib/version.sh sets both version packages).
# Expects HERE (the controlplane folder). Sets CACHE, K8S_VERSION, K8S_MINOR, K8S_LDFLAGS.
CACHE=${XDG_CACHE_HOME:-$HOME/.cache}/atlas-k8s-migrator
K8S_VERSION=$(awk '$1=="k8s.io/kubernetes"{print $2; exit}' "$HERE/tools/go.mod")
[[ $K8S_VERSION =~ ^v1\.([0-9]+)\.[0-9]+$ ]] || { echo "cannot read the k8s.io/kubernetes version from $HERE/tools/go.mod" >&2; exit 1; }
K8S_MINOR=${BASH_REMATCH[1]}
K8S_LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  K8S_LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$K8S_MINOR -X $p.gitTreeState=clean"
done

# Call once the build is known to be needed: begin_build OUT WHAT. Binaries go
# to $TMP, which publish_build moves to OUT in one rename (a failed build
# leaves no half-filled OUT).
begin_build() {
  command -v go >/dev/null || { echo "go not found (need Go >= the go directive in tools/go.mod)" >&2; exit 1; }
  export GOMODCACHE=$CACHE/go-mod GOCACHE=$CACHE/go-build
  export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-mod=readonly
  mkdir -p "$GOMODCACHE" "$GOCACHE" "$(dirname "$1")"
  TMP=$(mktemp -d "$(dirname "$1")/bin.tmp.XXXXXX")
  trap 'rm -rf "$TMP"' EXIT
  # shellcheck disable=SC2064 # expand WHAT now
  trap "echo \"FAILED building $2 $K8S_VERSION (see errors above)\" >&2" ERR
  echo "building $2 $K8S_VERSION (GOCACHE=$GOCACHE)" >&2
}

# publish_build OUT STAMP BINARY…: checks each binary, moves $TMP to OUT, writes the stamp.
publish_build() {
  local out=$1 stamp=$2; shift 2
  for b in "$@"; do [[ -x $TMP/$b ]] || { echo "$b missing after build" >&2; exit 1; }; done
  chmod 755 "$TMP"; rm -rf "$out"; mv "$TMP" "$out"; trap - EXIT
  echo "$stamp" >"$out/.stamp"
}
