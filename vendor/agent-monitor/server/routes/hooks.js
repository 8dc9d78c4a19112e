'use strict';

// POST /api/hooks/event: one Claude Code hook event per request, as sent by scripts/hook-handler.js.

const { db, stmts } = require('../db');
const { readTranscriptUsage } = require('../lib/transcript');
const { broadcast } = require('../lib/stream');

// Which session status a hook event moves the session to.
const STATUS_BY_HOOK = {
  SessionStart: 'active',
  UserPromptSubmit: 'active',
  PreToolUse: 'active',
  PostToolUse: 'active',
  Notification: 'waiting',
  Stop: 'waiting',
  SessionEnd: 'completed',
};

function clip(text, max) {
  if (typeof text !== 'string') return '';
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length > max ? `${oneLine.slice(0, max - 1)}…` : oneLine;
}

function summarize(hookType, data) {
  switch (hookType) {
    case 'SessionStart':
      return `Session started${data.source ? ` (${data.source})` : ''}`;
    case 'SessionEnd':
      return `Session ended${data.reason ? ` (${data.reason})` : ''}`;
    case 'UserPromptSubmit':
      return clip(data.prompt, 160) || 'Prompt submitted';
    case 'PreToolUse':
    case 'PostToolUse': {
      const input = data.tool_input || {};
      const detail = input.command || input.file_path || input.pattern || input.url || input.description || '';
      const verb = hookType === 'PreToolUse' ? '' : 'done: ';
      return clip(`${verb}${data.tool_name || 'tool'}${detail ? ` ${typeof detail === 'string' ? detail : JSON.stringify(detail)}` : ''}`, 160);
    }
    case 'Notification':
      return clip(data.message, 160) || 'Notification';
    case 'Stop':
    case 'SubagentStop':
      return clip(data.last_assistant_message, 160) || 'Turn finished';
    case 'PreCompact':
      return `Compacting context${data.trigger ? ` (${data.trigger})` : ''}`;
    default:
      return hookType;
  }
}

const processEvent = db.transaction((hookType, data) => {
  const sessionId = data.session_id || 'unknown';
  const now = new Date().toISOString();

  stmts.insertSession.run({
    id: sessionId,
    name: null,
    cwd: data.cwd || null,
    model: data.model || null,
    transcript_path: data.transcript_path || null,
    now,
  });

  const summary = summarize(hookType, data);
  const info = stmts.insertEvent.run({
    session_id: sessionId,
    hook_type: hookType,
    tool_name: data.tool_name || null,
    summary,
    data: JSON.stringify(data),
    created_at: now,
  });

  stmts.touchSession.run({
    id: sessionId,
    now,
    cwd: data.cwd || null,
    transcript_path: data.transcript_path || null,
  });

  const nextStatus = STATUS_BY_HOOK[hookType];
  if (nextStatus) {
    stmts.setSessionStatus.run({
      id: sessionId,
      status: nextStatus,
      ended_at: nextStatus === 'completed' ? now : null,
    });
  }

  // Model and token usage come from the session transcript.
  const usage = readTranscriptUsage(data.transcript_path);
  if (usage) {
    if (usage.model) stmts.setSessionModel.run({ id: sessionId, model: usage.model });
    stmts.setSessionUsage.run({
      id: sessionId,
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_tokens: usage.cache_read_tokens,
      cache_write_tokens: usage.cache_write_tokens,
    });
  } else if (data.model) {
    stmts.setSessionModel.run({ id: sessionId, model: data.model });
  }

  return {
    id: Number(info.lastInsertRowid),
    session_id: sessionId,
    hook_type: hookType,
    tool_name: data.tool_name || null,
    summary,
    created_at: now,
  };
});

function sendJson(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
}

function handleHookPost(req, res, body) {
  let payload;
  try {
    payload = JSON.parse(body);
  } catch (_) {
    return sendJson(res, 400, { error: 'body is not valid JSON' });
  }
  const hookType = payload && payload.hook_type;
  const data = payload && payload.data;
  if (typeof hookType !== 'string' || !data || typeof data !== 'object' || Array.isArray(data)) {
    return sendJson(res, 400, { error: 'expected {"hook_type": string, "data": object}' });
  }

  let event;
  try {
    event = processEvent(hookType, data);
  } catch (err) {
    console.error('[agent-monitor] failed to store event:', err.message);
    return sendJson(res, 500, { error: 'failed to store event' });
  }

  broadcast('new_event', event);
  broadcast('session_updated', stmts.getSession.get(event.session_id));
  return sendJson(res, 200, { ok: true, event_id: event.id });
}

module.exports = { processEvent, handleHookPost, summarize, sendJson };
