# The PII and secrets scan benchmark (docs/benchmarks.md, "PII scan"). Included by the root
# Makefile; not part of `make test` or `make bench`. Arguments: BENCH_PII_ROUNDS (5).

BENCH_PII_ROUNDS ?= 5

.PHONY: bench-pii
bench-pii: deps ## PII scan cost per KB: findPii and the stream redactor against a regex pass and the pre-issue-22 detectors
	node bench/pii.ts $(BENCH_PII_ROUNDS)
