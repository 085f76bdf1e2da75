# The agent contract (docs/agents.md): contracts/agents/agent-contract.json against the routes
# that serve it. The root Makefile includes this file; `make test` runs the same check with
# every test, `make gen-check` runs it alone (no test cluster).

.PHONY: agent-contract agent-contract-check
agent-contract: deps ## Rewrite contracts/agents/agent-contract.json from the served routes (refuses an unannounced breaking change)
	@cd $(CURDIR) && AGENT_CONTRACT=write INFERENCE_TEST_CLUSTER=off vitest run tests/agents/contract.test.ts

agent-contract-check: deps ## Fail when the agent contract drifted or broke without a major version
	@cd $(CURDIR) && INFERENCE_TEST_CLUSTER=off vitest run tests/agents/contract.test.ts

gen-check: agent-contract-check
