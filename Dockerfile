# syntax=docker/dockerfile:1
# Build: a static binary, no cgo, reproducible paths, version stamped.
# The build stage runs on the builder's own platform and cross-compiles for
# the target (linux/amd64, linux/arm64), so multi-arch builds need no
# emulation.
FROM --platform=$BUILDPLATFORM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
ARG TARGETOS
ARG TARGETARCH
# -tags nodemo leaves out `fixproof demo` and the simulators it plays
# (internal/sim): the image runs in every user's workflow, the demo runs
# with `go run ./cmd/fixproof demo`.
RUN CGO_ENABLED=0 GOOS=${TARGETOS} GOARCH=${TARGETARCH} go build -trimpath -tags nodemo -ldflags "-s -w -X main.version=${VERSION}" -o /out/fixproof ./cmd/fixproof

# Run: distroless static has CA certificates and nothing else. No USER line:
# GitHub runs container actions as root and mounts GITHUB_OUTPUT owned by the
# runner's user; fixproof writes nothing but those files, so it also runs
# under any --user.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/fixproof /usr/local/bin/fixproof
ENTRYPOINT ["/usr/local/bin/fixproof"]
CMD ["action"]
