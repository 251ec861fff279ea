# Sourced by .ci/run: make a Docker daemon answer and build the gitdgm sandbox image.
# Needs root (apt-get, dockerd, debootstrap). Safe to source again: each step is skipped when already done.

gitdgm_docker_setup() {
    if ! command -v docker >/dev/null 2>&1 || ! command -v debootstrap >/dev/null 2>&1; then
        echo "docker-setup: installing docker.io and debootstrap" >&2
        DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
            DEBIAN_FRONTEND=noninteractive apt-get install -y -qq docker.io debootstrap >/dev/null || return 1
    fi
    if ! docker info >/dev/null 2>&1; then
        echo "docker-setup: starting dockerd" >&2
        nohup /usr/sbin/dockerd >/tmp/gitdgm-dockerd.log 2>&1 &
        local waited=0
        until docker info >/dev/null 2>&1; do
            if [ "$waited" -ge 60 ]; then
                echo "docker-setup: dockerd did not answer within 60 s; see /tmp/gitdgm-dockerd.log" >&2
                return 1
            fi
            sleep 1
            waited=$((waited + 1))
        done
    fi
    echo "docker-setup: building the sandbox image" >&2
    gitdgm sandbox build || return 1
    export GITDGM_REQUIRE_DOCKER=1
}

gitdgm_docker_setup
