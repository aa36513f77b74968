# Every entry point of the project. `make test` is what CI runs (.ci/run).
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

NODE_STAMP := node_modules/.install-stamp
# Explicit file lists: Node 20 does not expand globs given to --test, and a
# run that finds no file would pass silently.
UNIT_TESTS := $(sort $(shell find operator manifests e2e bench/mutation -name '*.test.ts' -not -name '*.integration.test.ts' -not -name '*.e2e.test.ts' 2>/dev/null))
# Integration tests start their own MySQL 8.0, MariaDB 11.4 / 10.11 and PostgreSQL 15 servers
# (fetching or installing them on first use, see e2e/databases/).
INTEGRATION_TESTS := $(sort $(shell find operator -name '*.integration.test.ts' 2>/dev/null))
# e2e tests start their own kube-apiserver + etcd (built by `make controlplane`).
# The longest first: files run E2E_CONCURRENCY at a time, in this order (most of an e2e
# file's time is waiting for a lease, a pod or a database, so 3 share 2 cores well).
E2E_FIRST := e2e/in-cluster.e2e.test.ts e2e/faults/operator-and-database.e2e.test.ts e2e/leader-election.e2e.test.ts
E2E_TESTS := $(filter $(wildcard $(E2E_FIRST)),$(E2E_FIRST)) $(filter-out $(E2E_FIRST),$(sort $(shell find e2e -name '*.e2e.test.ts' 2>/dev/null)))
E2E_CONCURRENCY ?= 3
# One integration file at a time: two MariaDB 10.11 bootstraps (mariadb-install-db) at once failed in CI
# ("Could not remove temporary table"); the static side is not the longer one anyway.
INTEGRATION_CONCURRENCY ?= 1
NODE_TEST := node --import tsx --test --test-reporter=tap

.PHONY: help deps build lint typecheck generate synth helm check-generated controlplane cluster-up cluster-down image node-binaries test test-static test-unit test-integration test-e2e bench mutation demo clean

help:
	@echo "make demo    the seed walk-through (see README for what runs today)"
	@echo "make test    everything CI runs: lint, unit, integration, e2e"
	@echo "make bench   benchmarks (bench/README.md)"
	@echo "make mutation [MUTATE=<files>] [TESTS=<files>]   mutation testing, one Stryker run per file (slow; not in CI)"
	@echo "make build   compile to dist/"
	@echo "make image   the operator image as an OCI archive (dist/images/), no Docker needed"
	@echo "make cluster-up [NODE=1]   a local control plane (NODE=1: with a node running pods)"

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund
	@touch $@

deps: $(NODE_STAMP)

# Code generated from operator/api (the resource's TypeScript types); `make test` checks it is current.
generate: deps
	npx tsx operator/api/codegen/generate.ts

# cdk8s output, all committed: plain YAML (manifests/synth), the Helm chart
# (manifests/helm) and the classes imported from our own CRD (imports/).
CDK8S := CDK8S_CHECK_UPGRADE=false npx cdk8s
synth: deps
	$(CDK8S) synth --no-check-upgrade
	$(CDK8S) import --no-check-upgrade
	$(MAKE) helm

# cdk8s names the Helm chart after the checkout's folder; name it after the project instead.
HELM_SYNTH = CHART_FORMAT=helm $(CDK8S) synth --no-check-upgrade --format helm --chart-version $$(node -p "require('./package.json').version") --output $(1) >/dev/null && \
	sed -i -e 's/^name: .*/name: "atlas-k8s-migrator"/' -e 's/^description: .*/description: Runs Atlas-compatible versioned SQL migrations from AtlasMigration resources/' $(1)/Chart.yaml

helm: deps
	rm -rf manifests/helm
	$(call HELM_SYNTH,manifests/helm)

# Regenerates everything into a scratch folder and fails on any difference.
check-generated: deps
	npx tsx operator/api/codegen/generate.ts --check
	@tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(CDK8S) synth --no-check-upgrade --output "$$tmp/synth" >/dev/null && diff -r "$$tmp/synth" manifests/synth && \
	$(CDK8S) import --no-check-upgrade --output "$$tmp/imports" manifests/synth/crd.k8s.yaml >/dev/null && diff "$$tmp/imports/db.atlasgo.io.ts" imports/db.atlasgo.io.ts && \
	$(call HELM_SYNTH,"$$tmp/helm") && diff -r "$$tmp/helm" manifests/helm && \
	echo "generated files are current"

build: deps
	npx tsc -p tsconfig.build.json

typecheck: deps
	npx tsc -p tsconfig.json --noEmit

lint: typecheck
	npx eslint --max-warnings 0 .

test-unit: deps
	@if [ -z "$(UNIT_TESTS)" ]; then echo "no unit test files found" >&2; exit 1; fi
	$(NODE_TEST) $(UNIT_TESTS)

test-integration: deps
	@if [ -z "$(INTEGRATION_TESTS)" ]; then echo "no integration test files found" >&2; exit 1; fi
	$(NODE_TEST) --test-concurrency=$(INTEGRATION_CONCURRENCY) $(INTEGRATION_TESTS)

