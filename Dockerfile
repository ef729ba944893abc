# Build a static feedd binary, then run it as a non-root user in an image
# with nothing else in it.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/feedd ./cmd/feedd

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/feedd /feedd
COPY posts /posts
USER nonroot:nonroot
EXPOSE 8080
ENV FEEDD_POSTS=/posts FEEDD_ADDR=:8080
VOLUME ["/posts"]
ENTRYPOINT ["/feedd"]
CMD ["serve"]
