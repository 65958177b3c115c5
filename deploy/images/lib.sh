# Shared by build.sh and test.sh: the tools, the names, and how podman runs on hosts that are
# themselves containers.

STRATUS_APPS=(api gateway worker egress-proxy sandbox-runner all-in-one)
IMAGE_REGISTRY=${STRATUS_IMAGE_REGISTRY:-localhost/stratus}
IMAGE_TAG=${STRATUS_IMAGE_TAG:-dev}
LOCAL_BASE_IMAGE=localhost/stratus-node-base:24

say() { printf 'images: %s\n' "$*" >&2; }

# podman and buildah build and run; mmdebstrap makes the local base; uidmap and runc are what
# podman needs to run here. Debian packages, installed when missing (as root, e.g. in CI).
ensure_container_tools() {
  local missing=()
  command -v podman >/dev/null || missing+=(podman)
  command -v buildah >/dev/null || missing+=(buildah)
  command -v mmdebstrap >/dev/null || missing+=(mmdebstrap)
  command -v newuidmap >/dev/null || missing+=(uidmap)
  command -v runc >/dev/null || missing+=(runc)
  [ ${#missing[@]} -eq 0 ] && return 0
  [ "$(id -u)" = 0 ] || { say "missing ${missing[*]}: apt-get install ${missing[*]}"; return 1; }
  say "installing ${missing[*]}"
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}") >/dev/null
}

# RUN steps execute in a chroot (buildah's chroot isolation), not an OCI runtime: nothing in a build
# needs one, and it works where the host cannot set up cgroups or raise resource limits.
image_build() {
  podman build --isolation=chroot --format docker "$@"
}

# Containers run with runc and cgroupfs and with resource limits no higher than this process's:
# podman's defaults (1048576 open files) need CAP_SYS_RESOURCE, and crun refuses cgroup v1/v2 hybrid
# hosts. On an ordinary host these settings change nothing that matters to the apps.
image_run() {
  local nofile nproc
  nofile=$(ulimit -Hn); [ "$nofile" = unlimited ] || [ "$nofile" -gt 16384 ] && nofile=16384
  nproc=$(ulimit -Hu); [ "$nproc" = unlimited ] || [ "$nproc" -gt 4096 ] && nproc=4096
  podman --runtime runc --cgroup-manager=cgroupfs run \
    --ulimit "nofile=$nofile:$nofile" --ulimit "nproc=$nproc:$nproc" "$@"
}
