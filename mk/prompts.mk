# PromptManifest checks (scripts/prompts.ts). The root Makefile includes this file.

PROMPT_FILES := $(sort $(wildcard $(CURDIR)/prompts/*.yaml $(CURDIR)/prompts/*.yml))
PROMPT_SAMPLE := $(wildcard $(CURDIR)/crds/samples/prompt-manifest.yaml)
PROMPTS_CLI := node $(CURDIR)/scripts/prompts.ts

.PHONY: prompts-validate
# The CRD sample is validated on its own: it is not one of the prompts `make run` serves.
prompts-validate: deps ## Validate the prompt manifests; breaking changes vs origin/main (or HEAD~1)
	@cd $(CURDIR) && $(PROMPTS_CLI) validate $(PROMPT_FILES:$(CURDIR)/%=%)
	@$(if $(PROMPT_SAMPLE),cd $(CURDIR) && $(PROMPTS_CLI) validate $(PROMPT_SAMPLE:$(CURDIR)/%=%))
	@cd $(CURDIR); \
	base=$$(git rev-parse --verify -q origin/main 2>/dev/null || true); \
	if [ -z "$$base" ] || [ "$$base" = "$$(git rev-parse -q HEAD)" ]; then \
	  base=$$(git rev-parse --verify -q 'HEAD~1^{commit}' 2>/dev/null || true); \
	fi; \
	if [ -z "$$base" ]; then echo "prompts: no git base (origin/main or HEAD~1); breaking-change check skipped"; \
	else $(PROMPTS_CLI) breaking --base "$$base" $(PROMPT_FILES:$(CURDIR)/%=%); fi

.PHONY: prompts-checksum
prompts-checksum: deps ## Recompute and write the checksum of every prompt manifest
	@cd $(CURDIR) && $(PROMPTS_CLI) checksum --write $(PROMPT_FILES:$(CURDIR)/%=%)
