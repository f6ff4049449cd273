# The compiled worker in a container. Untested beyond a syntax review: no container runtime is
# available where this project is developed (see README "Running in production").
# Node 24 LTS, the line package.json's engines name.
FROM node:24-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tsc, migrations copied to lib/db/migrations, workflow code bundled into lib/workflow-bundle.js.
RUN npm run build && npm prune --omit=dev

FROM node:24-bookworm-slim
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/lib ./lib
USER node
# Exec form: node is PID 1 and gets SIGTERM directly (graceful shutdown; use `docker stop -t 120`).
# Migrations: `docker run … node lib/db/migrate.js`. Configuration: environment (see .env.example).
CMD ["node", "--max-old-space-size=256", "lib/worker.js"]
