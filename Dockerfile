# Two stages: build a static binary, then run it from a minimal image as a
# non-root user. The data volume holds ciphertext only; mount private keys
# (if this host may read backups at all) from a secret, not from the volume.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/envelopegw ./cmd/envelopegw

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/envelopegw /usr/local/bin/envelopegw
VOLUME ["/data"]
EXPOSE 9000
ENV ENVELOPEGW_LISTEN=0.0.0.0:9000 ENVELOPEGW_DATA=/data
ENTRYPOINT ["/usr/local/bin/envelopegw"]
CMD ["serve"]
