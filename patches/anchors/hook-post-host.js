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