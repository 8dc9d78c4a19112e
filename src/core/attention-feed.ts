/**
 * The sidecar's attention state, followed from outside the sidecar (the Electron main process):
 * GET /api/needs-you once, then `session_updated` frames of GET /api/stream (server-sent events).
 * Every session row seen is handed to `onSession` (its `needs_you` says whether it waits on the
 * user: docs/contracts.md "Attention"). Reconnects with a capped backoff; plain Node, no Electron.
 */
import http from 'node:http';

export interface AttentionSession {
  id: string;
  harness: string | null;
  cwd: string | null;
  /** JSON text of the pending request (src/sidecar/attention.ts NeedsYou), or null. */
  needs_you: string | null;
}

export interface AttentionFeedOptions {
  /** `http://127.0.0.1:<port>` of the sidecar. */
  baseUrl: string;
  /** Every session row: the initial needs-you list (`initial: true`), then each live update. */
  onSession: (session: AttentionSession, initial: boolean) => void;
  log?: (line: string) => void;
  /** Called each time the feed is subscribed and has read the initial list. */
  onReady?: () => void;
  /** First reconnect delay (doubles up to 30 s). Default 500 ms. */
  retryMs?: number;
}

export interface AttentionFeed {
  close(): void;
}

function getJson(url: string): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers: { Accept: 'application/json' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        if (res.statusCode !== 200) return reject(new Error(`${url}: HTTP ${res.statusCode}`));
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch (err) {
          reject(err instanceof Error ? err : new Error(String(err)));
        }
      });
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

function isSession(v: unknown): v is AttentionSession {
  return typeof v === 'object' && v !== null && typeof (v as { id?: unknown }).id === 'string';
}

export function startAttentionFeed({ baseUrl, onSession, log = () => undefined, onReady, retryMs = 500 }: AttentionFeedOptions): AttentionFeed {
  let closed = false;
  let req: http.ClientRequest | null = null;
  let timer: NodeJS.Timeout | null = null;
  let delay = retryMs;

  const retry = (why: string): void => {
    if (closed) return;
    log(`attention feed: ${why}; reconnecting in ${delay} ms`);
    timer = setTimeout(connect, delay);
    delay = Math.min(delay * 2, 30_000);
  };

  function connect(): void {
    if (closed) return;
    // Subscribe first, then read the list, so nothing that changes in between is missed.
    req = http.get(`${baseUrl}/api/stream`, { headers: { Accept: 'text/event-stream' } }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        return retry(`stream answered HTTP ${res.statusCode}`);
      }
      delay = retryMs;
      getJson(`${baseUrl}/api/needs-you`).then(
        (doc) => {
          const sessions = (doc as { sessions?: unknown }).sessions;
          if (Array.isArray(sessions)) for (const s of sessions) if (isSession(s)) onSession(s, true);
          onReady?.();
        },
        (err: Error) => log(`attention feed: could not read /api/needs-you: ${err.message}`),
      );
      let buf = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let end: number;
        while ((end = buf.indexOf('\n\n')) >= 0) {
          const block = buf.slice(0, end);
          buf = buf.slice(end + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data:'))
            .map((l) => l.slice(5).trimStart())
            .join('\n');
          if (!data) continue;
          try {
            const frame = JSON.parse(data) as { type?: unknown; data?: unknown };
            if (frame.type === 'session_updated' && isSession(frame.data)) onSession(frame.data, false);
          } catch {
            // not a JSON frame: ignore
          }
        }
      });
      res.on('end', () => retry('stream ended'));
      res.on('error', (err) => retry(err.message));
    });
    req.on('error', (err) => retry(err.message));
  }

  connect();
  return {
    close() {
      closed = true;
      if (timer) clearTimeout(timer);
      req?.destroy();
    },
  };
}
