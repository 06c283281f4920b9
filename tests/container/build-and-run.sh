#!/usr/bin/env bash
# Builds the repository's Dockerfile and runs the image with podman where the registry's base
# images cannot be pulled: the two bases are made from local parts (a Debian bookworm made by
# debootstrap from Debian's packages with .NET's runtime dependencies and the "app" user; for the
# build stage the same plus this machine's .NET SDK), passed as SDK_IMAGE and RUNTIME_IMAGE. Then
# it runs the image on the fixtures, waits for its HEALTHCHECK command to pass, embeds once,
# reranks once, and stops it with SIGTERM. Not part of .ci/run (10+ minutes, root, podman).
#   apt-get install podman debootstrap && tests/container/build-and-run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

rootfs=$work/rootfs
debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates,tzdata,zlib1g,libstdc++6 bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
chroot "$rootfs" sh -c 'groupadd -g 1654 app && useradd -u 1654 -g app -m -s /bin/sh app'
# The machine's certificate bundle (it may hold the CA of a package mirror the build restores from).
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
tar -C "$rootfs" -c . | podman import - localhost/sift-runtime-deps:local >/dev/null
mkdir -p "$rootfs/usr/share/dotnet" && cp -a "$(dirname "$(readlink -f "$(command -v dotnet)")")/." "$rootfs/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
tar -C "$rootfs" -c . | podman import - localhost/sift-sdk:local >/dev/null

podman build --format docker --isolation=chroot --network=host --build-arg SDK_IMAGE=localhost/sift-sdk:local --build-arg RUNTIME_IMAGE=localhost/sift-runtime-deps:local -t localhost/sift:local .
podman image inspect localhost/sift:local --format 'user={{.Config.User}} entrypoint={{.Config.Entrypoint}} cmd={{.Config.Cmd}} healthcheck={{.Config.Healthcheck}}'

# Run the image. An OCI runtime cannot start containers in this sandbox (crun: cgroups in hybrid
# mode; setrlimit refused), so the image's own filesystem runs under chroot instead: the same
# files, user (app, uid 1654), environment, entrypoint and command, without namespaces or cgroups.
mnt=$work/image
mkdir -p "$mnt" && podman create --name sift-check localhost/sift:local >/dev/null && podman export sift-check | tar -C "$mnt" -xf - && podman rm sift-check >/dev/null
trap 'umount "$mnt/mnt" "$mnt/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
mount --bind tests/fixtures "$mnt/mnt"
mount -t proc proc "$mnt/proc"
env_args=$(podman image inspect localhost/sift:local --format '{{range .Config.Env}}{{.}} {{end}}')
command=$(podman image inspect localhost/sift:local --format '{{range .Config.Entrypoint}}{{.}} {{end}}{{range .Config.Cmd}}{{.}} {{end}}')
# shellcheck disable=SC2086
env -i $env_args SIFT_PORT=18600 SIFT_HOST=127.0.0.1 SIFT_MODEL=/mnt/qwen3-tiny-embedding SIFT_RERANKER=/mnt/qwen3-tiny-reranker \
  chroot --userspec=1654:1654 "$mnt" $command > "$work/serve.log" 2>&1 &
pid=$!
healthcheck=$(podman image inspect localhost/sift:local --format '{{range .Config.Healthcheck.Test}}{{.}} {{end}}' | sed 's/^CMD //')
for _ in $(seq 300); do
  # shellcheck disable=SC2086
  env -i $env_args SIFT_PORT=18600 chroot --userspec=1654:1654 "$mnt" $healthcheck >/dev/null 2>&1 && break
  sleep 1
done
# shellcheck disable=SC2086
env -i $env_args SIFT_PORT=18600 chroot --userspec=1654:1654 "$mnt" $healthcheck && echo "healthy: $healthcheck"
echo "process user: $(ps -o user= -p "$(pgrep -P $pid || echo $pid)")"
curl -sf http://127.0.0.1:18600/v1/embeddings -H 'Content-Type: application/json' -d '{"input": "Beijing"}' | head -c 120; echo
curl -sf http://127.0.0.1:18600/v1/rerank -H 'Content-Type: application/json' -d '{"query": "capital", "documents": ["Beijing", "gravity"]}'; echo
kill -TERM "$(pgrep -P $pid || echo $pid)"
wait $pid; echo "exit code after SIGTERM: $?"
tail -3 "$work/serve.log"
