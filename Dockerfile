# syntax=docker/dockerfile:1
# Build: a static binary, no cgo, reproducible paths, version stamped.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/fixproof ./cmd/fixproof

# Run: distroless static has CA certificates and nothing else. No USER line:
# GitHub runs container actions as root and mounts GITHUB_OUTPUT owned by the
# runner's user; fixproof writes nothing but those files, so it also runs
# under any --user.
FROM gcr.io/distroless/static-debian12
COPY --from=build /out/fixproof /usr/local/bin/fixproof
ENTRYPOINT ["/usr/local/bin/fixproof"]
CMD ["action"]
