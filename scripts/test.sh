#!/usr/bin/env bash
# The one test command (npm test): provisions the test bed, builds, type-checks, runs unit then
# integration tests with Node's test runner.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

[ -d node_modules ] || npm ci
bash scripts/test-env.sh
npm run --silent build
npm run --silent typecheck
node --import tsx --test --test-reporter=spec test/unit/*.test.ts test/integration/*.test.ts
