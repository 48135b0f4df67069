# Build: cargo-chef caches the dependency build in its own layer.
FROM lukemathwalker/cargo-chef:latest-rust-1 AS chef
WORKDIR /app

FROM chef AS planner
COPY . .
RUN cargo chef prepare --recipe-path recipe.json

FROM chef AS builder
COPY --from=planner /app/recipe.json recipe.json
RUN cargo chef cook --release --recipe-path recipe.json
COPY . .
RUN cargo build --release --locked --bin hallway

# Run: a slim image, a non-root user, and the SQLite file on a volume.
FROM debian:bookworm-slim AS runtime
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /data --shell /usr/sbin/nologin hallway \
    && mkdir -p /data \
    && chown hallway:hallway /data
COPY --from=builder /app/target/release/hallway /usr/local/bin/hallway
# The defaults are built in; mount a file and pass `--config /path` to change them.
USER hallway
WORKDIR /data
VOLUME ["/data"]
ENV DATABASE_URL=sqlite:///data/hallway.db
ENTRYPOINT ["/usr/local/bin/hallway"]
CMD ["run"]
