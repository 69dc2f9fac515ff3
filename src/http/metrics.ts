import type { Registry } from 'prom-client';
import type { OpsHandler } from './health.js';

/** `/metrics` in the Prometheus text format, from the process registry (src/daemon/metrics.ts). */
export function metricsHandler(registry: Registry): OpsHandler {
  return async () => ({ status: 200, contentType: registry.contentType, body: await registry.metrics() });
}
