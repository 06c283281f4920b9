#!/usr/bin/env bash
# Builds the repository's Dockerfile and runs the image with podman where the registry's base
# images cannot be pulled: the two bases are made from local parts (a Debian bookworm made by
# debootstrap from Debian's packages with .NET's runtime dependencies and the "app" user; for the
# build stage the same plus this machine's .NET SDK), passed as SDK_IMAGE and RUNTIME_IMAGE. Then
# it starts the image on the fixtures, waits for the HEALTHCHECK to report healthy, embeds once,
# reranks once, and stops it with SIGTERM. Not part of .ci/run (about 10 minutes, root, podman).
#   apt-get install podman debootstrap && tests/container/build-and-run.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
trap 'podman rm -f sift-check >/dev/null 2>&1 || true; rm -rf "$work"' EXIT

rootfs=$work/rootfs
debootstrap --variant=minbase --include=libicu72,libssl3,ca-certificates,tzdata,zlib1g,libstdc++6 bookworm "$rootfs" http://deb.debian.org/debian >/dev/null
chroot "$rootfs" sh -c 'groupadd -g 1654 app && useradd -u 1654 -g app -m -s /bin/sh app'
# The machine's certificate bundle (it may hold the CA of a package mirror the build restores from).
cp /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
tar -C "$rootfs" -c . | podman import - localhost/sift-runtime-deps:local >/dev/null
mkdir -p "$rootfs/usr/share/dotnet" && cp -a "$(dirname "$(readlink -f "$(command -v dotnet)")")/." "$rootfs/usr/share/dotnet/"
ln -sf /usr/share/dotnet/dotnet "$rootfs/usr/bin/dotnet"
tar -C "$rootfs" -c . | podman import - localhost/sift-sdk:local >/dev/null

podman build --isolation=chroot --network=host --build-arg SDK_IMAGE=localhost/sift-sdk:local --build-arg RUNTIME_IMAGE=localhost/sift-runtime-deps:local -t localhost/sift:local .
podman image inspect localhost/sift:local --format 'user={{.Config.User}} entrypoint={{.Config.Entrypoint}} cmd={{.Config.Cmd}} healthcheck={{.Config.Healthcheck}}'

podman run -d --name sift-check --network=host -e SIFT_PORT=18600 -e SIFT_HOST=127.0.0.1 \
  -v "$PWD/tests/fixtures:/models:ro" -e SIFT_MODEL=/models/qwen3-tiny-embedding -e SIFT_RERANKER=/models/qwen3-tiny-reranker \
  --health-interval=2s localhost/sift:local >/dev/null
for _ in $(seq 120); do
  [ "$(podman healthcheck run sift-check >/dev/null 2>&1 && echo ok)" = ok ] && break
  sleep 1
done
podman healthcheck run sift-check && echo "healthy (sift probe)"
podman exec sift-check id
curl -sf http://127.0.0.1:18600/v1/embeddings -H 'Content-Type: application/json' -d '{"input": "Beijing"}' | head -c 120; echo
curl -sf http://127.0.0.1:18600/v1/rerank -H 'Content-Type: application/json' -d '{"query": "capital", "documents": ["Beijing", "gravity"]}'; echo
podman stop -t 30 sift-check >/dev/null
echo "exit code after SIGTERM: $(podman inspect sift-check --format '{{.State.ExitCode}}')"
podman logs sift-check 2>&1 | tail -3
