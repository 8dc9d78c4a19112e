function parsePayload(text) {
  try {
    const value = JSON.parse(text);
    if (value && typeof value === 'object' && !Array.isArray(value)) return value;
  } catch (_) {
    // fall through
  }
  return { raw: text };
}