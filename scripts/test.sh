#!/usr/bin/env bash
# The one test command (npm test): provisions the test bed, builds, type-checks, checks the directions of
# src/'s imports (.dependency-cruiser.cjs), runs the unit tests and every integration test on Compose v2,
# and beside them the integration tests whose outcome depends on the Compose version again on Compose v1
# (the legacy second leg) where the machine has it; then the faults.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

# Test files run a few at a time (four of the v2 leg, two of the v1 leg beside it): they mostly wait on
# Docker, git and health checks, so five share a 2-core machine well. Each test uses its own names, homes
# and ports. The fault tests (a Docker daemon of their own stopped and restarted, serve killed mid-deploy)
# run alone afterwards: their waits are bounded, and a second file's load would stretch them past the bounds.
run_tests() {
  KEDGE_COMPOSE="$1" node --import tsx --test --test-concurrency="$2" --test-reporter=spec "${@:3}"
}
# Files that stop and start Docker daemons of their own and wait for them within bounds (a daemon killed and
# restarted; a Swarm node stopped, its tasks moved): they run one at a time, after the rest.
ALONE_FILES=(faults engines-serve swarm-multinode)
run_faults() {
  KEDGE_COMPOSE="$1" node --import tsx --test --test-concurrency=1 --test-reporter=spec "${@:2}"
}

[ -d node_modules ] || npm ci
bash scripts/test-env.sh
npm run --silent build
npm run --silent typecheck
npm run --silent depcheck

V1_FILES=(deploy rollback stack-changes file-change repo-remove stack-settings private-home sops-secrets build-services image-updates)
has_v1() { docker-compose version --short 2>/dev/null | grep -qE '^1\.'; }

# The two legs run side by side: their files mostly wait on Docker, and the v1 leg alone would add eight
# minutes. The v1 leg's report is printed once both are done, so that neither interleaves with the other.
v1_log=$(mktemp)
v1_pid=
if has_v1; then
  # Where kedge's behaviour depends on the Compose version: applying and rolling back, what `up` recreates,
  # taking a stack down, profiles and extension fields. Drift is read from the engine, whichever Compose.
  run_tests docker-compose 2 $(printf 'test/integration/%s.test.ts ' "${V1_FILES[@]}") >"$v1_log" 2>&1 &
  v1_pid=$!
fi

echo "== Compose v2 ($(docker compose version --short)): unit and integration tests"
v2_status=0
run_tests "docker compose" 4 test/unit/*.test.ts $(ls test/integration/*.test.ts | grep -vE "/($(IFS='|'; echo "${ALONE_FILES[*]}"))\.test\.ts$") || v2_status=$?

v1_status=0
if [ -n "$v1_pid" ]; then
  wait "$v1_pid" || v1_status=$?
  echo "== Compose v1 ($(docker-compose version --short)): the integration tests of ${V1_FILES[*]}"
  cat "$v1_log"
else
  echo "== Compose v1 is not installed: its leg is skipped (scripts/test-env.sh installs it where the release packages it)"
fi
rm -f "$v1_log"
[ "$v2_status" -eq 0 ] && [ "$v1_status" -eq 0 ] || exit 1

# The v1 leg's faults run beside the v2 ones, each leg one file at a time: two files that wait on their
# own daemons share the machine within the bounds, and the v1 leg alone would add a minute and a half.
# (A swarm stack is deployed by the docker CLI, whichever Compose: the v1 leg runs the faults only.)
v1_faults_log=$(mktemp)
v1_faults_pid=
if has_v1; then
  run_faults docker-compose test/integration/faults.test.ts >"$v1_faults_log" 2>&1 &
  v1_faults_pid=$!
fi
echo "== faults and a Swarm node's failure, alone: Compose v2"
v2_faults_status=0
run_faults "docker compose" $(printf 'test/integration/%s.test.ts ' "${ALONE_FILES[@]}") || v2_faults_status=$?
v1_faults_status=0
if [ -n "$v1_faults_pid" ]; then
  wait "$v1_faults_pid" || v1_faults_status=$?
  echo "== faults: Compose v1"
  cat "$v1_faults_log"
fi
rm -f "$v1_faults_log"
[ "$v2_faults_status" -eq 0 ] && [ "$v1_faults_status" -eq 0 ]
