#!/usr/bin/env bash
# The walk-through's commands, in order and as published, against a cluster
# with a node (the operator and MySQL run as pods). Differences, all forced by
# a machine without internet access: the chart comes from this repository
# (CHART) instead of oci://ghcr.io, mysql.yaml from e2e/walkthrough/ instead of
# raw.githubusercontent.com, and the migration directory from SEED_DIR instead
# of `git clone` of ariga/atlas-template. Between steps 2 and 3 it waits for
# the database to run, as the reader does ("With the operator and the database
# running, …").
# Needs: KUBECONFIG, kubectl and helm on PATH, CHART, SEED_DIR, WORK (an empty folder).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
: "${CHART:?}" "${SEED_DIR:?}" "${WORK:?}"

run() {
  printf '\n$ %s\n' "$1"
  eval "$1"
}

cd "$WORK"
echo "### 1. Install the operator"
run 'helm install atlas-operator "$CHART"'

echo "### 2. Install a database"
cp "$HERE/mysql.yaml" mysql.yaml
run 'kubectl apply -f mysql.yaml'
run 'kubectl rollout status deployment/mysql --timeout=300s'

echo "### 3. Set up a migration directory"
mkdir -p versioned-demo/migrations
cp "$SEED_DIR"/*.sql "$SEED_DIR"/atlas.sum versioned-demo/migrations/
cd versioned-demo
run 'ls migrations'

echo "### 4. Create a ConfigMap with the migration directory"
run 'kubectl create configmap migrations --from-file=migrations -o yaml --dry-run=client --save-config > migrations.yaml'
run 'kubectl apply -f migrations.yaml'

echo "### 5. Create an AtlasMigration resource"
cp "$HERE/../../manifests/examples/seed-atlas-migration.yaml" atlas-migration.yaml  # the file the walk-through shows
run 'kubectl apply -f atlas-migration.yaml'
run 'kubectl wait --for=condition=Ready atlasmigration/atlas-migration'

echo "### 6. Verify the migrations were applied"
run $'kubectl exec -it $(kubectl get pods -l app=mysql -o jsonpath=\'{.items[0].metadata.name}\') -- mysql -uroot -ppass -e "describe myapp.users"'
run $'kubectl exec -it $(kubectl get pods -l app=mysql -o jsonpath=\'{.items[0].metadata.name}\') -- mysql -uroot -ppass -e "describe myapp.posts"'
