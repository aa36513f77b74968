#!/usr/bin/env bash
# `make demo`: the seed walk-through (shared/seed) end to end with our operator.
# First the offline part of step 3 (our atlas.sum is byte-identical to the
# walk-through's), then steps 1-6 on a real kube-apiserver with a private
# database: helm install, the Secret, the ConfigMap, the AtlasMigration,
# `kubectl wait` → condition met, and the tables. DB=postgres|mariadb|sqlite
# picks another database (default: MySQL 8.0, as in the walk-through).
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
npx tsx e2e/demo-walkthrough.ts
