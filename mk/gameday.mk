# Game days (docs/gameday.md): scripted failure scenarios under a steady load, each printing its
# RTO and RPO. Not part of `make test` (the tests skip without GAMEDAY=1). Included by the root
# Makefile.

.PHONY: gameday
gameday: ## Run the game-day scenarios of tests/gameday (a bad config pushed, a provider outage, a replica killed mid-stream) and print RTO and RPO
	GAMEDAY=1 INFERENCE_TEST_CLUSTER=off vitest run tests/gameday
