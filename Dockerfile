# Production image: built with the Swift 6 toolchain, run on a slim Ubuntu with the
# Swift runtime linked in statically.

# ---- build ----
# 6.3: the toolchain the test suite runs on.
FROM swift:6.3-jammy AS build
WORKDIR /build

# Dependencies first: this layer is reused until Package.swift or Package.resolved changes.
COPY Package.* ./
RUN swift package resolve $([ -f Package.resolved ] && echo --force-resolved-versions)

COPY . .
RUN swift build -c release --static-swift-stdlib --product ai-agent-backend \
    && bin="$(swift build -c release --show-bin-path)" \
    && mkdir -p /staging \
    && cp "$bin/ai-agent-backend" /staging/ \
    && find -L "$bin" -maxdepth 1 -name '*.resources' -exec cp -R {} /staging/ \; \
    && strip /staging/ai-agent-backend

# ---- runtime ----
FROM ubuntu:jammy

# ca-certificates for TLS to LLM providers, tzdata for time zones, curl for HEALTHCHECK
# (its libcurl is also what FoundationNetworking loads at run time), poppler-utils for the
# knowledge bases' PDF documents (pdftotext), zlib for their DOCX.
RUN export DEBIAN_FRONTEND=noninteractive \
    && apt-get update -q \
    && apt-get install -y -q --no-install-recommends ca-certificates tzdata curl poppler-utils zlib1g \
    && rm -rf /var/lib/apt/lists/*

# A fixed UID, so the host folders mounted at /app/logs and /app/uploads can be given to it
# (chown 10001:10001 logs uploads).
RUN useradd --system --uid 10001 --user-group --home-dir /app --shell /usr/sbin/nologin app \
    && mkdir -p /app/logs /app/uploads \
    && chown -R app:app /app

COPY --from=build /staging/ /opt/ai-agent-backend/
# The web console's files, served at / (read once at start).
COPY Console/ /opt/ai-agent-backend/Console/
RUN ln -s /opt/ai-agent-backend/ai-agent-backend /usr/local/bin/ai-agent-backend

WORKDIR /app
USER app

ENV ENVIRONMENT=production \
    HOST=0.0.0.0 \
    PORT=8000 \
    LOG_DIR=/app/logs \
    UPLOAD_DIR=/app/uploads \
    CONSOLE_DIR=/opt/ai-agent-backend/Console

EXPOSE 8000

HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
    CMD curl -fsS -o /dev/null "http://127.0.0.1:${PORT:-8000}/health" || exit 1

ENTRYPOINT ["ai-agent-backend"]
CMD ["serve"]
