insertEvent: db.prepare(`
    INSERT INTO events (session_id, hook_type, tool_name, summary, data, created_at)
    VALUES (@session_id, @hook_type, @tool_name, @summary, @data, @created_at)
  `)