# syntax=docker/dockerfile:1
# pipelock-companion as a KRM function image: kpt `image:` mutators and
# kustomize `config.kubernetes.io/function: {container: {image: ...}}`.
#
#   docker build -t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .
#   podman build -t ghcr.io/luckypipewrench/pipelock-companion:v0.1.0 .
#
# Reproducible: the base is pinned by digest, and every Python package comes
# from the hash locks in requirements/ (pip --require-hashes), so a build
# gets the same bytes or fails. Stage 1 downloads the locked wheels and
# builds ours; stage 2 installs them offline (--no-index), so the final image
# holds no build tools, no wheels and no pip cache, and needs no network at
# run time (kustomize runs it with --network none).

# python:3.12.8-slim-bookworm, the multi-arch index by digest. Any other
# Python >= 3.10 base works: --build-arg PYTHON_IMAGE=...
ARG PYTHON_IMAGE=python:3.12.8-slim-bookworm@sha256:2199a62885a12290dc9c5be3ca0681d367576ab7bf037da120e564723292a2f0

FROM ${PYTHON_IMAGE} AS build
WORKDIR /src
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_ROOT_USER_ACTION=ignore
# The locked dependencies first: this layer is reused until a lock changes.
# Wheels only (no build from source), so stage 2 can check the same hashes.
COPY requirements/runtime.txt requirements/build.txt requirements/
RUN python3 -m pip download --no-cache-dir --require-hashes --only-binary=:all: \
        --dest /wheels -r requirements/runtime.txt \
 && python3 -m pip install --no-cache-dir --require-hashes -r requirements/build.txt
# fn/schema is a symlink to ../schemas: both are copied, side by side.
COPY pyproject.toml README.md ./
COPY schemas/ schemas/
COPY fn/ fn/
RUN python3 -m pip wheel --no-cache-dir --no-deps --no-build-isolation --wheel-dir /wheels . \
 && cp requirements/runtime.txt /wheels/ \
 && sha256sum /wheels/* >/wheels.sha256

FROM ${PYTHON_IMAGE}
ARG VERSION=0.1.0
LABEL org.opencontainers.image.title="pipelock-companion" \
      org.opencontainers.image.description="KRM function that puts AI-agent workloads behind an enforced Pipelock companion-proxy egress firewall" \
      org.opencontainers.image.version="v${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.source="https://github.com/luckypipewrench/pipelock-companion"
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1
# What stage 1 built, by hash: a layer whose content changes with the wheels,
# so a builder that caches the RUN below by its text alone (podman 4's does)
# still reruns it for new code. It stays in the image as its record.
COPY --from=build /wheels.sha256 /usr/local/share/pipelock-companion/wheels.sha256
# The locked dependencies, their hashes checked again, then our wheel (not
# in the lock: it is built above) without dependencies; `pip check` fails
# the build if the lock no longer satisfies pyproject.toml. No index, no
# network, no compiler.
RUN --mount=type=bind,from=build,source=/wheels,target=/wheels \
    sha256sum --check --quiet /usr/local/share/pipelock-companion/wheels.sha256 \
 && python3 -m pip install --no-cache-dir --no-index --find-links=/wheels \
        --require-hashes -r /wheels/runtime.txt \
 && python3 -m pip install --no-cache-dir --no-index --find-links=/wheels --no-deps \
        "pipelock-companion==${VERSION}" \
 && python3 -m pip check
# nobody, as kpt and kustomize run it (--user nobody); a plain `docker run` too.
USER 65534:65534
WORKDIR /tmp
ENTRYPOINT ["pipelock-companion"]
