# envelopegw container image: a static binary on distroless, run as the
# non-root user 65532, fit for a read-only root filesystem.
#
#   docker build --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) -t envelopegw .
#   docker run --read-only --user 65532:65532 \
#     -p 9000:9000 -p 127.0.0.1:9001:9001 \
#     -v envelopegw-data:/data \
#     -v /etc/envelopegw:/etc/envelopegw:ro \
#     -e ENVELOPEGW_RECIPIENT=/etc/envelopegw/dba.key.pub \
#     -e ENVELOPEGW_CREDENTIALS=/etc/envelopegw/credentials \
#     -e ENVELOPEGW_STATE_KEY=/etc/envelopegw/state.key \
#     envelopegw
#
# /data (a volume) holds ciphertext, metadata and multipart state: the
# only place the process writes. /etc/envelopegw (read-only) holds what
# must not live on the data volume: recipients, the credentials or users
# file and the state key (mode 0600, readable by uid 65532), TLS files,
# and a private key only on a host that may read backups. Port 9000 is
# S3; 9001 serves /metrics and /health/{live,ready} (keep it private).
# `docker kill -s HUP` reloads credentials, users, keys and certificates.

FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=""
ARG COMMIT=""
RUN CGO_ENABLED=0 go build -trimpath -buildvcs=false -ldflags="-s -w -X main.version=${VERSION} -X main.commit=${COMMIT}" -o /out/envelopegw ./cmd/envelopegw
# An empty /data owned by the runtime user: a new volume mounted there
# inherits the owner, so the non-root process can write it.
RUN mkdir -p /out/data && chmod 0700 /out/data

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/envelopegw /usr/local/bin/envelopegw
COPY --from=build --chown=65532:65532 /out/data /data
USER 65532:65532
VOLUME ["/data"]
EXPOSE 9000 9001
ENV ENVELOPEGW_LISTEN=0.0.0.0:9000 \
    ENVELOPEGW_ADMIN_LISTEN=0.0.0.0:9001 \
    ENVELOPEGW_DATA=/data \
    ENVELOPEGW_LOG_FORMAT=json
ENTRYPOINT ["/usr/local/bin/envelopegw"]
CMD ["serve"]
