# Debian's Prometheus 2.42 (prometheus + promtool) for the observability tests
# (tests/observability, docs/observability.md): downloaded with apt-get and unpacked with dpkg -x
# into .tmp/prometheus, no install. Without apt the target says so, and the tests that need it skip.
# Included by the root Makefile.

PROMETHEUS_DIR := $(CURDIR)/.tmp/prometheus

.PHONY: prometheus
prometheus: ## Unpack Debian's prometheus and promtool into .tmp/prometheus (apt-get download + dpkg -x)
	@if [ -x $(PROMETHEUS_DIR)/usr/bin/promtool ]; then :; \
	elif ! command -v apt-get >/dev/null; then \
	  echo 'prometheus: no apt-get here; tests/observability skips its Prometheus tests'; \
	else \
	  tmp="$$(mktemp -d)"; trap 'rm -rf "$$tmp"' EXIT; \
	  (cd "$$tmp" && apt-get download -qq prometheus 2>/dev/null) && \
	  mkdir -p $(PROMETHEUS_DIR) && dpkg -x "$$tmp"/prometheus_*.deb $(PROMETHEUS_DIR) && \
	  $(PROMETHEUS_DIR)/usr/bin/prometheus --version | head -1; \
	fi
