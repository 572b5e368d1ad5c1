# syntax=docker/dockerfile:1
# pipelock-companion as a KRM function image: kpt `image:` mutators and
# kustomize `config.kubernetes.io/function: {container: {image: ...}}`.
#
#   docker build -t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .
#
# Stage 1 builds the wheels (ours and its dependencies'); stage 2 installs
# them with the README's `pip install`, offline, so the final image holds no
# build tools, no wheels and no pip cache, and needs no network at run time
# (kustomize runs it with --network none).

ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# fn/schema is a symlink to ../schemas: both are copied, side by side.
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY fn/ fn/
RUN python3 -m pip wheel --no-cache-dir --wheel-dir /wheels .

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="pipelock-companion" \
      org.opencontainers.image.description="KRM function that puts AI-agent workloads behind an enforced Pipelock companion-proxy egress firewall" \
      org.opencontainers.image.version="v${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/luckypipewrench/pipelock-companion"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# The README's install (`python3 -m pip install .`), fed the wheels of
# stage 1 and nothing else (--no-index): no compiler, no source, no network.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    python3 -m pip install --no-cache-dir --no-index --find-links=/wheels "pipelock-companion==${VERSION}"
# kustomize passes --user nobody; kpt runs the image's own user.
USER 65534:65534
WORKDIR /tmp
ENTRYPOINT ["pipelock-companion"]
