// One definition of "where was this session seen", used by the session-sources patch (the list
// endpoint) and by the host's live session frames, so both report the same row shape.
// seen_by is one of 'hook', 'rollout', 'hook,rollout' (src/sidecar/schema.ts markSeen); each
// EXISTS is one seek on idx_events_seen, so the cost does not grow with the session's length
// (it runs on every hook post).
const seenBy = (source: 'hook' | 'rollout'): string =>
  `SELECT '${source}' AS v WHERE EXISTS (SELECT 1 FROM events WHERE events.session_id = sessions.id AND events.seen_by IN ('${source}', 'hook,rollout'))`;

export const SESSION_SOURCES_COLUMN = `(SELECT group_concat(v, ',') FROM (${seenBy('hook')} UNION ALL ${seenBy('rollout')})) AS sources`;
