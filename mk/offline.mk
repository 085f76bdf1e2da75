# The dataplane's unit and API tests with no network at all (issue 19, docs/air-gapped.md): a
# network namespace of their own (unshare -n) with only loopback up, so a test that needed egress
# at run time fails here. Redis runs on that loopback; the test control plane is left out (the
# operator's tests are not part of this run). Needs root. The root Makefile includes this file.
OFFLINE_TESTS := dataplane tests/api

.PHONY: test-offline
test-offline: deps redis .tmp/venv/.installed models ## The dataplane's unit and API tests with no network (unshare -n, loopback only; root)
	@[ "$$(id -u)" = 0 ] || { echo 'test-offline: unshare -n needs root' >&2; exit 1; }
	unshare --net sh -c 'ip link set lo up && ip -brief link && \
	  INFERENCE_TEST_CLUSTER=off vitest run $(OFFLINE_TESTS)'

# Zero egress proven in network namespaces (tests/egress); `make test` runs it too where it runs
# as root, and skips it, saying why, elsewhere.
.PHONY: test-egress
test-egress: deps ## The egress guard in network namespaces: air-gapped and not (root, iproute2)
	@[ "$$(id -u)" = 0 ] || { echo 'test-egress: network namespaces need root' >&2; exit 1; }
	INFERENCE_TEST_CLUSTER=off vitest run tests/egress
