#!/bin/sh
# Codex CLI hook handler for the agent monitor: POSIX sh + curl, no Node start per event.
#
# Codex runs `/bin/sh "<dataDir>/hooks/codex-hook.sh" <EventName>` with the event payload (one
# JSON object, no trailing newline guarantee) on stdin, and waits until the process has exited
# and its stdout and stderr are closed. The contract is the one of codex-hook-handler.js next to
# this file (docs/contracts.md "Codex hook handlers"), tested by the same suite (test/handler/):
#   - nothing on stdout, exit status 0 whatever happens;
#   - POST {"hook_type", "data": {...payload, "__provider": "codex", "__delivery_id"}} to the
#     sidecar, bounded in time (curl --connect-timeout/--max-time);
#   - on any failure, append one line to <dataDir>/spool/events.jsonl (0600, folder 0700),
#     size-capped; a dropped event is counted (spool/dropped.json, or where am_count_drop finds
#     room when the spool cannot be written) and named in <dataDir>/codex-hook.log.
#
# Where the sidecar is and the token come from <dataDir>/runtime-curl.conf, a curl config file
# the sidecar writes next to runtime.json (0600) with its pid on the first line: the token never
# appears on a command line (other users can read those in /proc) and this script parses no JSON.
#
# Write-ahead, then deliver after returning. The hook itself only reads stdin (one `cat`), writes
# the post body to <dataDir>/spool/inflight/<delivery id>.json (a shell builtin write) and forks
# the delivery into the background, detached from the hook's stdin, stdout and stderr, so Codex
# sees the hook end at once whatever the sidecar does. The background delivery posts the file,
# spools the event if the post fails, and removes the file last. If it is killed before that, the
# file stays and the sidecar stores it (src/sidecar/spool.ts, recoverInflight); the delivery id
# makes a double delivery harmless. Codex ignores a hook's stderr when it exits 0, so messages go
# to <dataDir>/codex-hook.log instead of a stderr that is already closed.

exec 1>/dev/null
umask 077
# Bytes, not characters: ${#var} counts bytes and awk/sed work on bytes.
LC_ALL=C
export LC_ALL

am_err() {
  # Bounded: past 1 MiB the log is rotated to codex-hook.log.1 (background only; never timed).
  am_log="$am_dir/codex-hook.log"
  if [ -s "$am_log" ]; then
    am_lsz=$(wc -c <"$am_log" 2>/dev/null)
    [ "${am_lsz##*[!0-9]}" -gt 1048576 ] 2>/dev/null && mv -f "$am_log" "$am_log.1" 2>/dev/null
  fi
  { printf 'agent-monitor codex hook: %s\n' "$1" >>"$am_log"; } 2>/dev/null
}

