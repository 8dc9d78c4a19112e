/**
 * An OTLP/HTTP receiver for tests, on 127.0.0.1: it decodes the protobuf the sidecar's
 * OpenTelemetry exporters sent with the OTLP message definitions the OpenTelemetry JS project
 * generated with protobufjs (the `generated/root` of @opentelemetry/otlp-transformer 0.214.0,
 * installed as the dev dependency `otlp-proto-root`; later versions no longer ship a decoder).
 *
 * Modes: `up` answers 200 with an empty export response; `down` is not listening at all
 * (connection refused); `hang` takes the next request and never answers it (an export the sender
 * cannot know was received), then behaves as `up`.
 */
import http from 'node:http';
import { createRequire } from 'node:module';
import { gunzipSync } from 'node:zlib';

type AnyValue = { stringValue?: string; intValue?: string | number; boolValue?: boolean; doubleValue?: number };
type KeyValue = { key: string; value?: AnyValue };
type Decoded = Record<string, unknown>;
interface MessageType {
  decode(buf: Uint8Array): unknown;
  toObject(msg: unknown, opts: { longs: StringConstructor; defaults: boolean }): Decoded;
}
interface ProtoRoot {
  opentelemetry: { proto: { collector: { logs: { v1: { ExportLogsServiceRequest: MessageType } }; trace: { v1: { ExportTraceServiceRequest: MessageType } } } } };
}

const require = createRequire(import.meta.url);
const root = require('otlp-proto-root/build/src/generated/root.js') as ProtoRoot;
const LogsRequest = root.opentelemetry.proto.collector.logs.v1.ExportLogsServiceRequest;
const TraceRequest = root.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest;

export type Attrs = Record<string, string | number | boolean | null>;

export interface ReceivedLog {
  resource: Attrs;
  scope: string;
  timeUnixNano: string;
  severityNumber: number;
  severityText: string;
  eventName: string;
  body: string | null;
  attributes: Attrs;
  traceId: string;
  spanId: string;
  /** Which request (0-based) carried it. */
  request: number;
}

export interface ReceivedSpan {
  resource: Attrs;
  scope: string;
  name: string;
  kind: number;
  traceId: string;
  spanId: string;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number; message: string };
  attributes: Attrs;
  request: number;
}

function valueOf(v: AnyValue | undefined): string | number | boolean | null {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.doubleValue !== undefined) return v.doubleValue;
  return null;
}

export function attrsOf(list: unknown): Attrs {
  const out: Attrs = {};
  for (const kv of (list as KeyValue[] | undefined) ?? []) out[kv.key] = valueOf(kv.value);
  return out;
}

const text = (v: unknown): string => (typeof v === 'string' ? v : '');
const hex = (b: unknown): string => (b ? Buffer.from(b as Uint8Array).toString('hex') : '');

export function decodeLogs(buf: Uint8Array, request: number): ReceivedLog[] {
  const msg = LogsRequest.toObject(LogsRequest.decode(buf), { longs: String, defaults: true });
  const out: ReceivedLog[] = [];
  for (const rl of msg.resourceLogs as Decoded[]) {
    const resource = attrsOf((rl.resource as Decoded | undefined)?.attributes);
    for (const sl of rl.scopeLogs as Decoded[]) {
      const scope = text((sl.scope as Decoded | undefined)?.name);
      for (const r of sl.logRecords as Decoded[]) {
        out.push({
          resource,
          scope,
          timeUnixNano: String(r.timeUnixNano),
          severityNumber: Number(r.severityNumber),
          severityText: text(r.severityText),
          eventName: text(r.eventName),
          body: valueOf(r.body as AnyValue | undefined) as string | null,
          attributes: attrsOf(r.attributes),
          traceId: hex(r.traceId),
          spanId: hex(r.spanId),
          request,
        });
      }
    }
  }
  return out;
}

export function decodeSpans(buf: Uint8Array, request: number): ReceivedSpan[] {
  const msg = TraceRequest.toObject(TraceRequest.decode(buf), { longs: String, defaults: true });
  const out: ReceivedSpan[] = [];
  for (const rs of msg.resourceSpans as Decoded[]) {
    const resource = attrsOf((rs.resource as Decoded | undefined)?.attributes);
    for (const ss of rs.scopeSpans as Decoded[]) {
      const scope = text((ss.scope as Decoded | undefined)?.name);
      for (const s of ss.spans as Decoded[]) {
        const status = (s.status as Decoded | undefined) ?? {};
        out.push({
          resource,
          scope,
          name: String(s.name),
          kind: Number(s.kind),
          traceId: hex(s.traceId),
          spanId: hex(s.spanId),
          startTimeUnixNano: String(s.startTimeUnixNano),
          endTimeUnixNano: String(s.endTimeUnixNano),
          status: { code: Number(status.code ?? 0), message: text(status.message) },
          attributes: attrsOf(s.attributes),
          request,
        });
      }
    }
  }
  return out;
}

export interface OtlpReceiver {
  readonly port: number;
  readonly url: string;
  logs: ReceivedLog[];
  spans: ReceivedSpan[];
  /** Requests taken (answered or held). */
  requests: Array<{ path: string; answered: boolean; contentType: string }>;
  /** Stop listening (mode `down`); held requests are destroyed. */
  close(): Promise<void>;
  /** Listen again on the same port. */
  open(): Promise<void>;
  /** The next request is taken and never answered. */
  hangNext(): void;
}

export async function startOtlpReceiver({ port = 0, listening = true }: { port?: number; listening?: boolean } = {}): Promise<OtlpReceiver> {
  let hang = false;
  const held = new Set<http.ServerResponse>();
  const requests: OtlpReceiver['requests'] = [];
  const logs: ReceivedLog[] = [];
  const spans: ReceivedSpan[] = [];
  let server: http.Server | null = null;
  let boundPort = port;

  const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip') body = gunzipSync(body);
      const n = requests.length;
      const entry = { path: req.url ?? '', answered: false, contentType: String(req.headers['content-type'] ?? '') };
      requests.push(entry);
      if (req.url === '/v1/logs') logs.push(...decodeLogs(body, n));
      else if (req.url === '/v1/traces') spans.push(...decodeSpans(body, n));
      if (hang) {
        hang = false;
        held.add(res);
        return;
      }
      entry.answered = true;
      res.writeHead(req.url === '/v1/logs' || req.url === '/v1/traces' ? 200 : 404, { 'Content-Type': 'application/x-protobuf' });
      res.end();
    });
  };

  const open = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = http.createServer(handler);
      s.once('error', reject);
      s.listen(boundPort, '127.0.0.1', () => {
        const addr = s.address();
        boundPort = typeof addr === 'object' && addr ? addr.port : boundPort;
        server = s;
        resolve();
      });
    });
  const close = (): Promise<void> =>
    new Promise((resolve) => {
      for (const res of held) res.destroy();
      held.clear();
      const s = server;
      server = null;
      if (!s) return resolve();
      s.closeAllConnections();
      s.close(() => resolve());
    });

  await open();
  if (!listening) await close();
  return {
    get port() {
      return boundPort;
    },
    get url() {
      return `http://127.0.0.1:${boundPort}`;
    },
    logs,
    spans,
    requests,
    close,
    open,
    hangNext: () => {
      hang = true;
    },
  };
}
