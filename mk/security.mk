# Service-to-service security (docs/security.md). Included by the root Makefile.

# The load generator on core 0; bench/tls.ts pins each dataplane to core 1 itself.
BENCH_TLS_PIN := $(shell command -v taskset >/dev/null 2>&1 && echo taskset -c 0)

.PHONY: bench-tls
bench-tls: deps ## TLS and mTLS against plain HTTP on one pipeline: server CPU per request, added p50/p99, handshakes/s (not in make test)
	$(BENCH_TLS_PIN) node bench/tls.ts
