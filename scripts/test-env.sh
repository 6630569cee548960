#!/usr/bin/env bash
# Provisions what kedge's integration tests drive: a Docker engine, Docker Compose v2 (the `docker compose`
# plugin, what users run) and Compose v1 (`docker-compose`, the legacy second leg), git, and local test
# images (no image registry is needed). Idempotent: on a machine that already has these, it only checks.
# Usage: scripts/test-env.sh            (prints the environment it ensured)
set -euo pipefail

DOCKERD_LOG=${KEDGE_DOCKERD_LOG:-/var/log/kedge-test-dockerd.log}
ENGINE_WAIT_SECONDS=${KEDGE_ENGINE_WAIT_SECONDS:-90}
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

say() { echo "test-env: $*" >&2; }
die() { say "error: $*"; exit 1; }

engine_answers() { docker info >/dev/null 2>&1; }
COMPOSE_PLUGIN=/usr/libexec/docker/cli-plugins/docker-compose
compose_v2_version() { docker compose version --short 2>/dev/null | grep -E '^v?2\.' || true; }
compose_v1_version() { docker-compose version --short 2>/dev/null | grep -E '^1\.' || true; }
busybox_is_static() { [ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1; }

install_missing_packages() {
  local packages=()
  command -v git >/dev/null 2>&1 || packages+=(git)
  if ! engine_answers && ! command -v dockerd >/dev/null 2>&1; then packages+=(docker.io); fi
  busybox_is_static || packages+=(busybox-static)
  # A real SSH server, an image registry and htpasswd, for the tests of private repositories and registries.
  [ -x /usr/sbin/sshd ] || packages+=(openssh-server)
  command -v ssh-keygen >/dev/null 2>&1 || packages+=(openssh-client)
  command -v docker-registry >/dev/null 2>&1 || packages+=(docker-registry)
  command -v htpasswd >/dev/null 2>&1 || packages+=(apache2-utils)
  command -v systemd-analyze >/dev/null 2>&1 || packages+=(systemd) # verifies contrib/systemd/kedge.service
  # Test hosts for remote engines and Swarm: network namespaces and veth links (ip), a Docker daemon started
  # inside one (nsenter), and TLS certificates made in the test (openssl).
  command -v ip >/dev/null 2>&1 || packages+=(iproute2)
  command -v nsenter >/dev/null 2>&1 || packages+=(util-linux)
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
  # The dashboard's browser tests drive Debian's Chromium through playwright-core (no browser is downloaded);
  # a font of its own, so that the screenshots in docs/images read the same on every machine.
  [ -x /usr/bin/chromium ] || packages+=(chromium)
  [ -e /usr/share/fonts/truetype/dejavu/DejaVuSans.ttf ] || packages+=(fonts-dejavu-core)
  local want_v1=0
  [ -n "$(compose_v1_version)" ] || want_v1=1
  [ ${#packages[@]} -eq 0 ] && [ $want_v1 -eq 0 ] && return 0
  if [ ${#packages[@]} -eq 0 ] && { ! command -v apt-get >/dev/null 2>&1 || [ "$(id -u)" -ne 0 ]; }; then
    say "Compose v1 (docker-compose 1.x) is not installed: the v1 leg of the tests will be skipped"
    return 0
  fi
  command -v apt-get >/dev/null 2>&1 || die "missing ${packages[*]} and no apt-get to install them; install them by hand"
  [ "$(id -u)" -eq 0 ] || die "missing ${packages[*]}; run this script as root to install them"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  # Debian 12's and Ubuntu's own `docker-compose` package is Compose v1, the legacy second leg; from Debian 13
  # on that package is v2 and there is no v1 to have.
  if [ $want_v1 -eq 1 ]; then
    if compose_v1_packaged; then packages+=(docker-compose); else say "this release packages no Compose v1: the v1 leg of the tests will be skipped"; fi
  fi
  [ ${#packages[@]} -eq 0 ] && return 0
  say "installing ${packages[*]}"
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

# Whether this release's own `docker-compose` package is Compose v1 (Debian 12, Ubuntu up to 24.04); from
# Debian 13 on it is v2, and the v1 leg has nothing to run on.
compose_v1_packaged() {
  command -v apt-cache >/dev/null 2>&1 || return 1
  # Read whole before grep: under pipefail, grep -q closing the pipe early would fail the pipeline.
  local policy
  policy=$(apt-cache policy docker-compose 2>/dev/null)
  grep -qE 'Candidate: 1\.' <<<"$policy"
}

# The machine's own Debian archive, read from its apt sources: the URI that serves its release (not the
# security archive), so the private source below uses the same mirror the machine does.
debian_archive_uri() {
  local codename
  codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || return 0
  {
    sed -E 's/\[[^]]*\]//' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk -v c="$codename" '$1 == "deb" && $3 == c {print $2}'
    awk -v c="$codename" 'BEGIN {RS = ""} {
        uri = ""; hit = 0
        n = split($0, lines, "\n")
        for (i = 1; i <= n; i++) {
          if (lines[i] ~ /^URIs:/) { split(lines[i], f, " "); uri = f[2] }
          if (lines[i] ~ /^Suites:/) { m = split(lines[i], s, " "); for (j = 2; j <= m; j++) if (s[j] == c) hit = 1 }
          if (lines[i] ~ /^Types:/ && lines[i] !~ /deb( |$)/) hit = -100
        }
        if (hit > 0 && uri != "") print uri
      }' /etc/apt/sources.list.d/*.sources 2>/dev/null
  } | grep -v -- '-security' | head -n 1
}

# Compose v2: Ubuntu packages it as docker-compose-v2; Debian 12 does not, but Debian 13's docker-compose is
# the v2 plugin, a Go binary that needs only libc >= 2.34. It is downloaded with a private sources list,
# lists and cache, so the machine's own apt configuration and package state stay as they were, and only
# the plugin is copied into place.
install_compose_v2() {
  [ -n "$(compose_v2_version)" ] && return 0
  command -v apt-get >/dev/null 2>&1 || die "Docker Compose v2 is missing and there is no apt-get to install it; install the docker compose plugin by hand"
  [ "$(id -u)" -eq 0 ] || die "Docker Compose v2 is missing; run this script as root to install it"
  export DEBIAN_FRONTEND=noninteractive
  if grep -qE 'Candidate: [0-9]' <<<"$(apt-cache policy docker-compose-v2 2>/dev/null)"; then
    say "installing docker-compose-v2"
    apt-get install -y -qq --no-install-recommends docker-compose-v2 >/dev/null
  else
    local uri work deb
    uri=$(debian_archive_uri)
    [ -n "$uri" ] || die "Docker Compose v2 is missing and no Debian archive was found in the apt sources to fetch it from"
    work=$(mktemp -d)
    mkdir -p "$work/lists/partial" "$work/cache/archives/partial" "$work/unpacked"
    echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" >"$work/sources.list"
    local private=(-o "Dir::Etc::SourceList=$work/sources.list" -o Dir::Etc::SourceParts=- -o "Dir::State::Lists=$work/lists" -o "Dir::Cache=$work/cache" -o APT::Sandbox::User=root)
    say "downloading Debian 13's docker-compose (Compose v2) from $uri"
    apt-get "${private[@]}" update -qq >/dev/null || die "apt-get could not read Debian 13's package lists from $uri"
    (cd "$work" && apt-get "${private[@]}" download -qq docker-compose/trixie >/dev/null) || die "apt-get could not download docker-compose/trixie"
    deb=$(ls "$work"/docker-compose_*.deb)
    dpkg-deb -x "$deb" "$work/unpacked"
    install -D -m 0755 "$work/unpacked$COMPOSE_PLUGIN" "$COMPOSE_PLUGIN"
    rm -rf "$work"
  fi
  [ -n "$(compose_v2_version)" ] || die "Docker Compose v2 was installed but \"docker compose version\" does not answer"
}

main() {
  install_missing_packages
  install_compose_v2
  start_engine
  bash "$SCRIPT_DIR/build-local-images.sh" kedge-test/busybox 1 2 3
  say "ready: engine $(docker version --format '{{.Server.Version}}'), compose v2 $(compose_v2_version), compose v1 $(compose_v1_version || true)"
}

main "$@"
