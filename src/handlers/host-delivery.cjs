/*
 * Delivery for both hook handlers (zero dependencies): where the data folder is, which sidecar
 * to post to (runtime.json), the spool an event goes to when the post does not succeed
 * (`<dataDir>/spool/events.jsonl`, 0600, size-capped with a drop counter that survives an
 * unwritable spool), payloads nested too deep to serialize (cut and marked), delivery ids and
 * timestamps. One implementation, so the Claude and the Codex handler cannot drift apart on the
 * spool format the sidecar drains (src/sidecar/spool.ts).
 *
 * How it reaches each handler:
 *   - src/handlers/codex-hook-handler.js requires this file when run in place, and the build
 *     appends it to the installed copy (inlineDelivery in patches/lib/inline-delivery.ts), so the copy in
 *     `<dataDir>/hooks/` stays one self-contained file;
 *   - patches/handler-delivery.ts appends the same inlined text to the upstream Claude handler.
 *
 * Constraints: CommonJS only through `module.exports` at the very end; no require() of anything
 * (builtins come from the `builtin` function the handler passes in, so a handler that never
 * touches the spool never loads more than `fs`); strict-mode syntax that runs on Node 20.
 */
'use strict';

/**
 * @param {{ builtin: (name: string) => any, label: string }} options
 *   builtin: loads a Node builtin (process.getBuiltinModule or require);
 *   label: the handler's name in stderr lines ("hook", "codex hook").
 */
