# The trace backends of tests/observability: an OpenTelemetry Collector and Jaeger v2, both
# built from Go modules into .tmp/observability/ (pinned by their go.mod; cached, rebuilt only
# when their sources change). Included by the root Makefile.

.PHONY: observability-build
observability-build: ## Build .tmp/observability/{otelcol,jaeger} when missing or stale
	tests/observability/build.sh

# A fresh machine builds them before the tests that run them (tests/observability/traces.test.ts).
test: observability-build

.PHONY: bench-tracing
bench-tracing: ## What tracing costs: off against ratio 1.0 and 0.1, CPU per request and p99 (not in make test)
	node bench/tracing.ts
