# The SDKs (sdk/ts, sdk/python, sdk/go) and their conformance scenarios (docs/sdks.md). The root
# Makefile includes this file; these lines add prerequisites to its targets.

.PHONY: sdk-gen sdk-gen-check sdk-typecheck
sdk-gen: deps ## Regenerate the SDKs' generated files (types, error vocabulary)
	node sdk/gen.ts

sdk-gen-check: deps
	node sdk/gen.ts --check

# The SDK's own sources type-check against the browser's libraries only (no Node types).
sdk-typecheck: deps
	tsc --noEmit -p sdk/ts
	tsc --noEmit -p sdk

gen: sdk-gen
gen-check: sdk-gen-check
typecheck: sdk-typecheck
