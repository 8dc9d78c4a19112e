// A tiny deterministic Anthropic Messages-API server for driving the real Claude Code CLI offline.
//
// Claude Code POSTs `/v1/messages?beta=true` with `stream: true`. We answer with the Messages SSE
// sequence (`message_start`, `content_block_start`, `content_block_delta`, `content_block_stop`,
// `message_delta` with `stop_reason`, `message_stop`). The main agent request (the one carrying
// the tool list) follows a script: tool_use blocks first, then a text answer once every scripted
// tool_use id has a `tool_result` in `messages`. Side requests without tools (title generation,
// quota probes, …) get a short text answer. `count_tokens` and `HEAD /` are answered too.
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

export interface FakeToolUse {
  /** Tool name; default `Bash`. */
  name?: string;
  /** Shortcut for Bash: input becomes `{command, description}`. */
  command?: string;
  /** Full tool input; overrides `command`. */
  input?: Record<string, unknown>;
  /** tool_use id; default `<idPrefix>_<step>_<index>`. */
  id?: string;
}

export type FakeAnthropicStep =
  | { type: 'tools'; calls: FakeToolUse[]; text?: string }
  | { type: 'message'; text: string };

export interface FakeAnthropicContext {
  body: Record<string, unknown>;
  /** 0-based index among main (tool-carrying) requests. */
  mainRequestIndex: number;
  /** tool_use ids that already have a tool_result in this request's messages. */
  answeredToolUseIds: Set<string>;
}

export interface StartFakeAnthropicOptions {
  /** Steps or a chooser. Default: one Bash `echo hello`, then the text "Done.". */
  script?: FakeAnthropicStep[] | ((ctx: FakeAnthropicContext) => FakeAnthropicStep);
  /** Prefix of generated tool_use ids (default `toolu_fake`). */
  idPrefix?: string;
  /** Wait this long before answering each main request. */
  delayMs?: number;
  usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
  /**
   * Usage of the n-th /v1/messages answer (0-based, side requests included); overrides `usage`.
   * `cache_creation` (5m/1h split) is sent consistent with `cache_creation_input_tokens`.
   */
  usageFor?: (messageIndex: number, body: Record<string, unknown>) => NonNullable<StartFakeAnthropicOptions['usage']>;
  /** Send a `request-id` header (`req_fake_<n>`) like the real API; Claude Code stores it as `requestId`. */
  requestIds?: boolean;
  port?: number;
}

export interface FakeAnthropic {
  /** Base URL for ANTHROPIC_BASE_URL (no `/v1`). */
  url: string;
  port: number;
  requests: RecordedRequest[];
  /** Every tool_use id handed out, in order. */
  issuedToolUseIds: string[];
  close(): Promise<void>;
}

/** `commands.length` Bash calls, one per round (`sequential`) or all in one message (`parallel`). */
export function claudeToolScript(opts: {
  commands?: string[];
  mode?: 'sequential' | 'parallel';
  finalText?: string;
  ids?: string[];
} = {}): FakeAnthropicStep[] {
  const calls: FakeToolUse[] = (opts.commands ?? ['echo hello']).map((command, i) => {
    const id = opts.ids?.[i];
    return id === undefined ? { command } : { command, id };
  });
  return stepsFor(calls, opts.mode, opts.finalText);
}

function idFor(prefix: string, step: number, index: number, c: FakeToolUse): string {
  return c.id ?? `${prefix}_${step}_${index}`;
}

function answeredIds(body: Record<string, unknown>): Set<string> {
  const ids = new Set<string>();
  const messages = body['messages'];
  if (!Array.isArray(messages)) return ids;
  for (const m of messages) {
    if (!isRecord(m) || !Array.isArray(m['content'])) continue;
    for (const block of m['content'] as unknown[]) {
      if (isRecord(block) && block['type'] === 'tool_result' && typeof block['tool_use_id'] === 'string') {
        ids.add(block['tool_use_id']);
      }
    }
  }
  return ids;
}

function isMainRequest(body: Record<string, unknown>): boolean {
  const tools = body['tools'];
  return Array.isArray(tools) && tools.some((t) => isRecord(t) && t['name'] === 'Bash');
}

type Block = { type: 'text'; text: string } | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

