/*
 * Codex CLI hook handler for the agent monitor (zero dependencies).
 *
 * Codex runs `node "<dataDir>/hooks/codex-hook-handler.js" <EventName>` for every lifecycle
 * event, with the event payload as one JSON object on stdin (no trailing newline guarantee).
 * Codex blocks the agent's turn while this runs and gives stdout and the exit code a meaning
 * (docs/contracts.md "Codex hook execution"), so this file:
 *   - never writes to stdout and always exits 0, whatever happens;
 *   - posts `{hook_type, data}` to the sidecar named in runtime.json, waiting only a few
 *     milliseconds for the reply;
 *   - appends the event to `<dataDir>/spool/events.jsonl` (0600, size-capped) when the post
 *     does not succeed in time. Every event carries a fresh `__delivery_id`, and the sidecar
 *     dedups on it, so an event that is both stored and spooled is stored once.
 *
 * Module-system agnostic: the same bytes run as CommonJS (the copy in `<dataDir>/hooks/`, where
 * no package.json applies) and as an ES module (in the repository's src/handlers/, under
 * "type": "module"). Hence no import/export/require at the top level, no `import.meta`, no
 * top-level `return`, strict-mode-only syntax; builtins come from `process.getBuiltinModule`
 * (Node >= 20.16) or `require` (CommonJS on older Node), and the script's own path from
 * `__filename` or `process.argv[1]` (which Node resolves to an absolute path).
 *
 * Cost: only `fs` is touched on the way in (already loaded by Node's bootstrap); `net` is loaded
 * only when a runtime file names a live sidecar. A hand-written HTTP/1.1 request over `net`
 * avoids loading `http`; the delivery id comes from /dev/urandom instead of loading `crypto`.
 * scripts/bench/handler.ts measures the result against a bare `node -e 0`.
 */
'use strict';

