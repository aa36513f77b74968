#!/usr/bin/env bash
# `make demo`: the seed walk-through (shared/seed) end to end with our operator.
# First the offline part of step 3 (our atlas.sum is byte-identical to the
# walk-through's), then steps 1-6 as published, with pods: a control plane and
# a node on this machine, the operator as its chart's Deployment from its own
# image, MySQL 8.0 from the walk-through's mysql.yaml (e2e/demo-pods.ts).
# Where a node cannot run (not root), or with DEMO=process or DB=postgres|
# mariadb|sqlite, the operator runs as a process beside the control plane
# with a private database instead (e2e/demo-walkthrough.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
cli=(npx tsx operator/cli/main.ts)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

echo "== step 3: atlas.sum written by us, compared with the walk-through's"
mkdir -p "$work/migrations"
cp operator/migrate/testdata/seed/*.sql "$work/migrations/"
"${cli[@]}" migrate hash --dir "file://$work/migrations"
cat "$work/migrations/atlas.sum"
cmp "$work/migrations/atlas.sum" operator/migrate/testdata/seed/atlas.sum
echo "byte-identical to the walk-through's atlas.sum"

echo
echo "== building or reusing kube-apiserver, etcd, kubectl and helm (first run on a machine: several minutes)"
bash e2e/controlplane/build.sh >/dev/null
bash e2e/controlplane/build-helm.sh >/dev/null
if [[ ${DEMO:-pods} == pods && ${DB:-mysql} == mysql && $(id -u) == 0 ]]; then
  echo "== building or reusing kubelet, kube-scheduler, kube-controller-manager, kube-proxy, CoreDNS and crane"
  bash e2e/controlplane/build-node.sh >/dev/null
  node --import tsx e2e/demo-pods.ts # one process: Ctrl-C reaches the cleanup directly
else
  [[ $(id -u) == 0 ]] || echo "(not root: no node can run here, so the operator runs as a process)"
  npx tsx e2e/demo-walkthrough.ts
fi
