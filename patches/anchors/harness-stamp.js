stmts.insertSession.run({
    id: sessionId,
    name: null,
    cwd: data.cwd || null,
    model: data.model || null,
    transcript_path: data.transcript_path || null,
    now,
  });