function visibleSessions() {
  return [...state.sessions.values()].sort((a, b) => (a.updated_at < b.updated_at ? 1 : -1));
}