import type { FastifyReply, FastifyRequest } from 'fastify';
import type { ConsoleConfig } from '../../config.console.js';

/** The console's cookies: read by hand (two cookies do not need a plugin), written with every flag. */
export const SESSION_COOKIE = 'kasi_console';
export const LOGIN_COOKIE = 'kasi_console_login';

export function cookies(request: FastifyRequest): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (request.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

/** Secure when configured, or (auto) when the request came over TLS or through a TLS proxy. */
export function secureCookie(cfg: ConsoleConfig, request: FastifyRequest): boolean {
  if (cfg.cookie_secure !== 'auto') return cfg.cookie_secure;
  return request.protocol === 'https' || request.headers['x-forwarded-proto'] === 'https';
}

export function setCookie(reply: FastifyReply, name: string, value: string, o: { path: string; maxAgeSeconds: number; secure: boolean }): void {
  const parts = [`${name}=${encodeURIComponent(value)}`, `Path=${o.path}`, `Max-Age=${Math.floor(o.maxAgeSeconds)}`, 'HttpOnly', 'SameSite=Strict'];
  if (o.secure) parts.push('Secure');
  const prior = reply.getHeader('set-cookie');
  const list = Array.isArray(prior) ? prior : typeof prior === 'string' ? [prior] : [];
  void reply.header('set-cookie', [...list, parts.join('; ')]);
}

/** Only a path inside the console is a place to go back to after signing in. */
export function safeNext(next: unknown): string {
  return typeof next === 'string' && /^\/console\/[A-Za-z0-9/_.%?=&-]*$/.test(next) && !next.startsWith('/console/login') ? next : '/console/overview';
}