(function codexHookHandler() {
  // How long to wait for the sidecar, in ms: for the connection to be established (on top of
  // the reply wait), then for the status line once the request is flushed. Loopback answers take
  // about a millisecond; a slower sidecar just means the event goes through the spool (the
  // sidecar drains it within a second, dedup makes a double delivery harmless).
  // AGENT_MONITOR_HOOK_WAIT_MS overrides both (tests on a loaded machine).
  var WAIT_OVERRIDE = Number(process.env.AGENT_MONITOR_HOOK_WAIT_MS);
  var CONNECT_WAIT_MS = WAIT_OVERRIDE > 0 ? WAIT_OVERRIDE : 5;
  var RESPONSE_WAIT_MS = WAIT_OVERRIDE > 0 ? WAIT_OVERRIDE : 3;
  var DEFAULT_SPOOL_MAX_BYTES = 64 * 1024 * 1024;

  var finished = false;
  function finish() {
    if (finished) return;
    finished = true;
    process.exit(0);
  }

  // Last-resort guards: nothing may change the exit code or reach stdout.
  try {
    process.on('uncaughtException', finish);
    process.on('unhandledRejection', finish);
  } catch (_) {
    /* ignore */
  }

  var fs;
  function builtin(name) {
    if (typeof process.getBuiltinModule === 'function') return process.getBuiltinModule(name);
    // eslint-disable-next-line no-undef
    if (typeof require === 'function') return require(name);
    throw new Error('cannot load node:' + name);
  }

  function stderrLine(msg) {
    try {
      fs.writeSync(2, 'agent-monitor codex hook: ' + String(msg).replace(/[\r\n]+/g, ' ') + '\n');
    } catch (_) {
      /* nowhere left to report */
    }
  }

  function scriptPath() {
    // eslint-disable-next-line no-undef
    if (typeof __filename === 'string' && __filename) return __filename;
    return process.argv[1] || '';
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

  // The data dir: AGENT_MONITOR_DATA_DIR, else the folder above an installed copy
  // (<dataDir>/hooks/codex-hook-handler.js), else the platform default of src/core/paths.ts.
  // The last case is a handler run from a checkout (src/handlers/): it must not spool into
  // the working tree.
  function dataDir() {
    var env = process.env.AGENT_MONITOR_DATA_DIR;
    if (env) return env;
    var here = parentDir(scriptPath());
    if (baseName(here) === 'hooks') return parentDir(here);
    var home = builtin('os').homedir();
    if (process.platform === 'win32') return join(process.env.APPDATA || join(join(home, 'AppData'), 'Roaming'), 'agent-monitor-host');
    if (process.platform === 'darwin') return join(join(join(home, 'Library'), 'Application Support'), 'agent-monitor-host');
    var xdg = process.env.XDG_DATA_HOME;
    return join(xdg && xdg.charAt(0) === '/' ? xdg : join(join(home, '.local'), 'share'), 'agent-monitor-host');
  }

  function join(a, b) {
    var last = a.charAt(a.length - 1);
    return last === '/' || last === '\\' ? a + b : a + (process.platform === 'win32' ? '\\' : '/') + b;
  }

  function readStdin() {
    var chunks = [];
    var total = 0;
    var buf = Buffer.allocUnsafe(65536);
    var sleeper = null;
    for (;;) {
      var n;
      try {
        n = fs.readSync(0, buf, 0, buf.length, null);
      } catch (e) {
        var code = e && e.code;
        if (code === 'EAGAIN') {
          // A non-blocking stdin: wait a moment and retry (synchronously, no stream machinery).
          if (!sleeper) sleeper = new Int32Array(new SharedArrayBuffer(4));
          Atomics.wait(sleeper, 0, 0, 2);
          continue;
        }
        if (code === 'EINTR') continue;
        break; // EOF (Windows pipes), EBADF (no stdin), ...: use what we have
      }
      if (n === 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
      total += n;
    }
    return Buffer.concat(chunks, total).toString('utf8');
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

  function readRuntime(dir) {
    var rt;
    try {
      rt = JSON.parse(fs.readFileSync(join(dir, 'runtime.json'), 'utf8'));
    } catch (_) {
      return null; // missing, unreadable or malformed: the sidecar is down
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

  function spoolMaxBytes() {
    var v = Number(process.env.AGENT_MONITOR_SPOOL_MAX_BYTES);
    return v > 0 ? v : DEFAULT_SPOOL_MAX_BYTES;
  }

  function recordDrop(spoolDir, lineBytes, max) {
    var file = join(spoolDir, 'dropped.json');
    var n = 0;
    try {
      var prev = JSON.parse(fs.readFileSync(file, 'utf8'));
      if (prev && typeof prev.dropped === 'number' && prev.dropped >= 0) n = prev.dropped;
    } catch (_) {
      /* missing or unreadable: start at 0 */
    }
    n += 1;
    try {
      var tmp = file + '.' + process.pid + '.tmp';
      fs.writeFileSync(tmp, JSON.stringify({ dropped: n, lastDroppedAt: isoNow() }) + '\n', {
        mode: 384, // 0600
      });
      fs.renameSync(tmp, file);
    } catch (_) {
      /* best effort */
    }
    stderrLine(
      'spool is full (' + max + ' bytes cap, event of ' + lineBytes + ' bytes); event dropped, ' + n +
        ' dropped so far (' + file + '). Start the agent monitor so it can drain the spool.',
    );
  }

  function spool(dir, hookType, data) {
    try {
      var spoolDir = join(dir, 'spool');
      var file = join(spoolDir, 'events.jsonl');
      var line = Buffer.from(
        JSON.stringify({ hook_type: hookType, data: data, spooled_at: isoNow() }) + '\n',
        'utf8',
      );
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
          recordDrop(spoolDir, line.length, max);
          return;
        }
        // One write on an O_APPEND descriptor: concurrent handlers never interleave their lines.
        var off = 0;
        while (off < line.length) off += fs.writeSync(fd, line, off, line.length - off);
      } finally {
        fs.closeSync(fd);
      }
    } catch (e) {
      stderrLine('could not spool a ' + hookType + ' event: ' + (e && e.message ? e.message : e));
    }
  }

  try {
    fs = builtin('fs');
    var dir = dataDir();
    var rt = readRuntime(dir);
    var hookTypeArg = process.argv[2];

    // Read the payload first when the sidecar is down; otherwise let the TCP connect run while
    // stdin is read, and only then send.
    var data = null;
    var hookType = null;
    var prepare = function () {
      var text = readStdin();
      var parsed;
      var ok = false;
      try {
        parsed = JSON.parse(text);
        ok = parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed);
      } catch (_) {
        ok = false;
      }
      data = ok ? parsed : { raw: text };
      data.__provider = 'codex';
      data.__delivery_id = uuidV4();
      hookType =
        hookTypeArg ||
        (typeof data.hook_event_name === 'string' && data.hook_event_name ? data.hook_event_name : '') ||
        'Unknown';
    };

    if (!rt) {
      prepare();
      spool(dir, hookType, data);
      finish();
      return;
    }

    // Connect first (asynchronous), read stdin while the handshake completes, then queue the
    // request on the socket: net flushes it the moment the connection is up.
    var net = builtin('net');
    var socket = null;
    var done = false;
    var timer = null;
    var head = '';
    var end = function (status) {
      if (done) return;
      done = true;
      if (timer) clearTimeout(timer);
      if (status >= 200 && status < 300) {
        finish();
        return;
      }
      if (status !== 0) {
        stderrLine(
          'the agent monitor at 127.0.0.1:' + rt.port + ' answered ' +
            (status > 0 ? 'HTTP ' + status : 'something that is not HTTP') + '; event spooled',
        );
      }
      spool(dir, hookType, data);
      finish();
    };
    var arm = function (ms) {
      if (timer) clearTimeout(timer);
      timer = setTimeout(function () {
        end(0);
      }, ms);
    };
    try {
      socket = net.connect({ port: rt.port, host: '127.0.0.1' });
      socket.setNoDelay(true);
      socket.on('error', function () {
        end(0); // refused, reset, ...: spool
      });
      socket.on('close', function () {
        end(0); // closed without a status line: spool
      });
      socket.on('data', function (chunk) {
        head += chunk.toString('latin1');
        if (head.indexOf('\r\n') < 0 && head.length < 64) return;
        var m = /^HTTP\/\d(?:\.\d)? (\d{3})/.exec(head);
        end(m ? Number(m[1]) : -1);
      });
    } catch (_) {
      socket = null;
    }
    prepare();
    if (!socket) {
      end(0);
      return;
    }
    var payload = Buffer.from(JSON.stringify({ hook_type: hookType, data: data }), 'utf8');
    var request =
      'POST /api/hooks/event HTTP/1.1\r\n' +
      'Host: 127.0.0.1:' + rt.port + '\r\n' +
      'Content-Type: application/json\r\n' +
      'Authorization: Bearer ' + rt.token + '\r\n' +
      'Content-Length: ' + payload.length + '\r\n' +
      'Connection: close\r\n\r\n';
    // The callback runs once the bytes are handed to the kernel, i.e. after the connect.
    socket.write(Buffer.concat([Buffer.from(request, 'latin1'), payload]), function (err) {
      if (err) end(0);
      else arm(RESPONSE_WAIT_MS);
    });
    arm(CONNECT_WAIT_MS + RESPONSE_WAIT_MS); // covers a connect that never completes
  } catch (e) {
    stderrLine('unexpected error: ' + (e && e.message ? e.message : e));
    finish();
  }
})();