export async function startFakeAnthropic(opts: StartFakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const prefix = opts.idPrefix ?? 'toolu_fake';
  const script = opts.script ?? claudeToolScript();
  const baseUsage = {
    input_tokens: 1000,
    output_tokens: 50,
    cache_read_input_tokens: 200,
    cache_creation_input_tokens: 0,
    ...opts.usage,
  };
  const requests: RecordedRequest[] = [];
  const issuedToolUseIds: string[] = [];
  let mainIndex = 0;
  let msgSeq = 0;

  function chooseStep(body: Record<string, unknown>): { step: FakeAnthropicStep; stepIndex: number } {
    const answered = answeredIds(body);
    if (typeof script === 'function') {
      return { step: script({ body, mainRequestIndex: mainIndex, answeredToolUseIds: answered }), stepIndex: mainIndex };
    }
    return nextStep(script, answered, (step, index, c: FakeToolUse) => idFor(prefix, step, index, c));
  }

  async function answerMessages(res: ServerResponse, body: Record<string, unknown>, rec: RecordedRequest): Promise<void> {
    const blocks: Block[] = [];
    let stopReason = 'end_turn';
    if (isMainRequest(body)) {
      const { step, stepIndex } = chooseStep(body);
      mainIndex++;
      if (opts.delayMs) await sleep(opts.delayMs);
      if (step.type === 'tools') {
        if (step.text) blocks.push({ type: 'text', text: step.text });
        step.calls.forEach((c, i) => {
          const id = idFor(prefix, stepIndex, i, c);
          issuedToolUseIds.push(id);
          const input = c.input ?? { command: c.command ?? 'echo hello', description: 'Run a command' };
          blocks.push({ type: 'tool_use', id, name: c.name ?? 'Bash', input });
        });
        stopReason = 'tool_use';
        rec.answeredWith = `tools:${step.calls.length}`;
      } else {
        blocks.push({ type: 'text', text: step.text });
        rec.answeredWith = 'message';
      }
    } else {
      blocks.push({ type: 'text', text: 'ok' });
      rec.answeredWith = 'side';
    }
    const model = typeof body['model'] === 'string' ? body['model'] : 'claude-fake';
    const id = `msg_fake_${++msgSeq}`;
    const scripted = opts.usageFor ? { ...baseUsage, ...opts.usageFor(msgSeq - 1, body) } : baseUsage;
    const usage = { ...scripted, cache_creation: { ephemeral_5m_input_tokens: scripted.cache_creation_input_tokens, ephemeral_1h_input_tokens: 0 } };
    if (opts.requestIds) res.setHeader('request-id', `req_fake_${msgSeq}`);
    if (body['stream'] !== true) {
      sendJson(res, 200, {
        id,
        type: 'message',
        role: 'assistant',
        model,
        content: blocks,
        stop_reason: stopReason,
        stop_sequence: null,
        usage,
      });
      return;
    }
    startSse(res);
    res.write(
      sseFrame('message_start', {
        type: 'message_start',
        message: {
          id,
          type: 'message',
          role: 'assistant',
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: { ...usage, output_tokens: 1 },
        },
      }),
    );
    blocks.forEach((b, index) => {
      if (b.type === 'text') {
        res.write(sseFrame('content_block_start', { type: 'content_block_start', index, content_block: { type: 'text', text: '' } }));
        res.write(sseFrame('content_block_delta', { type: 'content_block_delta', index, delta: { type: 'text_delta', text: b.text } }));
      } else {
        res.write(
          sseFrame('content_block_start', {
            type: 'content_block_start',
            index,
            content_block: { type: 'tool_use', id: b.id, name: b.name, input: {} },
          }),
        );
        res.write(
          sseFrame('content_block_delta', {
            type: 'content_block_delta',
            index,
            delta: { type: 'input_json_delta', partial_json: JSON.stringify(b.input) },
          }),
        );
      }
      res.write(sseFrame('content_block_stop', { type: 'content_block_stop', index }));
    });
    res.write(
      sseFrame('message_delta', {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: null },
        usage: { output_tokens: usage.output_tokens },
      }),
    );
    res.write(sseFrame('message_stop', { type: 'message_stop' }));
    res.end();
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const text = await readBody(req);
    const body = parseJson(text);
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const rec: RecordedRequest = { method: req.method ?? 'GET', url, headers: req.headers, body, answeredWith: '', at: Date.now() };
    requests.push(rec);
    if (req.method === 'HEAD') {
      rec.answeredWith = 'head';
      res.writeHead(200);
      res.end();
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages/count_tokens') {
      rec.answeredWith = 'count_tokens';
      sendJson(res, 200, { input_tokens: 1000 });
      return;
    }
    if (req.method === 'POST' && path === '/v1/messages' && isRecord(body)) {
      await answerMessages(res, body, rec);
      return;
    }
    rec.answeredWith = '404';
    sendJson(res, 404, { type: 'error', error: { type: 'not_found_error', message: `fake-anthropic: no route for ${req.method} ${path}` } });
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { type: 'error', error: { type: 'api_error', message: String(err) } });
      else res.end();
    });
  });
  const port = await listenLoopback(server, opts.port ?? 0);
  return { url: `http://127.0.0.1:${port}`, port, requests, issuedToolUseIds, close: () => closeServer(server) };
}
