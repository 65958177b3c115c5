#!/usr/bin/env bash
# pnpm images:test — builds every image (as images:build does), then checks them for real:
#   - every image runs as a non-root user;
#   - the api image's migrate command (what the chart's migrations Job runs) migrates a new database;
#   - the api and all-in-one images, on the host network against this machine's PostgreSQL and
#     Redis, with a read-only root filesystem as in the chart, answer /readyz and their HEALTHCHECK,
#     and exit 0 on `podman stop` (SIGTERM to node as PID 1).
# Leaves nothing behind: its containers, databases and Redis keys are removed at the end.
set -euo pipefail
cd "$(dirname "$0")/../.."
. deploy/images/lib.sh

PG_URL=${TEST_POSTGRES_URL:-postgresql://postgres@127.0.0.1:5432/postgres}
REDIS_URL=${TEST_REDIS_URL:-redis://127.0.0.1:6379}
run=$(od -An -N4 -tx1 /dev/urandom | tr -d ' \n')
prefix="stratus-images:$run:"
databases=()
containers=()
image() { echo "$IMAGE_REGISTRY/$1:$IMAGE_TAG"; }
database_url() { node -e 'const u = new URL(process.argv[1]); u.pathname = "/" + process.argv[2]; console.log(u.toString())' "$PG_URL" "$1"; }
free_port() { node -e 'const s = require("node:net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'; }

cleanup() {
  for c in "${containers[@]}"; do podman rm -f "$c" >/dev/null 2>&1 || true; done
  for d in "${databases[@]}"; do
    node -e 'const { Client } = require("pg"); const c = new Client({ connectionString: process.argv[1] }); c.connect().then(() => c.query(`DROP DATABASE IF EXISTS "${process.argv[2]}" WITH (FORCE)`)).finally(() => c.end())' "$PG_URL" "$d" >/dev/null 2>&1 || true
  done
  node -e 'const Redis = require("ioredis"); const r = new Redis(process.argv[1]); (async () => { for await (const keys of r.scanStream({ match: process.argv[2] + "*", count: 1000 })) if (keys.length) await r.del(...keys); })().finally(() => r.disconnect())' "$REDIS_URL" "$prefix" >/dev/null 2>&1 || true
}
trap cleanup EXIT
fail() { say "FAIL: $*"; exit 1; }

start=$SECONDS
bash deploy/images/build.sh
built=$((SECONDS - start))

for app in "${STRATUS_APPS[@]}"; do
  uid=$(image_run --rm --no-healthcheck --entrypoint id "$(image "$app")" -u)
  [ "$uid" != 0 ] || fail "$app runs as root"
  say "ok: $app runs as uid $uid"
done

# The migrations Job's command, in the api image, against a database that does not exist yet.
db="stratus_images_${run}_api"; databases+=("$db")
image_run --rm --no-healthcheck --network host --read-only -e "DATABASE_URL=$(database_url "$db")" --entrypoint node "$(image api)" packages/db/dist/migrate-cli.js >/dev/null \
  || fail "the api image's migrate command failed"
say "ok: node packages/db/dist/migrate-cli.js (the migrations Job) migrated $db"

# Runs an image as the chart does (read-only root, /tmp writable), waits for /readyz, runs its
# HEALTHCHECK, stops it and checks it exited 0.
check_server() {
  local app=$1 db=$2 migrate=$3 port name code
  port=$(free_port)
  name="stratus-images-$run-$app"; containers+=("$name")
  # The HEALTHCHECK runs on demand below, not on podman's systemd timer (there may be no systemd).
  image_run -d --name "$name" --health-interval=disable --network host --read-only --tmpfs /tmp \
    -e NODE_ENV=production -e HOST=127.0.0.1 -e "PORT=$port" -e "MIGRATE_ON_START=$migrate" \
    -e "DATABASE_URL=$(database_url "$db")" -e "REDIS_URL=$REDIS_URL" -e "REDIS_KEY_PREFIX=$prefix" \
    -e STRATUS_ENCRYPTION_KEY=images-test-encryption-key-0123456789abcdef \
    "$(image "$app")" >/dev/null
  for _ in $(seq 600); do
    [ "$(podman inspect --format '{{.State.Running}}' "$name")" = true ] || { podman logs "$name" >&2; fail "$app exited before it was ready"; }
    curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/readyz" | grep -q '"status":"ok"' || { podman logs "$name" >&2; fail "$app: /readyz is not ok"; }
  say "ok: $app answers /readyz (PostgreSQL and Redis reachable)"
  podman healthcheck run "$name" >/dev/null || fail "$app: its HEALTHCHECK failed"
  say "ok: $app passes its HEALTHCHECK"
  podman stop -t 30 "$name" >/dev/null
  code=$(podman inspect --format '{{.State.ExitCode}}' "$name")
  [ "$code" = 0 ] || { podman logs "$name" >&2; fail "$app exited $code on SIGTERM"; }
  say "ok: $app exits 0 on SIGTERM as PID 1"
}

check_server api "stratus_images_${run}_api" false
# The all-in-one creates and migrates its database at start-up, as on a laptop.
db="stratus_images_${run}_aio"; databases+=("$db")
check_server all-in-one "$db" true

say "all image checks passed (build ${built} s, total $((SECONDS - start)) s)"
