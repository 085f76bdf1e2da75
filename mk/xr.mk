# The XR engine (docs/xr.md). The root Makefile includes this file.

BENCH_XR_SECONDS ?= 300
BENCH_XR_SESSIONS ?= 100

.PHONY: test-xr
test-xr: deps redis ## Run the XR tests only
	INFERENCE_TEST_CLUSTER=off vitest run tests/xr

# Not part of `make test` or `make bench`: ten minutes, 100 sockets at 30 Hz, then at 90 Hz.
.PHONY: bench-xr
bench-xr: deps ## XR: 100 sessions at 30 and 90 Hz, 5 min each: jitter p99, out-of-order, SSE silence, RSS
	node bench/xr.ts 30 $(BENCH_XR_SECONDS) $(BENCH_XR_SESSIONS)
	node bench/xr.ts 90 $(BENCH_XR_SECONDS) $(BENCH_XR_SESSIONS)
