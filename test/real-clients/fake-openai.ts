// A tiny deterministic OpenAI Responses-API server for driving the real Codex CLI offline.
//
// Codex POSTs `/v1/responses` with `stream: true`; we answer with server-sent events:
// `response.created`, one `response.output_item.added` + `response.output_item.done` per item,
// then `response.completed` with a `usage` object. What the "model" does is a script of steps:
// a step either calls tools (one or several `function_call` items in one response) or answers
// with an assistant message. The step to play is derived from the request itself (which of our
// call ids already have a `function_call_output` in `input`), so retries are harmless.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import {
  closeServer,
  isRecord,
  listenLoopback,
  parseJson,
  readBody,
  sendJson,
  sleep,
  sseFrame,
  startSse,
  type RecordedRequest,
} from './http-util.js';
import { nextStep, stepsFor } from './script.js';

export interface FakeToolCall {
  /** Shell command for the default `exec_command` tool: arguments become `{"cmd": cmd}`. */
  cmd?: string;
  /** Tool name; default `exec_command`. */
  name?: string;
  /** Raw JSON-string arguments; overrides `cmd`. */
  arguments?: string;
  /** Call id; default `<callIdPrefix>_<step>_<index>`. */
  callId?: string;
  /**
   * The tool's namespace, for a tool offered inside a `{"type":"namespace"}` entry of `tools`
   * (Codex 0.169.0 offers `spawn_agent`, `wait_agent`, … in namespace `multi_agent_v1`).
   */
  namespace?: string;
}

export type FakeOpenAIStep =
  | { type: 'tools'; calls: FakeToolCall[] }
  | { type: 'message'; text: string };

export interface FakeUsage {
  input_tokens: number;
  cached_tokens: number;
  output_tokens: number;
  reasoning_tokens: number;
}

export interface FakeOpenAIContext {
  /** Parsed request body. */
  body: Record<string, unknown>;
  /** 0-based index among the main (tool-carrying) `/v1/responses` requests. */
  mainRequestIndex: number;
  /** Call ids that already have a `function_call_output` in this request's `input`. */
  answeredCallIds: Set<string>;
}

export interface StartFakeOpenAIOptions {
  /**
   * The steps, or a function choosing the step per request. Default: `toolScript()` —
   * one `exec_command` call running `echo hello`, then the message "Done.".
   */
  script?: FakeOpenAIStep[] | ((ctx: FakeOpenAIContext) => FakeOpenAIStep);
  /** Prefix of generated call ids (default `call_fake`). */
  callIdPrefix?: string;
  /** Wait this long before answering each main request (simulates model latency). */
  delayMs?: number;
  /** Token usage reported on every `response.completed`. */
  usage?: Partial<FakeUsage>;
  /** Usage of the n-th response (0-based, every request counted); overrides `usage`. */
  usageFor?: (responseIndex: number, body: Record<string, unknown>) => Partial<FakeUsage>;
  /** Port to listen on (default: any free port). */
  port?: number;
}

export interface FakeOpenAI {
  /** Base URL including `/v1`, ready for `[model_providers.fake] base_url`. */
  url: string;
  port: number;
  /** Every request seen, in arrival order. */
  requests: RecordedRequest[];
  /** Every call id the fake handed out in a `function_call`, in order. */
  issuedCallIds: string[];
  close(): Promise<void>;
}

/** Build a script: `commands.length` exec_command calls, either one per round or all in one response. */
export function toolScript(opts: {
  commands?: string[];
  mode?: 'sequential' | 'parallel';
  finalText?: string;
  callIds?: string[];
} = {}): FakeOpenAIStep[] {
  const calls: FakeToolCall[] = (opts.commands ?? ['echo hello']).map((cmd, i) => {
    const id = opts.callIds?.[i];
    return id === undefined ? { cmd } : { cmd, callId: id };
  });
  return stepsFor(calls, opts.mode, opts.finalText);
}

function callIdFor(prefix: string, step: number, index: number, call: FakeToolCall): string {
  return call.callId ?? `${prefix}_${step}_${index}`;
}

function answeredCallIds(body: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const input = body['input'];
  if (!Array.isArray(input)) return ids;
  for (const item of input) {
    if (!isRecord(item)) continue;
    const t = item['type'];
    if ((t === 'function_call_output' || t === 'custom_tool_call_output') && typeof item['call_id'] === 'string') {
      ids.add(item['call_id']);
    }
  }
  return ids;
}

/** Main agent requests carry the tool list; side requests (e.g. summaries) carry none. */
function isMainRequest(body: Record<string, unknown>): boolean {
  const tools = body['tools'];
  return Array.isArray(tools) && tools.length > 0;
}

