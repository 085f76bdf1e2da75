# The test control plane: kube-apiserver on embedded etcd, kube-controller-manager,
# kube-scheduler and kwok, all built from Go modules (tests/cluster, docs/testing.md).
# Included by the root Makefile.

CLUSTER_SRC   := tests/cluster
CLUSTER_BIN   := $(CLUSTER_SRC)/bin/cluster
KUBECTL_BIN   := $(CLUSTER_SRC)/bin/kubectl
# What `make cluster-up` runs; CLUSTER_FLAGS= gives the bare API server.
CLUSTER_FLAGS ?= --with-controller-manager --with-nodes

.PHONY: cluster-build
cluster-build: ## Build tests/cluster/bin (cluster, kubectl, kwok) when missing or stale
	$(CLUSTER_SRC)/build.sh

.PHONY: cluster-up
cluster-up: cluster-build ## Run a test cluster in the foreground until Ctrl-C; prints its KUBECONFIG
	@dir="$$(mktemp -d)"; trap 'rm -rf "$$dir"' EXIT; \
	echo "cluster-up: once READY, in another shell: export KUBECONFIG=$$dir/admin.kubeconfig"; \
	$(CLUSTER_BIN) up --dir "$$dir" $(CLUSTER_FLAGS)

.PHONY: kubectl
kubectl: ## kubectl of the pinned version against $KUBECONFIG: make kubectl ARGS='get pods -A'
	@[ -n "$${KUBECONFIG:-}" ] || { echo 'kubectl: set KUBECONFIG (make cluster-up prints it)' >&2; exit 2; }
	@[ -x $(KUBECTL_BIN) ] || $(CLUSTER_SRC)/build.sh >&2
	@$(KUBECTL_BIN) $(ARGS)
