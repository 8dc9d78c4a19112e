/**
 * Imported before uPlot, which formats numbers with `new Intl.NumberFormat(navigator.language)`
 * when its module loads. Some browsers report a tag that is not valid BCP 47 (a Chromium started
 * under LANG=C.UTF-8 says "en-US@posix"), and that constructor then throws, taking every usage
 * panel down with it. Where the tag is invalid, the page reports its base language instead.
 */
function validTag(tag: string): boolean {
  try {
    new Intl.NumberFormat(tag);
    return true;
  } catch {
    return false;
  }
}

const reported = typeof navigator === 'undefined' ? 'en-US' : navigator.language;
if (!validTag(reported)) {
  const base = reported.split(/[@.]/)[0] ?? '';
  const usable = validTag(base) ? base : 'en-US';
  Object.defineProperty(Navigator.prototype, 'language', { configurable: true, get: () => usable });
}

export {};
