import { Counter, Histogram } from 'prom-client';
import { registry } from '../../daemon/metrics.js';

/**
 * The API's Prometheus metrics, in the process registry (/metrics): requests by route template
 * (`/v1/collections/:id`, never the id), method and status, and their duration. Made once per
 * process, whatever the number of apps built (tests build several).
 */
let made: { requests: Counter<'route' | 'method' | 'status'>; seconds: Histogram<'route' | 'method'> } | null = null;

export function apiMetrics() {
  made ??= {
    requests: new Counter({
      name: 'kasi_api_requests_total',
      help: 'HTTP API requests by route template, method and status code',
      labelNames: ['route', 'method', 'status'] as const,
      registers: [registry],
    }),
    seconds: new Histogram({
      name: 'kasi_api_request_duration_seconds',
      help: 'HTTP API request duration by route template and method',
      labelNames: ['route', 'method'] as const,
      buckets: [0.005, 0.025, 0.1, 0.5, 2, 10, 60],
      registers: [registry],
    }),
  };
  return made;
}
