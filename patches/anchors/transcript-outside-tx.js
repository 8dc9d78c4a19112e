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