# kedge's container image: `kedge serve` (the default command) with git, ssh, the Docker CLI and Compose v2.
# Build: docker build -t kedge --build-arg KEDGE_COMMIT=$(git rev-parse HEAD) .
# Run it as docs/container.md says: the Docker socket mounted, and the home at the same path inside and out.
# Only instructions the classic builder knows are used, so that any Docker engine builds it.

# Debian 13 packages Node.js 20, the Docker CLI and Compose v2 (its `docker-compose` package is the CLI plugin).
ARG BASE_IMAGE=debian:trixie-slim

# Node.js, npm, and what node-gyp compiles better-sqlite3's native addon with. Its prebuilt binaries are
# downloaded from GitHub, which a build may not reach, and are made for the official Node.js builds, not
# Debian's; node-gyp takes the headers from Debian's libnode-dev (/usr/include/node) instead of downloading them.
FROM ${BASE_IMAGE} AS toolchain
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates nodejs npm node-gyp libnode-dev python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
# Behind a proxy that intercepts TLS, its CA certificates (PEM text) let npm reach the registry:
# --build-arg EXTRA_CA_CERTIFICATES="$(cat proxy-ca.pem)". Only the build stages trust them, not the image.
ARG EXTRA_CA_CERTIFICATES=
RUN if [ -n "$EXTRA_CA_CERTIFICATES" ]; then \
      printf '%s\n' "$EXTRA_CA_CERTIFICATES" >/usr/local/share/ca-certificates/build-extra.crt \
      && update-ca-certificates >/dev/null; \
    fi
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt \
    npm_config_nodedir=/usr \
    npm_config_fund=false \
    npm_config_audit=false \
    npm_config_update_notifier=false
WORKDIR /build

# Compiling the addon takes minutes, so it is done on layers keyed by better-sqlite3's version alone: a
# change to any other dependency leaves them cached.
FROM toolchain AS native-version
COPY npm-shrinkwrap.json ./
RUN node -e "process.stdout.write(require('./npm-shrinkwrap.json').packages['node_modules/better-sqlite3'].version)" >/better-sqlite3.version

FROM toolchain AS native-addon
COPY --from=native-version /better-sqlite3.version ./
RUN npm_config_build_from_source=better-sqlite3 \
      npm install --no-save --no-package-lock "better-sqlite3@$(cat better-sqlite3.version)" \
 && test -f node_modules/better-sqlite3/build/Release/better_sqlite3.node

# The locked dependencies, without their install scripts (as package.json's allowScripts says, only
# better-sqlite3's is wanted, and its result is the addon above).
FROM toolchain AS dependencies
COPY package.json npm-shrinkwrap.json ./
RUN npm ci --ignore-scripts
COPY --from=native-addon /build/node_modules/better-sqlite3/build/Release/better_sqlite3.node ./node_modules/better-sqlite3/build/Release/
RUN node -e "require('better-sqlite3')(':memory:').prepare('select 1').get()"

FROM dependencies AS build
COPY tsconfig.json tsconfig.build.json ./
COPY bin ./bin
COPY drizzle ./drizzle
COPY scripts ./scripts
COPY src ./src
COPY web ./web
# The commit the image is built from, which the build records (dist/build-info.json); declared here so
# that the layers above stay cached whatever it is.
ARG KEDGE_COMMIT=
RUN KEDGE_BUILD_COMMIT="$KEDGE_COMMIT" npm run build

# The image's node_modules, from the dependencies alone: it stays cached while only the sources change.
FROM dependencies AS production-dependencies
RUN npm prune --omit=dev

FROM ${BASE_IMAGE}
# tini is PID 1: it passes SIGTERM on to kedge and reaps the processes that git, ssh and deploy hooks
# leave behind, which Node as PID 1 would leave as zombies.
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      ca-certificates nodejs git openssh-client docker-cli docker-compose tini \
 && rm -rf /var/lib/apt/lists/*
# A user for running without root (docs/container.md): ssh refuses to start for a uid /etc/passwd does not
# name, and Compose writes ~/.docker when it builds, so the user has a home of its own.
RUN groupadd --gid 1000 kedge \
 && useradd --uid 1000 --gid 1000 --home-dir /home/kedge --create-home --shell /usr/sbin/nologin kedge
WORKDIR /opt/kedge
COPY --from=production-dependencies /build/node_modules ./node_modules
COPY --from=build /build/package.json /build/oclif.manifest.json ./
COPY LICENSE ./
COPY --from=build /build/bin/run.cjs ./bin/
COPY --from=build /build/drizzle ./drizzle
COPY --from=build /build/dist ./dist
RUN ln -s /opt/kedge/bin/run.cjs /usr/local/bin/kedge \
 && mkdir -p -m 0700 /var/lib/kedge

# Compose resolves a stack's bind mounts on the host: mount the home at this same path (docs/container.md).
ENV KEDGE_HOME=/var/lib/kedge \
    KEDGE_LISTEN=0.0.0.0:8080
EXPOSE 8080
# With Node itself (the image has no curl), on the port KEDGE_LISTEN names.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "const port = (process.env.KEDGE_LISTEN || '').match(/:(\\d+)$/)?.[1] ?? '8080'; require('node:http').get({host: '127.0.0.1', port, path: '/health', timeout: 4000}, (response) => process.exit(response.statusCode === 200 ? 0 : 1)).on('timeout', () => process.exit(1)).on('error', () => process.exit(1))"]
ENTRYPOINT ["tini", "--", "kedge"]
CMD ["serve"]

ARG KEDGE_COMMIT=
LABEL org.opencontainers.image.title="kedge" \
      org.opencontainers.image.description="GitOps agent for Docker Compose: keeps each stack on the host equal to its git branch" \
      org.opencontainers.image.licenses="MIT" \
      org.opencontainers.image.revision="${KEDGE_COMMIT}"
