import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A webhook receiver on loopback, as an insurer would run one: records every request it gets. */
export interface Received {
  headers: IncomingHttpHeaders;
  raw: string;
  body: { id: string; type: string; tenant: string | null; created_at: string; data: Record<string, unknown> };
  /** what the receiver answered (null: it never answered) */
  answered: number | null;
}

/** What to answer a request: a status, `hang` (hold it open until released or cut), or a body too. */
export type Answer = number | 'hang' | { status: number; body: string };

export interface Receiver {
  url: string;
  requests: Received[];
  /** requests answered 2xx, in arrival order */
  accepted(): Received[];
  answer: (r: Received, n: number) => Answer;
  /** answer every hanging request with this status */
  releaseHanging(status: number): void;
  close(): Promise<void>;
}

export async function startReceiver(answer: Receiver['answer'] = () => 200): Promise<Receiver> {
  const hanging: { res: ServerResponse; rec: Received }[] = [];
  const rx: Receiver = {
    url: '',
    requests: [],
    accepted: () => rx.requests.filter((r) => r.answered !== null && r.answered >= 200 && r.answered < 300),
    answer,
    releaseHanging(status) {
      for (const h of hanging.splice(0)) {
        h.rec.answered = status;
        h.res.writeHead(status).end();
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      const rec: Received = { headers: req.headers, raw, body: JSON.parse(raw) as Received['body'], answered: null };
      rx.requests.push(rec);
      const a = rx.answer(rec, rx.requests.length);
      if (a === 'hang') {
        hanging.push({ res, rec });
        return;
      }
      const status = typeof a === 'number' ? a : a.status;
      rec.answered = status;
      res.writeHead(status, { 'content-type': 'text/plain' }).end(typeof a === 'number' ? '' : a.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  rx.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/kasi`;
  return rx;
}

/** The check docs/webhooks.md tells receivers to make: the signature over timestamp + "." + body. */
export function verifies(r: Received, secret: string): boolean {
  const ts = r.headers['kasi-timestamp'];
  const sig = /v1=([0-9a-f]{64})/.exec(String(r.headers['kasi-signature'] ?? ''))?.[1];
  if (typeof ts !== 'string' || !sig) return false;
  const want = createHmac('sha256', secret).update(`${ts}.${r.raw}`).digest();
  return timingSafeEqual(want, Buffer.from(sig, 'hex'));
}
