#!/usr/bin/env bash
# Builds small images offline from the host's static busybox: one image per tag, each with different
# content (/etc/image-version holds the tag), so tests and examples have distinct images to switch between.
# Usage: scripts/build-local-images.sh REPOSITORY TAG [TAG ...]      e.g. kedge-test/busybox 1 2 3
set -euo pipefail

[ $# -ge 2 ] || { echo "usage: $0 REPOSITORY TAG [TAG ...]" >&2; exit 2; }
repository=$1
shift
# Bumped whenever the image's content or defaults change, so that older builds are replaced.
IMAGE_FORMAT=2

[ -x /bin/busybox ] || { echo "build-local-images: /bin/busybox is missing (install busybox-static)" >&2; exit 1; }

for tag in "$@"; do
  image="$repository:$tag"
  [ "$(docker image inspect --format '{{index .Config.Labels "kedge-local-image.format"}}' "$image" 2>/dev/null)" = "$IMAGE_FORMAT" ] && continue
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/etc" "$root/tmp" "$root/var/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list); do
    [ "$applet" = busybox ] || ln -sf busybox "$root/bin/$applet"
  done
  echo "$tag" >"$root/etc/image-version"
  echo "root:x:0:0:root:/:/bin/sh" >"$root/etc/passwd"
  echo "root:x:0:" >"$root/etc/group"
  tar -C "$root" -c . | docker import \
    -c 'ENV PATH=/bin' \
    -c 'CMD ["sh", "-c", "trap \"exit 0\" TERM INT; while true; do sleep 1; done"]' \
    -c "LABEL kedge-local-image.format=$IMAGE_FORMAT" \
    - "$image" >/dev/null
  rm -rf "$root"
  echo "build-local-images: built $image" >&2
done
