#!/usr/bin/env bash
# The curl quickstart: stream an answer from `make run` (ENIS_URL, default http://127.0.0.1:8080;
# TOKEN as make run prints it).
set -euo pipefail
curl -sN "${ENIS_URL:-http://127.0.0.1:8080}/api/v1/inference:stream" \
  -H "authorization: Bearer $TOKEN" -H "x-request-id: quickstart-$RANDOM$RANDOM" \
  -H 'content-type: application/json' \
  -d '{"model":"chat","messages":[{"role":"user","content":"Say hello"}],"parameters":{"max_tokens":16}}'
