# The voice engine (docs/voice.md). The root Makefile includes this file.

VOICE_MODEL_DIR := $(CURDIR)/.tmp/voice/whisper-base

.PHONY: espeak-ng
espeak-ng: ## Install Debian's espeak-ng (the voice tests' speech) when it is missing
	@command -v espeak-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq espeak-ng; }

# The voice tests speak with espeak-ng and transcribe with the sidecar from the tests' venv.
test: espeak-ng

.PHONY: voice-stt
voice-stt: .tmp/venv/.installed ## Serve the local speech-to-text sidecar on 127.0.0.1:8090 (VOICE_STT_URL=http://127.0.0.1:8090/v1)
	HF_HUB_OFFLINE=1 .tmp/venv/bin/python dataplane/src/engine/voice/stt_sidecar.py --port 8090 --model-dir $(VOICE_MODEL_DIR)

.PHONY: test-voice
test-voice: deps redis espeak-ng .tmp/venv/.installed ## Run the voice tests only
	INFERENCE_TEST_CLUSTER=off vitest run tests/voice

# Not part of `make test` or `make bench`. Arguments: BENCH_VOICE_ROUNDS (20), BENCH_VOICE_IDLE (1000).
BENCH_VOICE_ROUNDS ?= 20
BENCH_VOICE_IDLE ?= 1000

.PHONY: bench-voice
bench-voice: deps espeak-ng .tmp/venv/.installed ## Voice TTFT and barge-in p50/p99 (zero-latency mock LLM, local STT), idle sockets' memory, VAD frames/s
	node bench/voice.ts $(BENCH_VOICE_ROUNDS) $(BENCH_VOICE_IDLE)
