# Two images from one Dockerfile, each a static binary on distroless,
# running as non-root (the Deployments in config/manager and config/web
# also enforce it, with a read-only root file system):
#   the manager (the default target):  make docker-build IMG=<registry>/clientarea-operator:<tag>
#   the client area (--target web):    make docker-build-web WEB_IMG=<registry>/clientarea-web:<tag>
# The development OpenID provider (internal/devoidc) is not in the build
# context (.dockerignore), so no image can contain it.
FROM golang:1.26 AS builder
ARG TARGETOS
ARG TARGETARCH
WORKDIR /workspace
COPY go.mod go.sum ./
RUN go mod download
COPY api/ api/
COPY cmd/ cmd/
COPY internal/ internal/
ENV CGO_ENABLED=0 GOOS=${TARGETOS:-linux} GOARCH=${TARGETARCH}

FROM builder AS build-web
RUN go build -trimpath -ldflags "-s -w" -o web ./cmd/web

FROM builder AS build-manager
RUN go build -trimpath -ldflags "-s -w" -o manager ./cmd

FROM gcr.io/distroless/static:nonroot AS web
WORKDIR /
COPY --from=build-web /workspace/web .
USER 65532:65532
ENTRYPOINT ["/web"]

# The manager, last: the default target of `docker build .`.
FROM gcr.io/distroless/static:nonroot AS manager
WORKDIR /
COPY --from=build-manager /workspace/manager .
USER 65532:65532
ENTRYPOINT ["/manager"]
