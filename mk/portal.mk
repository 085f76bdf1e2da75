# The developer portal: docs/ as a static site (VitePress, portal/ with its own lockfile, so the
# project's install and images carry none of it), built into .tmp/portal/site. Included by the
# root Makefile.

PORTAL_DEPS := portal/node_modules/.package-lock.json

$(PORTAL_DEPS): portal/package-lock.json | deps
	npm ci --prefix portal --no-audit --no-fund

.PHONY: portal portal-serve
portal: deps $(PORTAL_DEPS) ## Build the developer portal into .tmp/portal/site (fails on a dead link)
	node scripts/portal.ts

portal-serve: portal ## Serve the built portal at http://127.0.0.1:4173
	portal/node_modules/.bin/vitepress preview portal --host 127.0.0.1 --port 4173

# Built before the tests, which check the site (tests/portal).
test: portal
