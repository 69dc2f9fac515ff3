import { createHmac } from 'node:crypto';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

/**
 * One webhook POST (docs/webhooks.md). The signature is HMAC-SHA256(secret, timestamp + "." + body)
 * in hex, sent as `Kasi-Signature: t=<timestamp>,v1=<hex>` beside `Kasi-Timestamp`, so a receiver
 * can verify the bytes and refuse a replay of an old request. Bounded: a timeout on the whole
 * exchange, and at most `maxResponseBytes` of the answer are read (the rest is cut off).
 */
export interface PostRequest {
  url: string;
  body: string;
  eventId: string;
  eventType: string;
  secret: string;
  /** unix seconds (wall clock) */
  timestamp: number;
  timeoutMs: number;
  maxResponseBytes: number;
  signal: AbortSignal;
}

export interface PostResult {
  /** the receiver's HTTP status; null when there was no answer */
  status: number | null;
  /** why there was no answer, or a short note on a non-2xx answer */
  error: string | null;
  /** the stop signal cut the request short: not an attempt */
  aborted: boolean;
}

export function signWebhook(secret: string, timestamp: number, body: string): string {
  return createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex');
}

export const USER_AGENT = 'kasi-webhooks/1';

export function postWebhook(r: PostRequest): Promise<PostResult> {
  return new Promise((resolve) => {
    let settled = false;
    const done = (res: PostResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      r.signal.removeEventListener('abort', onAbort);
      resolve(res);
    };
    const url = new URL(r.url);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'content-length': Buffer.byteLength(r.body),
        'user-agent': USER_AGENT,
        'kasi-event-id': r.eventId,
        'kasi-event-type': r.eventType,
        'kasi-timestamp': String(r.timestamp),
        'kasi-signature': `t=${r.timestamp},v1=${signWebhook(r.secret, r.timestamp, r.body)}`,
      },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, error: `no answer within ${r.timeoutMs} ms`, aborted: false });
    }, r.timeoutMs);
    const onAbort = () => {
      req.destroy();
      done({ status: null, error: 'stopped', aborted: true });
    };
    r.signal.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => done({ status: null, error: err.message, aborted: false }));
    req.on('response', (res) => readCapped(res, r.maxResponseBytes, (text) => done({ status: res.statusCode ?? null, error: noteOf(res.statusCode, text), aborted: false })));
    req.end(r.body);
  });
}

/** Read at most `cap` bytes of the answer, then stop reading (a receiver cannot flood the sender). */
function readCapped(res: IncomingMessage, cap: number, then: (text: string) => void): void {
  const chunks: Buffer[] = [];
  let size = 0;
  const finish = () => then(Buffer.concat(chunks).toString('utf8', 0, Math.min(size, 300)));
  res.on('data', (c: Buffer) => {
    if (size >= cap) return;
    chunks.push(c.subarray(0, cap - size));
    size += Math.min(c.length, cap - size);
    if (size >= cap) {
      res.destroy();
      finish();
    }
  });
  res.on('end', finish);
  res.on('error', finish);
  res.on('close', finish);
}

function noteOf(status: number | undefined, text: string): string | null {
  if (status !== undefined && status >= 200 && status < 300) return null;
  const t = text.replace(/\s+/g, ' ').trim();
  return `HTTP ${status ?? '?'}${t ? `: ${t}` : ''}`;
}
