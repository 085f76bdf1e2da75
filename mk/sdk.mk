# The SDKs (sdk/ts, sdk/python, sdk/go) and their conformance scenarios (docs/sdks.md). The root
# Makefile includes this file; these lines add prerequisites to its targets.

.PHONY: sdk-openapi sdk-gen sdk-gen-check sdk-typecheck
# docs/openapi.yaml is generated too (scripts/gen.ts, from the route schemas): `make gen` writes
# it before the SDK files are generated from it.
sdk-openapi: deps
	node scripts/gen.ts

sdk-gen: sdk-openapi ## Regenerate the SDKs' generated files (types, error vocabulary, Python models, Postman)
	node sdk/gen.ts

sdk-gen-check: deps
	node sdk/gen.ts --check

# The SDK's own sources type-check against the browser's libraries only (no Node types).
sdk-typecheck: deps
	tsc --noEmit -p sdk/ts
	tsc --noEmit -p sdk
	tsc --noEmit -p sdk/packages

gen: sdk-gen
gen-check: sdk-gen-check
typecheck: sdk-typecheck

# What a release publishes: the two npm packages' tarballs (sdk/packages/packages.test.ts
# installs and uses the same in make test). Nothing is published from here.
.PHONY: sdk-pack
sdk-pack: deps ## Build and pack @enis/client and @enis/react into .tmp/packages/ (the tarballs a release publishes)
	@mkdir -p .tmp/packages
	cd sdk/ts && npm run build --silent && npm pack --silent --pack-destination ../../.tmp/packages
	cd sdk/react && npm run build --silent && npm pack --silent --pack-destination ../../.tmp/packages

# Python: the models come from datamodel-code-generator (pinned with its formatters in
# tests/requirements.txt); the package is installed editable into the tests' venv.
PY_MODELS := sdk/python/enis/models.py
DATAMODEL_CODEGEN := PYTHONWARNINGS=ignore .tmp/venv/bin/datamodel-codegen --input docs/openapi.yaml \
	--input-file-type openapi --openapi-scopes paths --output-model-type pydantic_v2.BaseModel \
	--target-python-version 3.11 --strict-nullable --disable-timestamp --formatters black isort

.PHONY: sdk-python-models sdk-python-models-check
sdk-python-models: sdk-openapi .tmp/venv/.installed
	$(DATAMODEL_CODEGEN) --output $(PY_MODELS)

sdk-python-models-check: .tmp/venv/.installed
	@mkdir -p .tmp/sdk
	$(DATAMODEL_CODEGEN) --output .tmp/sdk/models.py
	@cmp -s .tmp/sdk/models.py $(PY_MODELS) || { echo "$(PY_MODELS) is stale (run \`make sdk-gen\`)"; exit 1; }

.tmp/venv/.sdk-python: sdk/python/pyproject.toml .tmp/venv/.installed
	.tmp/venv/bin/pip install --quiet --disable-pip-version-check --no-deps -e sdk/python
	@touch $@

sdk-gen: sdk-python-models
sdk-gen-check: sdk-python-models-check
test: .tmp/venv/.sdk-python

# Go: standard library only; gofmt and go vet, which also build the test binary into the cache
# that sdk/conformance/go.test.ts then uses.
GO_SDK_ENV := GOCACHE=$(CURDIR)/.tmp/go-cache GOFLAGS=-buildvcs=false GOPROXY=off

.PHONY: sdk-go-vet
sdk-go-vet:
	@test -z "$$(gofmt -l sdk/go)" || { gofmt -l sdk/go; echo "sdk/go: run gofmt -w"; exit 1; }
	cd sdk/go && $(GO_SDK_ENV) go vet ./...

test: sdk-go-vet
