#!/usr/bin/env bash
# Installs kedge from this checkout and runs it on the example stack in examples/hello, offline:
# the example's git remote is a local bare repository, and its image is built locally.
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
kedge() { node "$root/bin/run.js" "$@"; }

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

step "kedge repo list"
kedge repo list

cat <<EOT

The example is registered. Its state lives in $KEDGE_HOME:
  export KEDGE_HOME=$KEDGE_HOME
  node bin/run.js repo list --json
EOT
