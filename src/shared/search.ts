/**
 * Markers around the matched words in a search hit's `snippet` (GET /api/search,
 * docs/contracts.md "Dashboard API"): the sidecar's FTS5 `snippet()` call writes them, the
 * dashboard splits on them to highlight. Control characters, so they never occur in event text.
 */
export const SNIPPET_OPEN = '\u0002';
export const SNIPPET_CLOSE = '\u0003';
