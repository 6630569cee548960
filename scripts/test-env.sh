#!/usr/bin/env bash
# Provisions what kedge's integration tests drive: a Docker engine, Docker Compose, git, and local test
# images (no image registry is needed). Idempotent: on a machine that already has these, it only checks.
# Usage: scripts/test-env.sh            (prints the environment it ensured)
set -euo pipefail

DOCKERD_LOG=${KEDGE_DOCKERD_LOG:-/var/log/kedge-test-dockerd.log}
ENGINE_WAIT_SECONDS=${KEDGE_ENGINE_WAIT_SECONDS:-90}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { echo "test-env: $*" >&2; }
die() { say "error: $*"; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }
compose_available() { docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; }
busybox_is_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

install_missing_packages() {
  local packages=()
  command -v git >/dev/null 2>&1 || packages+=(git)
  if ! engine_answers && ! command -v dockerd >/dev/null 2>&1; then packages+=(docker.io); fi
  compose_available || packages+=(docker-compose)
  busybox_is_static || packages+=(busybox-static)
  # A real SSH server, an image registry and htpasswd, for the tests of private repositories and registries.
  [ -x /usr/sbin/sshd ] || packages+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || packages+=(openssh-client)
  command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)
  [ ${#packages[@]} -eq 0 ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "missing ${packages[*]} and no apt-get to install them; install them by hand"
  [ "$(id -u)" -eq 0 ] || die "missing ${packages[*]}; run this script as root to install them"
  say "installing ${packages[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  without_service_starts apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
}

# Packages such as openssh-server start their service on install; the tests start their own, on free ports.
without_service_starts() {
  local policy=/usr/sbin/policy-rc.d status=0
  if [ -e "$policy" ]; then "$@" || status=$?; return $status; fi
  printf '#!/bin/sh\nexit 101\n' >"$policy" && chmod +x "$policy"
  "$@" || status=$?
  rm -f "$policy"
  return $status
}

# A live process of that name: not a zombie left by one that was killed (nothing may reap it), and not a
# reused pid.
process_alive() {
  local pid=$1 name=$2 state
  state=$(ps -o stat=,comm= -p "$pid" 2>/dev/null || true)
  [[ -n "$state" && "$state" != Z* && "$state" == *"$name"* ]]
}

# A dockerd killed abruptly leaves its pid file behind, and the next start refuses to run; the containerd
# it managed may outlive it, and a new dockerd would wait on that orphan instead of starting its own.
clear_stale_daemon_state() {
  local docker_pid_file=/var/run/docker.pid containerd_pid_file=/var/run/docker/containerd/containerd.pid pid
  if [ -f "$docker_pid_file" ] && ! process_alive "$(cat "$docker_pid_file" 2>/dev/null || echo 0)" dockerd; then
    say "removing stale $docker_pid_file"
    rm -f "$docker_pid_file"
  fi
  [ -f "$containerd_pid_file" ] || return 0
  pid=$(cat "$containerd_pid_file" 2>/dev/null || echo 0)
  if process_alive "$pid" containerd; then
    say "stopping containerd $pid left by a dockerd that is gone"
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 40); do process_alive "$pid" containerd || break; sleep 0.25; done
    process_alive "$pid" containerd && kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$containerd_pid_file"
}

start_engine() {
  engine_answers && return 0
  [ "$(id -u)" -eq 0 ] || die "no Docker engine answers, and only root can start one"
  command -v dockerd >/dev/null 2>&1 || die "no Docker engine answers and dockerd is not installed"
  clear_stale_daemon_state
  say "starting dockerd (log: $DOCKERD_LOG)"
  mkdir -p "$(dirname "$DOCKERD_LOG")"
  nohup dockerd >>"$DOCKERD_LOG" 2>&1 </dev/null &
  local pid=$! deadline=$((SECONDS + ENGINE_WAIT_SECONDS))
  until engine_answers; do
    if ! process_alive "$pid" dockerd || [ $SECONDS -ge $deadline ]; then
      tail -n 20 "$DOCKERD_LOG" >&2 || true
      die "dockerd did not start (see above and $DOCKERD_LOG)"
    fi
    sleep 0.5
  done
}

main() {
  install_missing_packages
  start_engine
  compose_available || die "Docker Compose is not available"
  bash "$SCRIPT_DIR/build-local-images.sh" kedge-test/busybox 1 2 3
  say "ready: engine $(docker version --format '{{.Server.Version}}'), compose $(compose_version)"
}

compose_version() {
  docker compose version --short 2>/dev/null || docker-compose version --short 2>/dev/null || echo unknown
}

main "$@"