# --- data dir: AGENT_MONITOR_DATA_DIR, else the folder above an installed copy, else the default.
am_dir=${AGENT_MONITOR_DATA_DIR:-}
if [ -z "$am_dir" ]; then
  case $0 in
    */hooks/*) am_dir=${0%/hooks/*} ;;
    hooks/*) am_dir=. ;;
  esac
fi
if [ -z "$am_dir" ]; then
  case $(uname -s 2>/dev/null) in
    Darwin) am_dir="$HOME/Library/Application Support/agent-monitor-host" ;;
    *) case ${XDG_DATA_HOME:-} in
         /*) am_dir="$XDG_DATA_HOME/agent-monitor-host" ;;
         *) am_dir="$HOME/.local/share/agent-monitor-host" ;;
       esac ;;
  esac
fi

# --- how long the background delivery waits for the sidecar, in seconds
# (AGENT_MONITOR_HOOK_WAIT_MS overrides). Nobody waits for it: Codex has moved on.
am_wait=1.000
case ${AGENT_MONITOR_HOOK_WAIT_MS:-} in
  '' | *[!0-9]* | 0) ;;
  *) am_wait=$((AGENT_MONITOR_HOOK_WAIT_MS / 1000)).$(printf '%03d' $((AGENT_MONITOR_HOOK_WAIT_MS % 1000))) ;;
esac

# --- JSON string escaping for text we cannot embed as is (argv, non-object stdin). Rare path.
am_json_string() {
  printf '%s' "$1" | awk '
    BEGIN { for (i = 1; i < 32; i++) ctl[sprintf("%c", i)] = sprintf("\\u%04x", i)
            ctl["\t"] = "\\t"; ctl["\r"] = "\\r"; ctl["\b"] = "\\b"; ctl["\f"] = "\\f"; printf "\"" }
    { out = ""; n = length($0)
      for (i = 1; i <= n; i++) { c = substr($0, i, 1)
        if (c == "\\") out = out "\\\\"; else if (c == "\"") out = out "\\\""; else if (c in ctl) out = out ctl[c]; else out = out c }
      printf "%s%s", (NR > 1 ? "\\n" : ""), out }
    END { printf "\"" }'
}

# --- the payload. $(cat) drops trailing newlines, which are whitespace in JSON.
am_in=$(cat 2>/dev/null)

# --- the delivery id: a random (version 4) UUID.
am_id=
if [ -r /proc/sys/kernel/random/uuid ]; then
  read -r am_id </proc/sys/kernel/random/uuid 2>/dev/null
fi
case $am_id in
  ????????-????-4???-[89ab]???-????????????) ;;
  *)
    am_hex=$(od -An -N16 -tx1 /dev/urandom 2>/dev/null | tr -d ' \n')
    case $am_hex in *[!0-9a-f]*) am_hex= ;; esac
    if [ ${#am_hex} -ne 32 ]; then
      am_hex=$(awk -v p=$$ 'BEGIN { srand(); for (i = 0; i < 32; i++) printf "%x", int(rand() * 16 + p * (i + 1)) % 16 }')
    fi
    am_v=${am_hex#????????????}; am_v=${am_v#?}           # drop 13 hex digits: version nibble position
    am_var=$(printf '%x' $(( (0x$(printf '%.1s' "${am_hex#????????????????}") & 3) | 8 )))
    am_id=$(printf '%.8s-%.4s-4%.3s-%s%.3s-%.12s' "$am_hex" "${am_hex#????????}" "$am_v" "$am_var" \
      "${am_hex#?????????????????}" "${am_hex#????????????????????}")
    ;;
esac

# --- the hook type: argv, else hook_event_name, else Unknown.
am_type=${1:-}
if [ -z "$am_type" ]; then
  am_type=$(printf '%s\n' "$am_in" | sed -n 's/.*"hook_event_name"[[:space:]]*:[[:space:]]*"\([A-Za-z0-9_]*\)".*/\1/p' 2>/dev/null | head -n 1)
  [ -n "$am_type" ] || am_type=Unknown
fi
case $am_type in
  *[!A-Za-z0-9_]*) am_type_json=$(am_json_string "$am_type") ;;
  *) am_type_json="\"$am_type\"" ;;
esac

# --- data: an object payload gets our two fields appended (a later duplicate key wins in
# JSON.parse, as our values win in the Node handler); anything else becomes {"raw": "<text>"}.
am_tail="\"__provider\":\"codex\",\"__delivery_id\":\"$am_id\"}"
am_ws=' 	
'
am_raw() { am_data="{\"raw\":$(am_json_string "$am_in"),$am_tail"; am_kind=raw; }
am_lead=${am_in%%[!$am_ws]*}
am_body=${am_in#"$am_lead"}
am_trail=${am_body##*[!$am_ws]}
am_body=${am_body%"$am_trail"}
case $am_body in
  '{'*'}')
    am_inner=${am_body#\{}
    am_inner=${am_inner%\}}
    case $am_inner in
      *[!$am_ws]*) am_data="{$am_inner,$am_tail" ;;
      *) am_data="{$am_tail" ;;
    esac
    am_kind=object
    ;;
  *) am_raw ;;
esac

