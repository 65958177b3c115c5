#!/usr/bin/env bash
# pnpm images:build [app…] — builds the Stratus images (all six by default) from the repository root,
# tagged $STRATUS_IMAGE_REGISTRY/<app>:$STRATUS_IMAGE_TAG (localhost/stratus/<app>:dev).
# The base is STRATUS_BASE_IMAGE when set (e.g. the Dockerfiles' default, the official Node 24 slim
# image); otherwise a local equivalent built once by build-base.sh, for machines without Docker Hub.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/images/lib.sh

ensure_container_tools
base=${STRATUS_BASE_IMAGE:-}
if [ -z "$base" ]; then
  bash deploy/images/build-base.sh
  base=$LOCAL_BASE_IMAGE
fi
apps=("$@")
[ ${#apps[@]} -gt 0 ] || apps=("${STRATUS_APPS[@]}")
for app in "${apps[@]}"; do
  [ -f "apps/$app/Dockerfile" ] || { say "no apps/$app/Dockerfile"; exit 1; }
  start=$SECONDS
  image_build --build-arg "BASE_IMAGE=$base" -f "apps/$app/Dockerfile" -t "$IMAGE_REGISTRY/$app:$IMAGE_TAG" . >"${TMPDIR:-/tmp}/stratus-image-$app.log" 2>&1 \
    || { tail -n 40 "${TMPDIR:-/tmp}/stratus-image-$app.log" >&2; say "building $app failed"; exit 1; }
  say "built $IMAGE_REGISTRY/$app:$IMAGE_TAG in $((SECONDS - start)) s"
done
