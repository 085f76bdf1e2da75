# The two commands of the quick start are `make run` and `make test`; each installs what it needs.
SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

export PATH := $(CURDIR)/node_modules/.bin:$(CURDIR)/.tmp/bin:$(PATH)
# onnxruntime-node ships its CPU binary; its install script would only fetch GPU libraries.
export ONNXRUNTIME_NODE_INSTALL := skip
# node-llama-cpp's CPU binary ships in @node-llama-cpp/linux-x64 (a direct dependency); nothing is
# downloaded or built at install or run time.
export NODE_LLAMA_CPP_SKIP_DOWNLOAD := true
TOOLS := $(CURDIR)/.tmp/bin
ACTIONLINT_VERSION := v1.7.12

-include mk/*.mk

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

# --omit=optional: node-llama-cpp's optional platform packages (CUDA, Vulkan: ~650 MB) stay out;
# the linux-x64 native packages the tools need (llama.cpp, rolldown, unrs-resolver, lightningcss,
# esbuild, oxc-parser, oxc-resolver) are direct dependencies instead.
node_modules/.package-lock.json: package.json package-lock.json
	npm ci --omit=optional --no-audit --no-fund
	@touch $@

.PHONY: deps
deps: node_modules/.package-lock.json ## Install npm dependencies from the lockfile

.PHONY: redis
redis: ## Install Debian's redis-server when it is missing
	@command -v redis-server >/dev/null || { apt-get update -qq && apt-get install -y -qq redis-server; }

# Python tools of the tests (schemathesis, the openai client, onnx for the tiny model, gguf for the
# GGUF -> ONNX export).
.tmp/venv/.installed: tests/requirements.txt
	python3 -m venv .tmp/venv
	.tmp/venv/bin/pip install --quiet --disable-pip-version-check -r tests/requirements.txt
	@touch $@

$(TOOLS)/actionlint:
	GOBIN=$(TOOLS) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

.PHONY: run
run: deps ## Run the dataplane on its embedded defaults (PORT=8080); chat is SmolLM2, fetched on first run
	node dataplane/src/main.ts

.PHONY: typecheck
typecheck: deps ## Type-check every TypeScript file
	tsc --noEmit

.PHONY: lint
lint: deps $(TOOLS)/actionlint ## eslint, prettier --check and actionlint
	eslint . --max-warnings=0
	prettier --check .
	actionlint

.PHONY: fmt
fmt: deps ## Format the tree with prettier
	prettier --write .

.PHONY: gen
gen: deps ## Regenerate every generated file
	node scripts/gen.ts

.PHONY: gen-check
gen-check: deps ## Fail when a generated file is stale
	node scripts/gen.ts --check

.PHONY: unit
unit: deps ## Run the tests without coverage (fast loop)
	vitest run

.PHONY: test
test: deps redis prometheus cluster-build $(HELM) .tmp/venv/.installed models lint typecheck gen-check ## Lint, typecheck, drift checks, every test with coverage (>= 80 % lines; the chart tests need helm, built when none is on PATH)
	vitest run --coverage
