# The operator image. Multi-stage: build with dev dependencies, run with
# production dependencies only, as a non-root user. No engine on the
# development machines can build it (no Docker daemon); CI for images is a
# later concern. Build: docker build -t atlas-k8s-migrator:0.1.0 .
FROM node:20-bookworm-slim AS build
WORKDIR /src
# better-sqlite3 compiles its native module when no prebuilt binary fits.
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY operator ./operator
COPY imports ./imports
RUN npx tsc -p tsconfig.build.json && npm prune --omit=dev

FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=build /src/package.json ./
COPY --from=build /src/node_modules ./node_modules
COPY --from=build /src/dist ./dist
USER 65532:65532
# A small young generation and V8's size-over-speed mode keep the operator's
# resident memory near 100 MB with hundreds of resources (bench/README.md).
ENTRYPOINT ["node", "--max-semi-space-size=1", "--optimize-for-size", "dist/operator/cli/main.js"]
CMD ["run"]