# The operator processes the e2e tests start run the compiled program (what the image runs; it
# starts in about a third of tsx's time, and the fault tests restart it dozens of times).
test-e2e: deps controlplane node-binaries build
	@if [ -z "$(E2E_TESTS)" ]; then echo "no e2e test files found" >&2; exit 1; fi
	E2E_OPERATOR_MAIN=$(CURDIR)/dist/operator/cli/main.js $(NODE_TEST) --test-concurrency=$(E2E_CONCURRENCY) $(E2E_TESTS)

# The static checks, unit and integration tests (one after another) run beside the e2e files,
# which spend most of their time waiting for leases, pods and databases; each side's output is
# printed whole when it ends (--output-sync), the e2e side's last.
test: deps
	@$(MAKE) --no-print-directory -j2 --output-sync=recurse test-static test-e2e

test-static: deps
	@$(MAKE) --no-print-directory -j1 lint check-generated test-unit test-integration

# kube-apiserver, etcd, kubectl, helm, the conditions reader (kstatus + Argo CD's
# health.lua, for e2e/conditions-readers.e2e.test.ts) and the OCI registry + oras (for
# e2e/oci.e2e.test.ts) built from the Go module proxy into ~/.cache (only the first run
# on a machine compiles; 5-9 minutes on 2 cores).
controlplane:
	bash e2e/controlplane/build.sh >/dev/null
	bash e2e/controlplane/build-helm.sh >/dev/null
	bash e2e/controlplane/build-readers.sh >/dev/null
	bash e2e/controlplane/build-oci.sh >/dev/null

# kubelet, kube-scheduler, kube-controller-manager, kube-proxy, CoreDNS and crane for
# the in-cluster e2e tests and the demo (first run on a machine: a few minutes).
node-binaries:
	bash e2e/controlplane/build-node.sh >/dev/null

# A control plane for people: prints `export KUBECONFIG=…`. NODE=1 (root) adds a
# node that runs pods (kubelet + containerd, built or reused on first use) with
# the operator's image and mysql:latest in its registry.
cluster-up: deps controlplane
	@if [ "$(NODE)" = 1 ]; then bash e2e/controlplane/build-node.sh >/dev/null; fi
	@NODE=$(NODE) npx tsx e2e/controlplane/cluster.ts up

cluster-down: deps
	@npx tsx e2e/controlplane/cluster.ts down

# ATLAS_BIN=/path/to/atlas adds the Atlas CLI to the CLI comparison (bench/README.md).
bench: build controlplane
	npx tsx bench/directory-engine.bench.ts
	npx tsx bench/apply.bench.ts
	npx tsx bench/operator.bench.ts
	npx tsx bench/cli.bench.ts
	npx tsx bench/scale.bench.ts

# Mutation testing (StrykerJS, bench/mutation/stryker.config.json; bench/README.md):
# one run per file, each report kept as bench/out/mutation/files/<file>.json, then
# the table of all kept reports. Not part of `make test`: minutes per file.
# TESTS=<files> limits the test files to those (its own tests: faster, a lower bound).
MUTATION_FILES := operator/controller/reconciler.ts operator/controller/kube/list-watch.ts \
	operator/controller/work-queue.ts operator/controller/requeue-policy.ts operator/controller/status-patches.ts \
	operator/controller/secret-scrubber.ts operator/controller/logger.ts \
	$(filter-out %.test.ts,$(sort $(wildcard operator/controller/steps/*.ts))) \
	operator/migrate/apply.ts operator/migrate/executor.ts operator/migrate/planner.ts operator/migrate/sum.ts operator/migrate/scanner.ts
MUTATE ?= $(MUTATION_FILES)
comma := ,
space := $(subst ,, )
mutation: deps
	@mkdir -p bench/out/mutation/files; failed=""; \
	for f in $(subst $(comma), ,$(MUTATE)); do \
	  start=$$(date +%s); \
	  if nice -n 10 npx stryker run bench/mutation/stryker.config.json --mutate "$$f" $(if $(TESTS),--testFiles "$(subst $(space),$(comma),$(strip $(subst $(comma), ,$(TESTS))))"); then \
	    cp bench/out/mutation/mutation.json "bench/out/mutation/files/$$(echo "$$f" | tr / _).json"; \
	  else failed="$$failed $$f"; fi; \
	  echo "mutation: $$f took $$(( $$(date +%s) - start )) s"; \
	done; \
	npx tsx bench/mutation-table.ts | tee bench/out/mutation/table.md; \
	if [ -n "$$failed" ]; then echo "mutation: no report for:$$failed" >&2; exit 1; fi

demo: deps
	bash e2e/demo.sh

# The operator's image as an OCI archive (dist/images/), without Docker; reproducible.
# Load it with `ctr -n k8s.io images import` or push it with any OCI client.
image: deps
	npx tsx e2e/images/build.ts

clean:
	rm -rf dist cdk8s.out
