# kasi — multi-stage image: build with the toolchain, run with production dependencies only.
FROM node:20-slim AS build
WORKDIR /app
RUN apt-get update && apt-get install -y --no-install-recommends python3 make g++ && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json .npmrc ./
RUN npm ci --ignore-scripts && npm rebuild better-sqlite3
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# the image needs src only (bench/ and test-crash/ are development tools that import test helpers)
RUN printf '{"extends":"./tsconfig.build.json","include":["src"]}' > tsconfig.image.json && npx tsc -p tsconfig.image.json && npm prune --omit=dev

FROM node:20-slim
ENV NODE_ENV=production KASI_ROOT=/var/lib/kasi TZ=Africa/Johannesburg
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY package.json ./
COPY bin ./bin
COPY config ./config
# the console's stylesheet (served at /console/assets/console.css; no CDN)
COPY assets ./assets
RUN mkdir -p /var/lib/kasi && chown -R node:node /var/lib/kasi
USER node
VOLUME ["/var/lib/kasi"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --retries=3 CMD node -e "fetch('http://127.0.0.1:8080/healthz').then(r=>process.exit(r.ok?0:1)).catch(()=>process.exit(1))"
ENTRYPOINT ["node", "/app/bin/kasi.js"]
CMD ["daemon"]
