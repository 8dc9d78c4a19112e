const info = stmts.insertEvent.run({
    session_id: sessionId,
    hook_type: hookType,
    tool_name: data.tool_name || null,
    summary,
    data: JSON.stringify(data),
    created_at: now,
  });