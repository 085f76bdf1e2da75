# The front end (docs/frontend.md): the browser voice client in sdk/ts, the examples, and the
# tests that drive them in Debian's headless Chromium. The root Makefile includes this file.

CHROMIUM := /usr/lib/chromium/chromium-headless-shell

.PHONY: chromium
chromium: ## Install Debian's chromium-headless-shell (the browser tests' Chromium) when it is missing
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium-headless-shell; }

# The browser tests drive Chromium (playwright-core by executablePath; nothing is downloaded).
test: chromium

.PHONY: frontend-typecheck
# The examples type-check against the browser's libraries only, as sdk/ts does.
frontend-typecheck: deps
	tsc --noEmit -p examples

typecheck: frontend-typecheck

.PHONY: test-frontend
test-frontend: deps redis chromium espeak-ng .tmp/venv/.installed ## Run the browser tests only (tests/frontend)
	INFERENCE_TEST_CLUSTER=off vitest run tests/frontend
