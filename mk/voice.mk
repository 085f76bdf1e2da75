# The voice engine (docs/voice.md). The root Makefile includes this file.

VOICE_MODEL_DIR := $(CURDIR)/.tmp/voice/whisper-base

.PHONY: espeak-ng
espeak-ng: ## Install Debian's espeak-ng (the voice tests' speech) when it is missing
	@command -v espeak-ng >/dev/null || { apt-get update -qq && apt-get install -y -qq espeak-ng; }

# The voice tests speak with espeak-ng and transcribe with the sidecar from the tests' venv.
test: espeak-ng

.PHONY: voice-stt
voice-stt: .tmp/venv/.installed ## Serve the local speech-to-text sidecar on 127.0.0.1:8090 (VOICE_STT_URL=http://127.0.0.1:8090)
	HF_HUB_OFFLINE=1 .tmp/venv/bin/python dataplane/src/engine/voice/stt_sidecar.py --port 8090 --model-dir $(VOICE_MODEL_DIR)

.PHONY: test-voice
test-voice: deps redis espeak-ng .tmp/venv/.installed ## Run the voice tests only
	INFERENCE_TEST_CLUSTER=off vitest run tests/voice
