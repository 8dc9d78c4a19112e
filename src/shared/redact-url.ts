/**
 * A connection string fit for a log line or a status document: the password of the userinfo part
 * and every `password=` parameter (URL query, or the `key=value` form libpq also accepts) are
 * replaced by `***`. Pure string code (no Node built-ins), so every side may import it.
 */

const MASK = '***';

/** Keys whose value is a secret, in a query string or a libpq keyword/value string. */
const SECRET_KEYS = new Set(['password', 'pass', 'passwd', 'sslpassword', 'sslkey_password']);

function redactQuery(query: string): string {
  return query
    .split('&')
    .map((part) => {
      const eq = part.indexOf('=');
      if (eq < 0) return part;
      let key = part.slice(0, eq);
      try {
        key = decodeURIComponent(key);
      } catch {
        // a malformed escape: compare the raw key
      }
      return SECRET_KEYS.has(key.toLowerCase()) ? `${part.slice(0, eq)}=${MASK}` : part;
    })
    .join('&');
}

/** libpq keyword/value form: `host=db user=me password='x y'` (values may be single-quoted). */
function redactKeywordValue(s: string): string {
  return s.replace(/(\b[A-Za-z_]+)\s*=\s*('(?:\\.|[^'\\])*'|\S*)/g, (whole, key: string) =>
    SECRET_KEYS.has(key.toLowerCase()) ? `${key}=${MASK}` : whole,
  );
}

export function redactUrl(raw: string): string {
  if (typeof raw !== 'string' || raw === '') return '';
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(raw);
  if (!scheme) return redactKeywordValue(raw);
  const afterScheme = scheme[0].length;
  // Authority ends at the first '/', '?' or '#' after the scheme; userinfo is before its LAST '@'
  // (a password may contain an unescaped '@').
  const rest = raw.slice(afterScheme);
  const hashAt = rest.indexOf('#');
  const noHash = hashAt >= 0 ? rest.slice(0, hashAt) : rest;
  const queryAt = noHash.indexOf('?');
  const beforeQuery = queryAt >= 0 ? noHash.slice(0, queryAt) : noHash;
  const at = beforeQuery.lastIndexOf('@');
  let out = scheme[0];
  let pathPart = beforeQuery;
  if (at >= 0) {
    const userinfo = beforeQuery.slice(0, at);
    const colon = userinfo.indexOf(':');
    out += colon >= 0 ? `${userinfo.slice(0, colon)}:${MASK}@` : `${userinfo}@`;
    pathPart = beforeQuery.slice(at + 1);
  }
  out += pathPart;
  if (queryAt >= 0) out += `?${redactQuery(noHash.slice(queryAt + 1))}`;
  // A fragment carries nothing a connection needs; drop it rather than risk a secret in it.
  return out;
}

/** Every occurrence of `secret` (and of the URL's password) in a message, e.g. a driver error text. */
export function redactSecretsIn(message: string, url: string): string {
  let out = message;
  const secrets = new Set<string>();
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//.exec(url);
  if (scheme) {
    const rest = url.slice(scheme[0].length).split(/[/?#]/)[0] ?? '';
    const at = rest.lastIndexOf('@');
    const colon = at >= 0 ? rest.slice(0, at).indexOf(':') : -1;
    if (colon >= 0) {
      const pw = rest.slice(colon + 1, at);
      secrets.add(pw);
      try {
        secrets.add(decodeURIComponent(pw));
      } catch {
        // keep the raw form only
      }
    }
  }
  for (const m of url.matchAll(/(?:^|[?&\s])(?:password|pass|passwd|sslpassword)=('(?:\\.|[^'\\])*'|[^&\s#]*)/gi)) {
    const v = m[1]!.replace(/^'|'$/g, '');
    secrets.add(v);
    try {
      secrets.add(decodeURIComponent(v));
    } catch {
      // keep the raw form only
    }
  }
  out = out.split(url).join(redactUrl(url));
  for (const s of secrets) if (s !== '') out = out.split(s).join(MASK);
  return out;
}

/**
 * Any text that may quote a URL or a libpq `password=` pair (an error message from a status
 * document): every `scheme://…` in it goes through redactUrl, every password parameter is masked.
 * For when the original URL is not at hand (otherwise prefer redactSecretsIn).
 */
export function redactUrlsIn(text: string): string {
  if (typeof text !== 'string' || text === '') return '';
  return redactKeywordValue(text.replace(/[A-Za-z][A-Za-z0-9+.-]*:\/\/[^\s'"<>()]+/g, (url) => redactUrl(url)));
}
