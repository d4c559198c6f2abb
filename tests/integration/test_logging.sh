# --log / --log-format: runc-compatible error logging.
# shellcheck shell=bash

test_log_json_error() {
  RC=0
  rt --log "$T/log.json" --log-format json state "$ID-nope" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "state of an unknown id"
  assert_file_exists "$T/log.json"
  cat "$T/log.json"
  local line
  line=$(grep -F '"error"' "$T/log.json" | tail -n1)
  [ -n "$line" ] || fail "no error line in the json log"
  jq -e . <<<"$line" >/dev/null || fail "log line is not JSON: [$line]"
  assert_eq error "$(jq -r .level <<<"$line")" level
  assert_contains "$(jq -r .msg <<<"$line")" "does not exist" msg
  assert_match "$(jq -r '.time // ""' <<<"$line")" '^[0-9]{4}-[0-9]{2}-[0-9]{2}T' time
  # every line of the file is a JSON object
  jq -e -s 'all(type == "object")' "$T/log.json" >/dev/null || fail "the json log has non-JSON lines"
}

test_log_text_error() {
  RC=0
  rt --log "$T/log.txt" state "$ID-nope" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1 "state of an unknown id"
  cat "$T/log.txt"
  local line
  line=$(grep 'level=error' "$T/log.txt" | tail -n1)
  [ -n "$line" ] || fail "no level=error line in the text log: [$(cat "$T/log.txt")]"
  assert_match "$line" 'msg="[^"]*does not exist' "text log line"
  assert_match "$line" '^time="[0-9]{4}-[0-9]{2}-[0-9]{2}T' "text log line"
  assert_contains "$(cat "$T/err")" "does not exist" "stderr"
}

test_log_json_create_failure() {
  mkbundle
  rm -rf "$BUNDLE/rootfs"
  RC=0
  rt --log "$T/log.json" --log-format json create --bundle "$BUNDLE" "$ID" </dev/null >"$T/out" 2>"$T/err" || RC=$?
  assert_rc_nonzero "create without rootfs"
  cat "$T/log.json"
  local line
  line=$(grep -F '"error"' "$T/log.json" | tail -n1)
  [ -n "$line" ] || fail "no error line in the json log"
  assert_eq error "$(jq -r .level <<<"$line")" level
  assert_contains "$(jq -r .msg <<<"$line")" rootfs msg
  assert_root_empty
}
