# The GA gate of issue #29 (docs/ga-gate.md). Included by the root Makefile; NOT part of
# `make test`: the load alone takes over five minutes. semgrep comes from its PyPI wheel into
# .tmp/semgrep, as mk/ci.mk installs zizmor; its rules are the project's own (.semgrep/).

SEMGREP_VERSION := 1.185.0
SEMGREP         := $(CURDIR)/.tmp/semgrep/bin/semgrep

$(SEMGREP):
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target $(CURDIR)/.tmp/semgrep semgrep==$(SEMGREP_VERSION)

.PHONY: semgrep-install
semgrep-install: $(SEMGREP) ## Install semgrep $(SEMGREP_VERSION) into .tmp/semgrep (PyPI wheel)

.PHONY: ga-load
ga-load: bench-deps ## The GA load alone: 1,000 users for 5 minutes against the full stack (GA_USERS, GA_LOAD_S)
	node bench/ga-load.ts

.PHONY: ga-gate
ga-gate: deps redis .tmp/venv/.installed $(SEMGREP) $(ZIZMOR) ## The GA gate: load, semgrep, zizmor, schemathesis, JWT/mTLS suites, audits; one line per check; fails unless all pass
	node scripts/ga-gate.ts
