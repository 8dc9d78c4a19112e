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
 *
 * Runtime discovery, the spool, delivery ids and timestamps live in src/handlers/host-delivery.cjs,
 * shared with the Claude handler. The build appends that module to the installed copy (so the
 * copy is still one file and loads nothing extra); run in place, this file requires it.
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

  function scriptPath() {
    // eslint-disable-next-line no-undef
    if (typeof __filename === 'string' && __filename) return __filename;
    return process.argv[1] || '';
  }

  // The delivery module shared with the Claude handler (src/handlers/host-delivery.cjs): the
  // installed copy carries it inlined (hostDeliveryModule, appended by the build); run in place
  // from the checkout, it is required from next to this file.
  function loadDelivery() {
    // eslint-disable-next-line no-undef
    var create = typeof hostDeliveryModule === 'function' ? hostDeliveryModule() : builtin('module').createRequire(scriptPath())('./host-delivery.cjs');
    return create({ builtin: builtin, label: 'codex hook' });
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

  var delivery = null;
  function stderrLine(msg) {
    if (delivery) delivery.stderrLine(msg);
  }

  try {
    fs = builtin('fs');
    delivery = loadDelivery();
    var dir = delivery.dataDir(scriptPath());
    var rt = delivery.readRuntime(dir);
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
      data = delivery.bounded(ok ? parsed : { raw: text });
      data.__provider = 'codex';
      data.__delivery_id = delivery.uuidV4();
      hookType =
        hookTypeArg ||
        (typeof data.hook_event_name === 'string' && data.hook_event_name ? data.hook_event_name : '') ||
        'Unknown';
    };

    if (!rt) {
      prepare();
      delivery.spool(dir, hookType, data);
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
      delivery.spool(dir, hookType, data);
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
