# syntax=docker/dockerfile:1
# Sift in a container: the self-contained single-file sift (the linux-x64 or linux-arm64 publish
# profile) on the .NET runtime-deps base, run as the non-root "app" user.
#
#   docker build -t sift .
#   docker run -p 8080:8080 -v hf-cache:/home/app/.cache/huggingface -e SIFT_MAX_MEMORY=0.8 sift
#   docker run -p 8080:8080 -v ~/models:/models:ro -e SIFT_MODEL=/models/Qwen3-Embedding-0.6B sift
#
# Every `sift serve` flag is an environment variable: SIFT_MODEL, SIFT_RERANKER, SIFT_API_KEY,
# SIFT_MAX_MEMORY, SIFT_MAX_BATCH_TOKENS, SIFT_QUANTIZE... (README, "The server"); HF_TOKEN,
# HF_ENDPOINT and HF_HUB_OFFLINE as for huggingface_hub; OTEL_EXPORTER_OTLP_ENDPOINT for traces.
# The base images are arguments so that a build can use local copies of them.
ARG SDK_IMAGE=mcr.microsoft.com/dotnet/sdk:10.0
ARG RUNTIME_IMAGE=mcr.microsoft.com/dotnet/runtime-deps:10.0

FROM --platform=$BUILDPLATFORM ${SDK_IMAGE} AS build
ARG TARGETARCH
WORKDIR /src
# Restore first, from the project files alone, so that a source change does not refetch packages.
COPY nuget.config Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/Sift/Sift.csproj src/Sift/
COPY src/Sift.Abstractions/Sift.Abstractions.csproj src/Sift.Abstractions/
COPY src/Sift.Server/Sift.Server.csproj src/Sift.Server/
COPY src/Sift.Cli/Sift.Cli.csproj src/Sift.Cli/
COPY src/Sift.Cli/Properties/PublishProfiles/ src/Sift.Cli/Properties/PublishProfiles/
RUN rid=linux-$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) \
    && dotnet restore src/Sift.Cli -r "$rid"
COPY src/ src/
RUN rid=linux-$([ "$TARGETARCH" = "arm64" ] && echo arm64 || echo x64) \
    && dotnet publish src/Sift.Cli -p:PublishProfile="$rid" -p:PublishDir=/out/ \
    && /out/sift --help > /dev/null

FROM ${RUNTIME_IMAGE}
# The Hugging Face cache of the non-root user: mount a volume here (or the host's ~/.cache/huggingface)
# so that downloaded models survive the container and are shared with Python tools.
ENV HF_HOME=/home/app/.cache/huggingface \
    SIFT_HOST=0.0.0.0 \
    SIFT_PORT=8080
COPY --from=build /out/sift /usr/local/bin/sift
RUN mkdir -p /home/app/.cache/huggingface && chown -R app:app /home/app/.cache
USER app
WORKDIR /home/app
VOLUME /home/app/.cache/huggingface
EXPOSE 8080
# Healthy once the models are loaded (/ready answers 200); a first start may download them, hence the long start period.
HEALTHCHECK --interval=15s --timeout=5s --start-period=10m --retries=3 CMD ["sift", "probe"]
# SIGTERM drains requests in flight (--drain-timeout, 30 s), then exits 0.
STOPSIGNAL SIGTERM
ENTRYPOINT ["sift"]
CMD ["serve"]
