#!/usr/bin/env bash
# Builds a local Debian 13 (trixie) base image, a stand-in for debian:trixie-slim where no image registry is
# reachable: debootstrap's minimal variant from a Debian mirror, slimmed as the official image is, and
# imported with `docker import`. Only the base system: what the Dockerfile installs, it must install itself,
# so that an image built on this base holds what one built on debian:trixie-slim would.
# Idempotent: an image of that tag made by this version of the script is kept. Needs root (debootstrap).
# Usage: scripts/build-base-image.sh [TAG]      default kedge-test/debian:trixie-slim
#        KEDGE_DEBIAN_MIRROR=http://... picks another mirror (default http://deb.debian.org/debian)
set -euo pipefail

tag=${1:-kedge-test/debian:trixie-slim}
mirror=${KEDGE_DEBIAN_MIRROR:-http://deb.debian.org/debian}
SUITE=trixie
# Bumped whenever what this script puts in the image changes, so that older builds are replaced.
IMAGE_FORMAT=1

say() { echo "build-base-image: $*" >&2; }

[ "$(docker image inspect --format '{{index .Config.Labels "kedge-base-image.format"}}' "$tag" 2>/dev/null)" = "$SUITE-$IMAGE_FORMAT" ] && exit 0
[ "$(id -u)" -eq 0 ] || { say "debootstrap needs root: run this script as root"; exit 1; }
if ! command -v debootstrap >/dev/null 2>&1; then
  command -v apt-get >/dev/null 2>&1 || { say "debootstrap is missing and there is no apt-get to install it"; exit 1; }
  say "installing debootstrap"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -qq --no-install-recommends debootstrap >/dev/null 2>&1 ||
    { apt-get update -qq >/dev/null && apt-get install -y -qq --no-install-recommends debootstrap >/dev/null; }
fi

root=$(mktemp -d /var/tmp/kedge-base-image.XXXXXX)
log=$(mktemp)
trap 'rm -rf "$root" "$log"' EXIT

say "debootstrap --variant=minbase $SUITE from $mirror"
started=$SECONDS
debootstrap --variant=minbase "$SUITE" "$root" "$mirror" >"$log" 2>&1 || { tail -n 30 "$log" >&2; say "debootstrap failed"; exit 1; }

# As debian:*-slim is: no documentation, manual pages or translations, now or in what apt installs later...
cat >"$root/etc/dpkg/dpkg.cfg.d/docker-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/groff/*
path-exclude /usr/share/info/*
path-exclude /usr/share/lintian/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
EOF
find "$root/usr/share/doc" -mindepth 1 ! -type d ! -name copyright -delete
find "$root/usr/share/locale" -mindepth 1 -maxdepth 1 ! -name locale.alias -exec rm -rf {} +
rm -rf "$root"/usr/share/man/* "$root"/usr/share/groff/* "$root"/usr/share/info/* "$root"/usr/share/lintian/*
# ...and no package files, caches or translated lists kept by apt.
cat >"$root/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
echo 'Acquire::Languages "none";' >"$root/etc/apt/apt.conf.d/docker-no-languages"
# Docker gives each container these; the build host's own must not stay in the image.
rm -f "$root/etc/hostname" "$root/etc/resolv.conf"
rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/*

tar --numeric-owner -C "$root" -c . | docker import \
  -c 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  -c 'CMD ["bash"]' \
  -c "LABEL kedge-base-image.format=$SUITE-$IMAGE_FORMAT" \
  - "$tag" >/dev/null
say "built $tag in $((SECONDS - started)) s"
