// One definition of "where was this session seen", used by the session-sources patch (the list
// endpoint) and by the host's live session frames, so both report the same row shape.
export const SESSION_SOURCES_COLUMN =
  "(SELECT group_concat(seen_by, ',') FROM (SELECT DISTINCT seen_by FROM events WHERE events.session_id = sessions.id)) AS sources";
