# `make dev`: the operator and the dataplane end to end on one machine (scripts/dev.ts,
# docs/e2e.md). The root Makefile includes this file.

.PHONY: dev
dev: deps cluster-build ## Test cluster + CRDs + operator + kubelet-style projection + dataplane (PORT=8080); Ctrl-C stops all
	node scripts/dev.ts