export async function startFakeOpenAI(opts: StartFakeOpenAIOptions = {}): Promise<FakeOpenAI> {
  const prefix = opts.callIdPrefix ?? 'call_fake';
  const script = opts.script ?? toolScript();
  const baseUsage: FakeUsage = {
    input_tokens: 1000,
    cached_tokens: 200,
    output_tokens: 50,
    reasoning_tokens: 10,
    ...opts.usage,
  };
  const requests: RecordedRequest[] = [];
  const issuedCallIds: string[] = [];
  let mainIndex = 0;
  let responseSeq = 0;

  function chooseStep(body: Record<string, unknown>): { step: FakeOpenAIStep; stepIndex: number } {
    const answered = answeredCallIds(body);
    if (typeof script === 'function') {
      return { step: script({ body, mainRequestIndex: mainIndex, answeredCallIds: answered }), stepIndex: mainIndex };
    }
    return nextStep(script, answered, (step, index, c: FakeToolCall) => callIdFor(prefix, step, index, c));
  }

  async function answerResponses(res: ServerResponse, body: Record<string, unknown>, rec: RecordedRequest): Promise<void> {
    const respId = `resp_fake_${++responseSeq}`;
    const usage: FakeUsage = opts.usageFor ? { ...baseUsage, ...opts.usageFor(responseSeq - 1, body) } : baseUsage;
    const items: Record<string, unknown>[] = [];
    if (isMainRequest(body)) {
      const { step, stepIndex } = chooseStep(body);
      mainIndex++;
      if (opts.delayMs) await sleep(opts.delayMs);
      if (step.type === 'tools') {
        step.calls.forEach((c, i) => {
          const callId = callIdFor(prefix, stepIndex, i, c);
          issuedCallIds.push(callId);
          items.push({
            type: 'function_call',
            id: `fc_${responseSeq}_${i}`,
            status: 'completed',
            name: c.name ?? 'exec_command',
            ...(c.namespace ? { namespace: c.namespace } : {}),
            arguments: c.arguments ?? JSON.stringify({ cmd: c.cmd ?? 'echo hello' }),
            call_id: callId,
          });
        });
        rec.answeredWith = `tools:${step.calls.length}`;
      } else {
        items.push(messageItem(`msg_${responseSeq}`, step.text));
        rec.answeredWith = 'message';
      }
    } else {
      // Side requests (no tools). The TUI asks for a task title with a strict JSON schema
      // (`text.format.type == "json_schema"`, `{title: string}`); answer with a value that fits.
      const format = isRecord(body['text']) ? body['text']['format'] : undefined;
      const schema = isRecord(format) && format['type'] === 'json_schema' ? format['schema'] : undefined;
      items.push(messageItem(`msg_${responseSeq}`, schema === undefined ? 'ok' : JSON.stringify(sampleForSchema(schema))));
      rec.answeredWith = 'side';
    }
    const model = typeof body['model'] === 'string' ? body['model'] : 'fake-model';
    const base = { id: respId, object: 'response', created_at: Math.floor(Date.now() / 1000), model, status: 'in_progress', output: [] };
    startSse(res);
    let seq = 0;
    res.write(sseFrame('response.created', { type: 'response.created', sequence_number: seq++, response: base }));
    items.forEach((item, i) => {
      res.write(sseFrame('response.output_item.added', { type: 'response.output_item.added', sequence_number: seq++, output_index: i, item }));
      res.write(sseFrame('response.output_item.done', { type: 'response.output_item.done', sequence_number: seq++, output_index: i, item }));
    });
    res.write(
      sseFrame('response.completed', {
        type: 'response.completed',
        sequence_number: seq++,
        response: {
          ...base,
          status: 'completed',
          output: items,
          usage: {
            input_tokens: usage.input_tokens,
            input_tokens_details: { cached_tokens: usage.cached_tokens },
            output_tokens: usage.output_tokens,
            output_tokens_details: { reasoning_tokens: usage.reasoning_tokens },
            total_tokens: usage.input_tokens + usage.output_tokens,
          },
        },
      }),
    );
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const body = parseJson(text);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const rec: RecordedRequest = { method: req.method ?? 'GET', url, headers: req.headers, body, answeredWith: '', at: Date.now() };
    requests.push(rec);
    if (req.method === 'POST' && path.endsWith('/responses') && isRecord(body)) {
      await answerResponses(res, body, rec);
      return;
    }
    if (req.method === 'GET' && path.endsWith('/models')) {
      // Codex may refresh its model list from the provider; an empty list keeps its built-in defaults.
      rec.answeredWith = 'models';
      sendJson(res, 200, { object: 'list', data: [], models: [] });
      return;
    }
    rec.answeredWith = '404';
    sendJson(res, 404, { error: { message: `fake-openai: no route for ${req.method} ${path}`, type: 'not_found' } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { error: { message: String(err) } });
      else res.end();
    });
  });
  const port = await listenLoopback(server, opts.port ?? 0);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    port,
    requests,
    issuedCallIds,
    close: () => closeServer(server),
  };
}

function messageItem(id: string, text: string): Record<string, unknown> {
  return {
    type: 'message',
    id,
    status: 'completed',
    role: 'assistant',
    content: [{ type: 'output_text', text, annotations: [] }],
  };
}

/** A minimal value satisfying a simple JSON schema (enough for Codex's title/summary requests). */
export function sampleForSchema(schema: unknown): unknown {
  if (!isRecord(schema)) return 'ok';
  if (Array.isArray(schema['enum']) && schema['enum'].length > 0) return schema['enum'][0];
  switch (schema['type']) {
    case 'object': {
      const out: Record<string, unknown> = {};
      const props = isRecord(schema['properties']) ? schema['properties'] : {};
      for (const [k, v] of Object.entries(props)) out[k] = sampleForSchema(v);
      return out;
    }
    case 'array':
      return [];
    case 'number':
    case 'integer':
      return 0;
    case 'boolean':
      return false;
    case 'null':
      return null;
    default: {
      const max = typeof schema['maxLength'] === 'number' ? schema['maxLength'] : 36;
      return 'Fake title'.slice(0, Math.max(1, max));
    }
  }
}
