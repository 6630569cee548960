#!/usr/bin/env bash
# The one test command (npm test): provisions the test bed, builds, type-checks, runs the unit tests and
# every integration test on Compose v2, then the integration tests of deploying, drift, rollback, repo remove,
# faults and Compose upgrades again on Compose v1 (the legacy second leg) where the machine has it.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Three test files at a time: they mostly wait on Docker, git and health checks, so three share a 2-core
# machine well (Node's default is one less than the cores). Each test uses its own names, homes and ports. The fault tests
# (a Docker daemon of their own stopped and restarted, serve killed mid-deploy) run alone afterwards:
# their waits are bounded, and a second file's load would stretch them past the bounds.
run_tests() {
  KEDGE_COMPOSE="$1" node --import tsx --test --test-concurrency=3 --test-reporter=spec "${@:2}"
}
run_faults() {
  KEDGE_COMPOSE="$1" node --import tsx --test --test-concurrency=1 --test-reporter=spec test/integration/faults.test.ts
}

[ -d node_modules ] || npm ci
bash scripts/test-env.sh
npm run --silent build
npm run --silent typecheck

echo "== Compose v2 ($(docker compose version --short)): unit and integration tests"
run_tests "docker compose" test/unit/*.test.ts $(ls test/integration/*.test.ts | grep -v '/faults\.test\.ts$')
run_faults "docker compose"

if docker-compose version --short 2>/dev/null | grep -qE '^1\.'; then
  # Where kedge's behaviour depends on the Compose version: applying and rolling back, what `up` recreates,
  # taking a stack down, profiles and extension fields. Drift is read from the engine, whichever Compose.
  echo "== Compose v1 ($(docker-compose version --short)): the integration tests of deploy, rollback, stack changes, reloaded files, repo remove, stack settings and faults"
  run_tests docker-compose test/integration/deploy.test.ts test/integration/rollback.test.ts test/integration/stack-changes.test.ts \
    test/integration/file-change.test.ts test/integration/repo-remove.test.ts test/integration/stack-settings.test.ts
  run_faults docker-compose
else
  echo "== Compose v1 is not installed: its leg is skipped (scripts/test-env.sh installs it where the release packages it)"
fi
