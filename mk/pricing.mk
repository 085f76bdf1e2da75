# The pricing file of the embedded contract (scripts/pricing.ts). The root Makefile includes this file.

PRICING_FILE := config/pricing.yaml
# The chart's copy; `make gen` writes it too (operator/src/chart-files.ts), `make gen-check` compares.
PRICING_CHART_COPY := charts/inference-service/files/pricing.yaml

.PHONY: pricing-checksum
pricing-checksum: deps ## Recompute and write the checksum of config/pricing.yaml, and copy it into the chart
	@cd $(CURDIR) && node scripts/pricing.ts write $(PRICING_FILE)
	@cd $(CURDIR) && cp $(PRICING_FILE) $(PRICING_CHART_COPY)
