# berth-build and a registry (distribution API v2): a private docker-registry (Debian's
# package) on 127.0.0.1 with its storage under $T, started here and killed by pid at cleanup.
# shellcheck shell=bash

_reg_setup() {
  BB=${BERTH_BUILD:-$REPO/build/berth-build}
  [ -x "$BB" ] || skip "berth-build not built ($BB)"
  [ -x /usr/bin/docker-registry ] || skip "docker-registry not installed (apt-get install docker-registry)"
  command -v busybox >/dev/null || skip "busybox-static not installed"
  file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked' || skip "busybox is not the static one"
  command -v curl >/dev/null || skip "curl not installed"
  STORE=$T/store
  PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  REG=127.0.0.1:$PORT
  mkdir -p "$T/registry"
  # A private config: filesystem storage under $T, 127.0.0.1 only (the packaged config
  # listens on all interfaces).
  cat >"$T/registry.yml" <<YML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $T/registry
http:
  addr: $REG
${REG_EXTRA:-}
YML
  /usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
  track_pid $!
  for _ in $(seq 100); do
    case $(curl -s -o /dev/null -w "%{http_code}" "http://$REG/v2/") in 200 | 401) return 0 ;; esac
    sleep 0.1
  done
  cat "$T/registry.log"
  fail "docker-registry did not answer on $REG"
}
bb() { timeout -k 2 120 "$BB" --root "$STORE" --runtime "$RUNTIME" "$@"; }

_reg_build_image() { # NAME
  local ctx=$T/ctx
  mkdir -p "$ctx"
  cp "$(command -v busybox)" "$ctx/busybox"
  printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' 'RUN ["/bin/busybox", "--install", "-s", "/bin"]' \
    'RUN echo pushed-and-pulled >/greeting' 'CMD ["cat", "/greeting"]' >"$ctx/Dockerfile"
  bb build -q -t "$1" "$ctx" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "build failed"; }
}

test_registry_push_inspect_pull_run() {
  _reg_setup
  _reg_build_image app:1
  bb push app:1 "docker://$REG/x:1" 2>"$T/err" || { cat "$T/err"; fail "push failed"; }
  # skopeo reads what berth-build pushed
  out=$(skopeo inspect --tls-verify=false "docker://$REG/x:1")
  assert_eq 3 "$(jq '.Layers | length' <<<"$out")" "skopeo sees the three layers"
  want=$(bb inspect app:1 | jq -r '.digest // .Digest // empty' 2>/dev/null || true)
  # pushing again finds every blob there (HEAD) and succeeds
  bb push app:1 "docker://$REG/x:1"
  # out of the store, then back from the registry
  bb rmi app:1 >/dev/null
  bb prune --cache >/dev/null
  bb pull "docker://$REG/x:1" >"$T/pull.out" 2>"$T/err" || { cat "$T/err"; fail "pull failed"; }
  bb images | grep -q "^$REG/x:1 " || { bb images; fail "$REG/x:1 not in the store after pull"; }
  [ -z "$want" ] || assert_contains "$(cat "$T/pull.out")" "$want" "same manifest digest"
  bb unpack "$REG/x:1" "$T/bundle"
  BUNDLE=$T/bundle
  run_ctr "$ID"
  assert_rc 0
  assert_eq pushed-and-pulled "$OUT" "the pulled image ran"
  # FROM of a registry image that is not in the store pulls it
  bb rmi "$REG/x:1" >/dev/null
  mkdir -p "$T/ctx2"
  printf '%s\n' "FROM $REG/x:1" 'RUN echo derived >>/greeting' >"$T/ctx2/Dockerfile"
  bb build -q -t derived "$T/ctx2" >"$T/build2.log" 2>&1 || { cat "$T/build2.log"; fail "FROM $REG/x:1 failed"; }
  assert_eq "pushed-and-pulled
derived" "$(bb run derived)" "FROM pulled the base from the registry"
  # plain REF (no docker://) is a registry reference too; an unknown tag is a clear error
  RC=0; bb pull "$REG/x:nope" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "manifest unknown"
}

test_registry_corrupt_blob_refused() {
  _reg_setup
  _reg_build_image app:1
  bb push app:1 "docker://$REG/x:1"
  layer=$(skopeo inspect --tls-verify=false "docker://$REG/x:1" | jq -r '.Layers[0]')
  hex=${layer#sha256:}
  data=$T/registry/docker/registry/v2/blobs/sha256/${hex:0:2}/$hex/data
  assert_file_exists "$data"
  # same size, other content: only the digest check can catch it
  size=$(stat -c %s "$data")
  head -c "$size" /dev/urandom >"$T/junk"
  cat "$T/junk" >"$data"
  bb rmi app:1 >/dev/null
  bb prune --cache >/dev/null
  RC=0; bb pull "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "corrupt, refused"
  assert_not_exists "$STORE/blobs/sha256/$hex"
  if bb images | grep -q "x:1"; then fail "a half-pulled image was named"; fi
  leftovers=$(find "$STORE/berth/tmp" -mindepth 1 2>/dev/null | head -3)
  assert_eq "" "$leftovers" "no temporary left in the store"
  # a truncated blob: the size check
  head -c $((size / 2)) "$T/junk" >"$data"
  RC=0; bb pull "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "the manifest says $size"
  assert_not_exists "$STORE/blobs/sha256/$hex"
}

test_registry_basic_auth() {
  T_HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))')
  mkdir -p "$T"
  echo "tester:$T_HASH" >"$T/htpasswd"
  REG_EXTRA="auth:
  htpasswd:
    realm: berth-test
    path: $T/htpasswd"
  _reg_setup
  _reg_build_image app:1
  RC=0; bb push app:1 "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "wants a user name and password"
  RC=0; bb push --creds tester:wrong app:1 "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "refused the credentials"
  bb push --creds tester:s3cret app:1 "docker://$REG/x:1"
  bb rmi app:1 >/dev/null
  bb pull --creds tester:s3cret "$REG/x:1" >/dev/null
  bb images | grep -q "^$REG/x:1 " || fail "not pulled with basic auth"
}
