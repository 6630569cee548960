#!/usr/bin/env bash
# Installs kedge from this checkout and runs it on the example stack in examples/hello, offline:
# the example's git remote is a local bare repository, and its image is built locally. It deploys the
# stack, changes its page with a commit, and lets kedge serve deploy the change.
# State goes to ./.kedge-example (KEDGE_HOME); run again to start over.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
root=$PWD
work="$root/.kedge-example"
export KEDGE_HOME="$work/home"

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

step "Installing kedge's dependencies and building it"
[ -d node_modules ] || npm ci
npm run --silent build
kedge() { node "$root/bin/run.cjs" "$@"; }

step "Making sure a Docker engine, Compose and the example's image are there"
if [ "$(id -u)" -eq 0 ]; then
  bash scripts/test-env.sh
else
  docker info >/dev/null 2>&1 || { echo "no Docker engine answers; start one, or run this script as root to have it set one up" >&2; exit 1; }
fi
bash scripts/build-local-images.sh kedge-example/hello 1 2

step "Publishing examples/hello as a git repository (a local bare remote)"
rm -rf "$work"
mkdir -p "$work"
git init --quiet --bare --initial-branch=main "$work/hello.git"
git clone --quiet "$work/hello.git" "$work/hello" 2>/dev/null
cp -R examples/hello/. "$work/hello/"
git -C "$work/hello" add --all
git -C "$work/hello" -c user.name=kedge -c user.email=kedge@example.invalid commit --quiet -m "hello stack"
git -C "$work/hello" push --quiet origin HEAD:main

step "kedge repo add $work/hello.git"
kedge repo add "$work/hello.git"

step "kedge sync --repo hello   (deploys the branch head now)"
kedge sync --repo hello
curl_page() { (command -v curl >/dev/null && curl -fsS http://127.0.0.1:8088/) || (command -v wget >/dev/null && wget -qO- http://127.0.0.1:8088/) || true; }
curl_page | grep -o '<h1>.*</h1>' || true

step "Committing a new page, then kedge serve deploys it"
sed -i 's|<h1>Hello from kedge</h1>|<h1>Hello again, from a new commit</h1>|' "$work/hello/html/index.html"
git -C "$work/hello" -c user.name=kedge -c user.email=kedge@example.invalid commit --quiet -am "new page"
git -C "$work/hello" push --quiet origin HEAD:main
new_commit=$(git -C "$work/hello" rev-parse HEAD)
node "$root/bin/run.cjs" serve --interval 2s &
serve_pid=$!
for _ in $(seq 1 60); do
  kedge history --repo hello --limit 1 --json | tr -d ' \n' | grep -q "\"commit\":\"$new_commit\",\"status\":\"success\"" && break
  sleep 1
done
kill -TERM "$serve_pid"; wait "$serve_pid" || true
curl_page | grep -o '<h1>.*</h1>' || true

step "kedge status"
kedge status
step "kedge history --repo hello"
kedge history --repo hello

cat <<EOT

The example stack runs as Compose project "hello" (http://127.0.0.1:8088/). To explore:
  export KEDGE_HOME=$KEDGE_HOME
  node bin/run.cjs serve                       # keep it deployed; push to $work/hello.git
  node bin/run.cjs repo remove hello --down    # take it down
EOT