# Counts a dropped event where the sidecar and `status` read it (src/sidecar/spool-files.ts):
# spool/dropped.json, else <dataDir>/spool-dropped.json, else a private per-user folder under
# the temp dir, so an unwritable spool (a file, read-only, another owner) still counts its drops.
am_bump() {
  am_n=0
  if [ -f "$1" ]; then
    read -r am_prev <"$1" 2>/dev/null
    am_prev=${am_prev#*\"dropped\":}
    am_prev=${am_prev%%[!0-9]*}
    [ -n "$am_prev" ] && am_n=$am_prev
  fi
  am_n=$((am_n + 1))
  if { printf '{"dropped":%s,"lastDroppedAt":"%s"}\n' "$am_n" "$am_now" >"$1.$$.tmp" && mv -f "$1.$$.tmp" "$1"; } 2>/dev/null; then
    return 0
  fi
  rm -f "$1.$$.tmp" 2>/dev/null
  return 1
}

am_count_drop() {
  for am_cf in "$am_dir/spool/dropped.json" "$am_dir/spool-dropped.json" fallback; do
    if [ "$am_cf" = fallback ]; then
      am_base="${TMPDIR:-/tmp}/agent-monitor-$(id -u 2>/dev/null)"
      mkdir -m 700 "$am_base" 2>/dev/null
      # Only a folder of our own (never one another user planted), private.
      { [ -d "$am_base" ] && [ ! -L "$am_base" ] && [ -O "$am_base" ]; } || break
      chmod 700 "$am_base" 2>/dev/null
      am_abs=$am_dir
      case $am_abs in /*) ;; *) am_abs="$(pwd)/$am_abs" ;; esac
      am_key=$(printf '%s' "$am_abs" | tr -c 'A-Za-z0-9._-' '_')
      [ "${#am_key}" -gt 120 ] && am_key=$(printf '%s' "$am_key" | cut -c$((${#am_key} - 119))-)
      am_cf="$am_base/$am_key.dropped.json"
    fi
    if am_bump "$am_cf"; then
      am_err "$1; event dropped, $am_n dropped so far ($am_cf)"
      return 0
    fi
  done
  am_err "$1; event dropped, and it could not be counted anywhere"
}

am_spool() {
  am_sdir="$am_dir/spool"
  am_file="$am_sdir/events.jsonl"
  am_now=$(date -u '+%Y-%m-%dT%H:%M:%S.%3NZ' 2>/dev/null)
  case $am_now in
    ????-??-??T??:??:??.[0-9][0-9][0-9]Z) ;;
    *) am_now=$(date -u '+%Y-%m-%dT%H:%M:%S.000Z' 2>/dev/null) ;;
  esac
  am_d=$am_data
  am_nl='
'
  if [ "$am_kind" = object ]; then
    # A raw line feed in a JSON object can only be whitespace: one spool line per event.
    case $am_d in *"$am_nl"*) am_d=$(printf '%s' "$am_d" | tr '\n' ' ') ;; esac
  fi
  am_line="{\"hook_type\":$am_type_json,\"data\":$am_d,\"spooled_at\":\"$am_now\"}
"
  if [ ! -d "$am_sdir" ]; then
    mkdir -p "$am_sdir" 2>/dev/null && chmod 700 "$am_sdir" 2>/dev/null
  fi
  am_size=0
  if [ -s "$am_file" ]; then
    am_size=$(wc -c <"$am_file" 2>/dev/null)
    am_size=${am_size##*[!0-9]}
  fi
  am_max=${AGENT_MONITOR_SPOOL_MAX_BYTES:-}
  case $am_max in '' | *[!0-9]* | 0) am_max=67108864 ;; esac
  am_len=${#am_line}
  if [ $((${am_size:-0} + am_len)) -gt "$am_max" ]; then
    am_count_drop "spool is full ($am_max bytes cap, event of $am_len bytes); start the agent monitor so it can drain it"
    return 0
  fi
  # The whole line (newline included) in ONE write(2) on an O_APPEND descriptor, so concurrent
  # handlers never interleave their lines. A shell's printf does one write for a line up to 4 KiB
  # (dash: any size; bash's stdio splits bigger ones), so a bigger line goes through dd, which
  # writes a block read from a regular file as one write.
  am_try=0
  while :; do
    if [ "$am_len" -le 4096 ]; then
      { printf '%s' "$am_line" >>"$am_file"; } 2>/dev/null
    else
      am_tmp="$am_sdir/.line.$$.tmp"
      { printf '%s' "$am_line" >"$am_tmp" && dd if="$am_tmp" bs="$am_len" count=1 >>"$am_file"; } 2>/dev/null
    fi
    am_rc=$?
    [ -n "${am_tmp:-}" ] && rm -f "$am_tmp" 2>/dev/null
    [ "$am_rc" -ne 0 ] && break
    # The sidecar may have renamed the live spool for draining between our open and our write,
    # and even deleted it after its last read: the line would be lost. If the live spool does not
    # hold our line (by its delivery id), write it again; the sidecar dedups a double delivery.
    am_try=$((am_try + 1))
    [ "$am_try" -ge 3 ] && break
    tail -c 1048576 "$am_file" 2>/dev/null | grep -qF "$am_id" && break
  done
  if [ "$am_rc" -ne 0 ]; then
    am_count_drop "could not spool a $am_type event (cannot append to $am_file)"
  fi
  return 0
}

# --- write-ahead: the post body in its own file, before the hook returns. A shell builtin write:
# no process. Its name is the delivery id; the background delivery removes it when the event is
# delivered or spooled.
am_inflight="$am_dir/spool/inflight/$am_id.json"
am_body_json="{\"hook_type\":$am_type_json,\"data\":$am_data}"
if ! { printf '%s' "$am_body_json" >"$am_inflight"; } 2>/dev/null; then
  # First event on this install (or the spool is unusable): make the folders, then try once more.
  mkdir -p "$am_dir/spool/inflight" 2>/dev/null && chmod 700 "$am_dir/spool" "$am_dir/spool/inflight" 2>/dev/null
  { printf '%s' "$am_body_json" >"$am_inflight"; } 2>/dev/null || am_inflight=
fi

# --- the background delivery: the sidecar, runtime-curl.conf names it; its first line is
# "# agent-monitor-host 1 <pid>".
am_deliver() {
  am_conf="$am_dir/runtime-curl.conf"
  am_up=0
  if [ -r "$am_conf" ]; then
    am_first=
    read -r am_first <"$am_conf" 2>/dev/null
    case $am_first in
      '# agent-monitor-host 1 '*)
        am_pid=${am_first#'# agent-monitor-host 1 '}
        case $am_pid in
          '' | *[!0-9]*) ;;
          # A file left by a sidecar that died: don't knock on a port another program may own now.
          *) if kill -0 "$am_pid" 2>/dev/null; then am_up=1; fi ;;
        esac
        ;;
    esac
  fi

  if [ "$am_up" = 1 ]; then
    # -q: no ~/.curlrc (it could add a proxy or output); --noproxy: an http_proxy in Codex's
    # environment must never see the token; Expect: no 100-continue round trip for big bodies.
    am_post() {
      if [ -n "$am_inflight" ] && [ "$am_kind" = object ]; then
        am_code=$(curl -q -s -o /dev/null -w '%{http_code}' -K "$am_conf" --noproxy '*' -H 'Expect:' \
          --connect-timeout "$am_wait" --max-time "$am_wait" --data-binary "@$am_inflight" 2>/dev/null)
      else
        am_code=$(printf '{"hook_type":%s,"data":%s}' "$am_type_json" "$am_data" |
          curl -q -s -o /dev/null -w '%{http_code}' -K "$am_conf" --noproxy '*' -H 'Expect:' \
            --connect-timeout "$am_wait" --max-time "$am_wait" --data-binary @- 2>/dev/null)
      fi
    }
    am_post
    case $am_code in
      2??) return 0 ;;
      400)
        # Not valid JSON after all ("{" ... "}" that does not parse): send it as raw text.
        if [ "$am_kind" = object ]; then
          am_raw
          am_post
          case $am_code in 2??) return 0 ;; esac
        fi
        ;;
    esac
    case $am_code in
      '' | 000) ;;
      *) am_err "the agent monitor answered HTTP $am_code; event spooled" ;;
    esac
  fi

  am_spool
}

# Detached from the hook's stdio (Codex waits for stdout and stderr to close) and from SIGHUP
# (a closing terminal); the write-ahead file is removed only after delivery or spooling.
(
  trap '' HUP
  am_deliver
  [ -n "$am_inflight" ] && rm -f "$am_inflight" 2>/dev/null
) </dev/null >/dev/null 2>&1 &
exit 0
