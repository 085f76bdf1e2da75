# The images: built with podman here (no Docker engine, no container registry: the Node.js base
# is made locally from Debian's packages and the npm registry), with docker on GitHub's runners.
# docs/containers.md says how and what `make images-check` measures.

CONTAINER_ENGINE ?= $(if $(shell command -v podman 2>/dev/null),podman,docker)
# podman reads its settings from the repository (no raised ulimits, no systemd).
export CONTAINERS_CONF := $(CURDIR)/deploy/podman/containers.conf
# The machine's CA bundle: npm inside a build trusts it too (a build secret, never in a layer).
EXTRA_CA ?= /etc/ssl/certs/ca-certificates.crt
NODE_VERSION := $(shell node -p "require('./package-lock.json').packages['node_modules/node'].version" 2>/dev/null)
NPM_VERSION  := 11.19.1
# With podman the base is made here; with docker the Dockerfiles' default (the official image).
LOCAL_NODE_IMAGE := localhost/inference-service-node:$(NODE_VERSION)
NODE_IMAGE ?= $(if $(filter podman,$(CONTAINER_ENGINE)),$(LOCAL_NODE_IMAGE))
IMAGES_WORK := $(CURDIR)/.tmp/images

IMAGE_BUILD_ENV = CONTAINER_ENGINE=$(CONTAINER_ENGINE) NODE_IMAGE=$(NODE_IMAGE) EXTRA_CA=$(EXTRA_CA) \
  SOURCE_DATE_EPOCH=$(SOURCE_DATE_EPOCH) IMAGE_VERSION=$(IMAGE_VERSION) \
  IMAGE_REVISION=$(IMAGE_REVISION) IMAGE_CREATED=$(IMAGE_CREATED) IMAGE_SOURCE_URL=$(IMAGE_SOURCE_URL)

.PHONY: podman
podman: ## Install Debian's podman, runc and mmdebstrap when podman is missing
	@command -v podman >/dev/null && command -v mmdebstrap >/dev/null || { \
	  apt-get update -qq && apt-get install -y -qq podman runc mmdebstrap uidmap >/dev/null; }

.PHONY: node-image
node-image: ## Make the Node.js base image from Debian trixie (mmdebstrap) and the npm node package
	@if [ "$(CONTAINER_ENGINE)" != podman ]; then echo 'node-image: podman only (docker builds use the official node image)'; exit 0; fi; \
	if podman image exists $(LOCAL_NODE_IMAGE); then echo 'node-image: $(LOCAL_NODE_IMAGE) exists'; exit 0; fi; \
	scripts/images/node-base.sh $(LOCAL_NODE_IMAGE) $(NODE_VERSION) $(NPM_VERSION) $(IMAGES_WORK)/node >/dev/null; \
	echo 'node-image: built $(LOCAL_NODE_IMAGE)'

.PHONY: images
images: ## Build the operator and dataplane images ($(IMAGE_PREFIX)-<component>:$(IMAGE_TAG))
	@if [ "$(CONTAINER_ENGINE)" = docker ] && ! docker info >/dev/null 2>&1; then \
	  echo 'images: neither podman nor a Docker engine here, so nothing was built; see docs/containers.md'; exit 0; \
	fi; \
	$(MAKE) --no-print-directory node-image; \
	for component in $(IMAGE_COMPONENTS); do \
	  $(IMAGE_BUILD_ENV) scripts/images/build.sh $$component $(IMAGE_PREFIX)-$$component:$(IMAGE_TAG) >/dev/null; \
	  echo "images: built $(IMAGE_PREFIX)-$$component:$(IMAGE_TAG)"; \
	done

.PHONY: images-push
images-push: ## Push the images that `make images` built (IMAGE_PREFIX must name a registry)
	@for component in $(IMAGE_COMPONENTS); do \
	  $(CONTAINER_ENGINE) push "$(IMAGE_PREFIX)-$$component:$(IMAGE_TAG)"; \
	done

SYFT_VERSION := v1.33.0
SYFT := $(TOOLS)/syft
$(SYFT):
	GOBIN=$(TOOLS) go install github.com/anchore/syft/cmd/syft@$(SYFT_VERSION)

# make test runs the check (tests/images/ assert its report and run the images); where podman
# cannot run it says so, and those tests skip with the reason.
test: images-check

.PHONY: images-check
images-check: deps $(SYFT) ## Build the base and both images twice from the last commit; sizes, IDs, SBOMs, audit (.tmp/images/report.json)
	@$(MAKE) --no-print-directory podman || true
	@if ! podman info >/dev/null 2>&1; then \
	  mkdir -p $(IMAGES_WORK) && echo 'podman cannot run here' > $(IMAGES_WORK)/unavailable; \
	  echo 'images-check: podman cannot run here, so no image was built (tests/images skip)'; exit 0; \
	fi; \
	rm -f $(IMAGES_WORK)/unavailable; \
	IMAGES_WORK=$(IMAGES_WORK) NODE_VERSION=$(NODE_VERSION) NPM_VERSION=$(NPM_VERSION) \
	  LOCAL_NODE_IMAGE=$(LOCAL_NODE_IMAGE) SYFT=$(SYFT) EXTRA_CA=$(EXTRA_CA) node scripts/images/check.ts
