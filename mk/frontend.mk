# The front end (docs/frontend.md): the browser voice client in sdk/ts, @enis/react in sdk/react
# and its Storybook, the examples, and the tests that drive them in Debian's headless Chromium.
# The root Makefile includes this file.

CHROMIUM := /usr/lib/chromium/chromium-headless-shell

.PHONY: chromium
chromium: ## Install Debian's chromium-headless-shell (the browser tests' Chromium) when it is missing
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq --no-install-recommends chromium-headless-shell; }

# The browser tests drive Chromium (playwright-core by executablePath; nothing is downloaded);
# tests/frontend/storybook.test.ts opens the Storybook that `storybook` builds.
test: chromium storybook

.PHONY: storybook
storybook: deps ## Build the Storybook of @enis/react (sdk/react/stories) offline into .tmp/storybook
	STORYBOOK_DISABLE_TELEMETRY=1 storybook build --config-dir sdk/react/.storybook --output-dir .tmp/storybook --disable-telemetry --quiet

.PHONY: frontend-typecheck
# The examples and @enis/react type-check against the browser's libraries only, as sdk/ts does.
frontend-typecheck: deps
	tsc --noEmit -p examples
	tsc --noEmit -p sdk/react

typecheck: frontend-typecheck

.PHONY: test-frontend
test-frontend: deps redis chromium espeak-ng .tmp/venv/.installed storybook ## Run the browser tests only (tests/frontend)
	INFERENCE_TEST_CLUSTER=off vitest run tests/frontend
