li.append(
    el('span', 'time', fmtTime(event.created_at)),
    el('span', 'type', event.tool_name ? `${event.hook_type} · ${event.tool_name}` : event.hook_type),
    el('span', 'summary', event.summary || ''),
  )