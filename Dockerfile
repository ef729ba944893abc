# Build a static feedd binary, then run it as a non-root user in an image
# with nothing else in it (no shell: the health check is feedd's own).
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/feedd ./cmd/feedd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/feedd /feedd
# The sample posts, for a first run; mount the archive over /posts.
COPY posts /posts
USER nonroot:nonroot
EXPOSE 8080
# Posts are read from /posts, a config file (if any) from /config; bodies
# are kept in /tmp (give it a disk-backed volume for a large archive).
# GOMEMLIMIT is the memory Go's collector aims to stay under: set it to
# about 90 % of the container's memory limit.
ENV FEEDD_POSTS=/posts FEEDD_ADDR=:8080 TMPDIR=/tmp GOMEMLIMIT=450MiB
VOLUME ["/posts", "/config", "/tmp"]
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 CMD ["/feedd", "healthcheck"]
ENTRYPOINT ["/feedd"]
CMD ["serve"]
