# The Prikke image. The binary is built on the host first (static, CGO_ENABLED=0)
# and copied in with the time-zone database, the CA bundle and a non-root user,
# all staged by scripts/image.sh into build/image (rootfs/, and data/ for /data). `make image` runs it;
# building this file alone needs that staging directory.
FROM scratch

ARG VERSION=dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/prikke/prikke
ARG CREATED=

LABEL org.opencontainers.image.title="prikke" \
      org.opencontainers.image.description="Prikke: scheduled HTTP jobs, heartbeat monitors and workflows" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.created="${CREATED}"

COPY build/image/rootfs/ /
# /data, the SQLite volume, belongs to the non-root user (COPY alone makes it root's).
COPY --chown=65532:65532 build/image/data/ /data/

ENV PRIKKE_DATABASE_URL=sqlite:/data/prikke.db \
    PRIKKE_ADDR=0.0.0.0:4000 \
    SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt \
    ZONEINFO=/usr/share/zoneinfo

USER 65532:65532
WORKDIR /data
VOLUME ["/data"]
EXPOSE 4000
HEALTHCHECK --interval=10s --timeout=5s --start-period=10s --retries=3 CMD ["/prikke", "healthcheck"]
ENTRYPOINT ["/prikke"]
CMD ["serve"]
