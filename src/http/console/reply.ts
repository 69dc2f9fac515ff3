import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Session } from '../../usecases/console/auth.js';
import type { Html } from './html.js';

/** The console's request state (its session, set by the plugin's preHandler) and how a page is sent. */
export const sessions = new WeakMap<FastifyRequest, Session>();

export function sessionOf(request: FastifyRequest): Session {
  const s = sessions.get(request);
  if (!s) throw new Error('console route without a session');
  return s;
}

export function sendPage(reply: FastifyReply, body: Html, status = 200): FastifyReply {
  return reply.code(status).type('text/html; charset=utf-8').send(body.text);
}

