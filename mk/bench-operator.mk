# The operator scale benchmark (docs/benchmarks.md, "Operator scale"). Included by the root
# Makefile; not part of `make test` or `make bench` (it starts its own test cluster and takes
# minutes). Arguments: BENCH_OPERATOR_ARGS='--models 1000 --concurrency 4 --qps 50 --burst 100'.

BENCH_OPERATOR_ARGS ?=

.PHONY: bench-operator
bench-operator: deps cluster-build ## Operator scale: 1,000 InferenceModels to Ready on a test cluster, writes per no-op resync, RSS
	nice node bench/operator-scale.ts $(BENCH_OPERATOR_ARGS)
