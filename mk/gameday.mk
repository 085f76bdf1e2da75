# Game days (docs/gameday.md): scripted failure scenarios under a steady load, each printing its
# RTO and RPO. Not part of `make test` (the tests skip without GAMEDAY=1). Included by the root
# Makefile.

.PHONY: gameday
gameday: ## Run the game-day scenarios of tests/gameday (a bad config pushed, a provider outage, a replica SIGTERMed and one SIGKILLed mid-stream, Redis SIGKILLed and restarted, JWKS key and TLS certificate rotated, a region lost and failed over) and print RTO and RPO
	GAMEDAY=1 INFERENCE_TEST_CLUSTER=off vitest run tests/gameday

.PHONY: gameday-cluster
gameday-cluster: cluster-build ## Run the game day that needs the test cluster (the operator leader SIGKILLed, its standby taking the Lease) and print RTO and RPO
	GAMEDAY=1 vitest run tests/gameday/operator-leader.test.ts
