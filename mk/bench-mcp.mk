# The MCP gateway benchmark (docs/benchmarks.md, "MCP gateway"): added latency per tool call
# through the gateway against a direct client-to-server call, in the same run. Included by
# the root Makefile; not part of `make test` or `make bench`. Arguments: BENCH_MCP_ROUNDS (5),
# BENCH_MCP_CALLS (300 per system and round).

BENCH_MCP_ROUNDS ?= 5
BENCH_MCP_CALLS ?= 300

.PHONY: bench-mcp
bench-mcp: deps redis ## Added latency per MCP tool call through the gateway vs a direct SDK client-to-server call
	node bench/mcp/run.ts $(BENCH_MCP_ROUNDS) $(BENCH_MCP_CALLS)