function createHostDelivery(options) {
  var builtin = options.builtin;
  var label = options.label;
  var DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;
  var fs = builtin('fs');

  function stderrLine(msg) {
    try {
      fs.writeSync(2, 'agent-monitor ' + label + ': ' + String(msg).replace(/[\r\n]+/g, ' ') + '\n');
    } catch (_) {
      /* nowhere left to report */
    }
  }

  function parentDir(p) {
    // Directory name without loading `path`; handles / and \ separators.
    var i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
    if (i < 0) return '.';
    if (i === 0) return p.charAt(0);
    return p.slice(0, i);
  }

  function baseName(p) {
    var i = Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\'));
    return i < 0 ? p : p.slice(i + 1);
  }

  function join(a, b) {
    var last = a.charAt(a.length - 1);
    return last === '/' || last === '\\' ? a + b : a + (process.platform === 'win32' ? '\\' : '/') + b;
  }

  /**
   * The data folder: AGENT_MONITOR_DATA_DIR, else the folder above an installed copy
   * (`<dataDir>/hooks/<handler>.js`), else `fallback` when given, else the platform default of
   * src/core/paths.ts (a handler run from a checkout must not spool into the working tree).
   */
  function dataDir(scriptPath, fallback) {
    var env = process.env.AGENT_MONITOR_DATA_DIR;
    if (env) return env;
    var here = parentDir(scriptPath);
    if (baseName(here) === 'hooks') return parentDir(here);
    if (fallback) return fallback;
    var home = builtin('os').homedir();
    if (process.platform === 'win32') return join(process.env.APPDATA || join(join(home, 'AppData'), 'Roaming'), 'agent-monitor-host');
    if (process.platform === 'darwin') return join(join(join(home, 'Library'), 'Application Support'), 'agent-monitor-host');
    var xdg = process.env.XDG_DATA_HOME;
    return join(xdg && xdg.charAt(0) === '/' ? xdg : join(join(home, '.local'), 'share'), 'agent-monitor-host');
  }

  /** `{port, token}` of a live sidecar from `<dir>/runtime.json`, or null (the sidecar is down). */
  function readRuntime(dir) {
    var rt;
    try {
      rt = JSON.parse(fs.readFileSync(join(dir, 'runtime.json'), 'utf8'));
    } catch (_) {
      return null; // missing, unreadable or malformed
    }
    if (!rt || typeof rt !== 'object') return null;
    var port = rt.port;
    if (typeof port !== 'number' || port !== Math.floor(port) || port < 1 || port > 65535) return null;
    if (typeof rt.token !== 'string' || !rt.token || /[\r\n]/.test(rt.token)) return null;
    if (typeof rt.pid === 'number' && rt.pid > 0 && rt.pid !== process.pid) {
      // A runtime file left behind by a sidecar that died: don't knock on a port that another
      // program may own by now. EPERM means the process exists (another user): keep going.
      try {
        process.kill(rt.pid, 0);
      } catch (e) {
        if (e && e.code === 'ESRCH') return null;
      }
    }
    return { port: port, token: rt.token };
  }

  function uuidV4() {
    var b = null;
    var fd = -1;
    try {
      fd = fs.openSync('/dev/urandom', 'r');
      b = Buffer.alloc(16);
      if (fs.readSync(fd, b, 0, 16, null) !== 16) b = null;
    } catch (_) {
      b = null;
    }
    if (fd >= 0) {
      try {
        fs.closeSync(fd);
      } catch (_) {
        /* ignore */
      }
    }
    if (!b) {
      try {
        return builtin('crypto').randomUUID();
      } catch (_) {
        b = Buffer.alloc(16);
        for (var i = 0; i < 16; i++) b[i] = Math.floor(Math.random() * 256);
      }
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    var h = b.toString('hex');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  // Date#toISOString() costs ~0.7 ms on its first call (lazy date machinery); this doesn't.
  function isoNow() {
    var ms = Date.now();
    var days = Math.floor(ms / 86400000);
    var rem = ms - days * 86400000;
    // Civil date from days since 1970-01-01 (H. Hinnant's algorithm).
    var z = days + 719468;
    var era = Math.floor(z / 146097);
    var doe = z - era * 146097;
    var yoe = Math.floor((doe - Math.floor(doe / 1460) + Math.floor(doe / 36524) - Math.floor(doe / 146096)) / 365);
    var doy = doe - (365 * yoe + Math.floor(yoe / 4) - Math.floor(yoe / 100));
    var mp = Math.floor((5 * doy + 2) / 153);
    var d = doy - Math.floor((153 * mp + 2) / 5) + 1;
    var m = mp < 10 ? mp + 3 : mp - 9;
    var y = yoe + era * 400 + (m <= 2 ? 1 : 0);
    function pad(n, w) {
      var t = String(n);
      while (t.length < w) t = '0' + t;
      return t;
    }
    return (
      pad(y, 4) + '-' + pad(m, 2) + '-' + pad(d, 2) + 'T' +
      pad(Math.floor(rem / 3600000), 2) + ':' + pad(Math.floor(rem / 60000) % 60, 2) + ':' +
      pad(Math.floor(rem / 1000) % 60, 2) + '.' + pad(rem % 1000, 3) + 'Z'
    );
  }

  function spoolMaxBytes() {
    var v = Number(process.env.AGENT_MONITOR_SPOOL_MAX_BYTES);
    return v > 0 ? v : DEFAULT_SPOOL_MAX_BYTES;
  }

  // Where a drop is counted: spool/dropped.json, else <dataDir>/spool-dropped.json, else a private
  // per-user folder under the temp dir (src/sidecar/spool-files.ts fallbackDropFile reads the
  // same places), so an unwritable spool (a file, read-only, another owner) still counts its drops.
  function fallbackDropFile(dir) {
    try {
      var os = builtin('os');
      var path = builtin('path');
      var uid = typeof process.getuid === 'function' ? process.getuid() : 0;
      var base = path.join(os.tmpdir(), 'agent-monitor-' + uid);
      try {
        fs.mkdirSync(base, { mode: 448 }); // 0700
      } catch (e) {
        if (!e || e.code !== 'EEXIST') return null;
      }
      var st = fs.lstatSync(base);
      if (!st.isDirectory()) return null;
      if (typeof process.getuid === 'function' && st.uid !== uid) return null; // someone else's: never use it
      if ((st.mode & 63) !== 0) fs.chmodSync(base, 448);
      var key = path.resolve(dir).replace(/[^A-Za-z0-9._-]/g, '_');
      if (key.length > 120) key = key.slice(key.length - 120);
      return path.join(base, key + '.dropped.json');
    } catch (_) {
      return null;
    }
  }

  /** Adds one to the counter in `file` (temp + rename); the new count, or 0 when it cannot be written. */
  function bumpCounter(file) {
    var n = 0;
    try {
      var prev = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (prev && typeof prev.dropped === 'number' && prev.dropped >= 0) n = prev.dropped;
    } catch (_) {
      /* missing or unreadable: start at 0 */
    }
    n += 1;
    var tmp = file + '.' + process.pid + '.tmp';
    try {
      fs.writeFileSync(tmp, JSON.stringify({ dropped: n, lastDroppedAt: isoNow() }) + '\n', { mode: 384 }); // 0600
      fs.renameSync(tmp, file);
      return n;
    } catch (_) {
      try {
        fs.unlinkSync(tmp);
      } catch (_e) {
        /* never created */
      }
      return 0;
    }
  }

  /** Counts a dropped event where the sidecar and `status` read it, and says so in one stderr line. */
  function countDrop(dir, why) {
    var files = [join(join(dir, 'spool'), 'dropped.json'), join(dir, 'spool-dropped.json')];
    for (var i = 0; i <= files.length; i++) {
      var file = i < files.length ? files[i] : fallbackDropFile(dir);
      if (!file) break;
      var n = bumpCounter(file);
      if (n > 0) {
        stderrLine(why + '; event dropped, ' + n + ' dropped so far (' + file + ')');
        return;
      }
    }
    stderrLine(why + '; event dropped, and it could not be counted anywhere');
  }

  // Values nested deeper than this are cut and listed in __truncated, as the sidecar does
  // (src/sidecar/host/truncate.ts): JSON.stringify recurses and overflows ~10,000 levels down.
  var MAX_DEPTH = 64;
  function tooDeep(v, depth) {
    if (v === null || typeof v !== 'object') return false;
    if (depth >= MAX_DEPTH) return true;
    var keys = Object.keys(v);
    for (var i = 0; i < keys.length; i++) if (tooDeep(v[keys[i]], depth + 1)) return true;
    return false;
  }
  function cutDeep(value, path, depth, cut) {
    if (value === null || typeof value !== 'object') return value;
    if (depth >= MAX_DEPTH) {
      cut.push(path);
      return '[truncated: nested more than ' + MAX_DEPTH + ' levels deep]';
    }
    if (Array.isArray(value)) {
      var arr = new Array(value.length);
      for (var i = 0; i < value.length; i++) arr[i] = cutDeep(value[i], path + '[' + i + ']', depth + 1, cut);
      return arr;
    }
    var out = {};
    var keys = Object.keys(value);
    for (var k = 0; k < keys.length; k++) {
      // defineProperty: a "__proto__" key stays data, never becomes the prototype.
      Object.defineProperty(out, keys[k], {
        value: cutDeep(value[keys[k]], path ? path + '.' + keys[k] : keys[k], depth + 1, cut),
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    return out;
  }
  /** The payload itself, or a copy with everything deeper than 64 levels cut and marked. */
  function bounded(data) {
    if (!tooDeep(data, 0)) return data;
    var cut = [];
    var out = cutDeep(data, '', 0, cut);
    out.__truncated = cut;
    return out;
  }

  /** Appends `{hook_type, data, spooled_at}` to `<dir>/spool/events.jsonl`; never throws. */
  function spool(dir, hookType, data, attempt) {
    try {
      var spoolDir = join(dir, 'spool');
      var file = join(spoolDir, 'events.jsonl');
      var line = Buffer.from(JSON.stringify({ hook_type: hookType, data: bounded(data), spooled_at: isoNow() }) + '\n', 'utf8');
      var moved = false;
      var fd;
      try {
        fd = fs.openSync(file, 'a', 384); // O_APPEND, created 0600
      } catch (e) {
        if (!e || e.code !== 'ENOENT') throw e;
        fs.mkdirSync(spoolDir, { recursive: true, mode: 448 }); // 0700
        fd = fs.openSync(file, 'a', 384);
      }
      try {
        var max = spoolMaxBytes();
        if (fs.fstatSync(fd).size + line.length > max) {
          countDrop(dir, 'spool is full (' + max + ' bytes cap, event of ' + line.length + ' bytes); start the agent monitor so it can drain it');
          return;
        }
        // One write on an O_APPEND descriptor: concurrent handlers never interleave their lines.
        var off = 0;
        while (off < line.length) off += fs.writeSync(fd, line, off, line.length - off);
        // The sidecar may have renamed this file for draining between our open and our write, and
        // even deleted it after its last read: the line would be lost. If the file we wrote is no
        // longer the live spool, write the line again (the sidecar dedups a double delivery).
        var mine = fs.fstatSync(fd);
        var live = null;
        try {
          live = fs.statSync(file);
        } catch (_) {
          live = null;
        }
        moved = (!live || live.ino !== mine.ino || live.dev !== mine.dev) && (attempt || 0) < 3;
      } finally {
        fs.closeSync(fd);
      }
      if (moved) spool(dir, hookType, data, (attempt || 0) + 1);
    } catch (e) {
      countDrop(dir, 'could not spool a ' + hookType + ' event (' + (e && e.message ? e.message : e) + ')');
    }
  }

  /**
   * Posts a `{hook_type, data}` JSON body to the sidecar of `dir` over HTTP with its token and
   * resolves once it is stored (a 2xx within `timeoutMs`) or spooled (anything else, or no live
   * sidecar). Never rejects. The Claude handler uses it; the Codex handler, which must not load
   * `http` (startup cost, see its header), writes the same request over `net` itself.
   */
  function post(dir, body, timeoutMs) {
    var spoolBody = function () {
      var parsed = null;
      try {
        parsed = JSON.parse(body);
      } catch (_) {
        parsed = { hook_type: 'Unknown', data: { raw: String(body) } };
      }
      spool(dir, parsed.hook_type, parsed.data);
    };
    var rt = readRuntime(dir);
    if (!rt) {
      spoolBody();
      return Promise.resolve();
    }
    return new Promise(function (resolve) {
      var settled = false;
      var settle = function (ok) {
        if (settled) return;
        settled = true;
        if (!ok) spoolBody();
        resolve();
      };
      try {
        var req = builtin('http').request(
          {
            host: '127.0.0.1',
            port: rt.port,
            path: '/api/hooks/event',
            method: 'POST',
            agent: false,
            headers: {
              'Content-Type': 'application/json',
              'Content-Length': Buffer.byteLength(body),
              Authorization: 'Bearer ' + rt.token,
            },
          },
          function (res) {
            res.resume();
            settle(res.statusCode >= 200 && res.statusCode < 300);
          },
        );
        req.setTimeout(timeoutMs || 1000, function () {
          req.destroy();
          settle(false);
        });
        req.on('error', function () {
          settle(false);
        });
        req.end(body);
      } catch (_) {
        settle(false);
      }
    });
  }

  return { dataDir: dataDir, readRuntime: readRuntime, spool: spool, post: post, bounded: bounded, uuidV4: uuidV4, isoNow: isoNow, stderrLine: stderrLine };
}

module.exports = createHostDelivery;
