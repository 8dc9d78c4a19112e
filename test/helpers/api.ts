// The sidecar's read API as the tests see it: row shapes of /api/sessions and /api/sessions/:id/events.

export interface ApiEvent {
  id: number;
  session_id: string;
  hook_type: string;
  tool_name: string | null;
  summary: string | null;
  source: string;
  seen_by: string;
  dedup_key: string | null;
  created_at: string;
  data: Record<string, unknown> | null;
}

export interface ApiSession {
  id: string;
  status: string;
  harness: string;
  model: string | null;
  cwd: string | null;
  event_count: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  sources?: string | null;
}


export async function sessionEvents(sidecar: { get: <T>(pathname: string) => Promise<T> }, sessionId: string): Promise<ApiEvent[]> {
  const { events } = await sidecar.get<{ events: ApiEvent[] }>(`/api/sessions/${encodeURIComponent(sessionId)}/events`);
  return events;
}
