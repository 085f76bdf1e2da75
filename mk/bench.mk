# Benchmarks (docs/benchmarks.md, ../shared/docs/BENCHMARKS.md). The root Makefile includes this
# file. Not part of `make test`: they take minutes and print figures, they assert nothing.
# Raw results go to bench/results/ (git-ignored). `bench` runs the dataplane's; the operator's
# (mk/bench-operator.mk) and the batch benchmark run on their own (docs/benchmarks.md).

BENCH_SYSTEMS_DIR := bench/systems

# Portkey and autocannon live in their own install, not in the project's dependencies; the
# gateway's install script is denied (allowScripts) and not needed.
$(BENCH_SYSTEMS_DIR)/node_modules/.package-lock.json: $(BENCH_SYSTEMS_DIR)/package.json $(BENCH_SYSTEMS_DIR)/package-lock.json
	npm ci --prefix $(BENCH_SYSTEMS_DIR) --no-audit --no-fund
	@touch $@

.PHONY: bench-deps
bench-deps: deps redis $(BENCH_SYSTEMS_DIR)/node_modules/.package-lock.json ## Install what the benchmarks run (Portkey, autocannon, redis-server)

.PHONY: bench
# One after another even under `make -j`: two benchmarks at once would measure each other.
bench: bench-deps ## The dataplane's benchmarks, one after another (about 13 minutes on 2 cores)
	@for target in bench-gateway bench-streams bench-profile bench-soak bench-prompts bench-latency; do \
	  $(MAKE) --no-print-directory -j1 $$target; \
	done

.PHONY: bench-gateway
bench-gateway: bench-deps ## Gateway overhead: direct, raw proxy, Portkey, ours minimal and full, in shuffled rounds (BENCH_ROUNDS=3)
	node bench/gateway.ts

.PHONY: bench-streams
bench-streams: bench-deps ## Idle SSE streams one dataplane holds (BENCH_STREAMS=10000), memory per stream, resume latency
	ulimit -n 20000 2>/dev/null || true; node bench/streams.ts

.PHONY: bench-profile
bench-profile: bench-deps ## CPU profile of the full pipeline under load, summarised (bench/results/profiles/)
	node bench/profile.ts 10 ours-full

.PHONY: bench-soak
bench-soak: bench-deps ## Leak check: RSS and V8 heap of the full pipeline after each of 6 peak loads
	node bench/soak.ts 6 ours-full

.PHONY: bench-prompts
bench-prompts: deps ## Prompt resolution: cold load of 1,000 manifests, first and warm resolve+render
	node bench/prompts.ts

.PHONY: bench-latency
bench-latency: deps ## In-process added latency against bare fastify, and warm prompt resolve+render
	node bench/dataplane-latency.ts
