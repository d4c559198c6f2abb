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
${REG_HTTP_EXTRA:-}
${REG_EXTRA:-}
YML
  /usr/bin/docker-registry serve "$T/registry.yml" >"$T/registry.log" 2>&1 &
  track_pid $!
  for _ in $(seq 100); do
    case $(curl -sk -o /dev/null -w "%{http_code}" "${REG_SCHEME:-http}://$REG/v2/") in 200 | 401) return 0 ;; esac
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

# The registry of _reg_setup with htpasswd basic auth: tester / s3cret.
_reg_htpasswd() {
  T_HASH=$(python3 -W ignore -c 'import crypt; print(crypt.crypt("s3cret", crypt.mksalt(crypt.METHOD_BLOWFISH)))')
  mkdir -p "$T"
  echo "tester:$T_HASH" >"$T/htpasswd"
  REG_EXTRA="auth:
  htpasswd:
    realm: berth-test
    path: $T/htpasswd"
}

# Credentials only from files under $T: never the machine's auth.json or docker config.
_reg_private_auth() {
  export XDG_RUNTIME_DIR=$T/xdg-run XDG_CONFIG_HOME=$T/xdg-config DOCKER_CONFIG=$T/docker
  unset REGISTRY_AUTH_FILE
}

test_registry_basic_auth() {
  _reg_htpasswd
  _reg_private_auth
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

test_registry_mirror_for_docker_io() {
  _reg_setup
  _reg_build_image app:1
  # the private registry plays docker.io's mirror: docker.io/library/busybox is library/busybox there
  bb push app:1 "docker://$REG/library/busybox:latest"
  bb rmi app:1 >/dev/null
  bb prune --cache >/dev/null
  printf '[[registry]]\nlocation = "docker.io"\n[[registry.mirror]]\nlocation = "%s"\n' "$REG" >"$T/registries.conf"
  # FROM busybox with no internet: resolved through the mirror named by CONTAINERS_REGISTRIES_CONF
  mkdir -p "$T/ctx2"
  printf '%s\n' 'FROM busybox' 'RUN echo from-the-mirror >>/greeting' >"$T/ctx2/Dockerfile"
  CONTAINERS_REGISTRIES_CONF=$T/registries.conf bb build -q -t m "$T/ctx2" >"$T/build2.log" 2>&1 ||
    { cat "$T/build2.log"; fail "FROM busybox through the mirror failed"; }
  assert_eq "pushed-and-pulled
from-the-mirror" "$(bb run m)" "FROM busybox came from the mirror"
  bb images | grep -q "^busybox:latest " || { bb images; fail "the pulled image is not named busybox:latest"; }
  # without the configuration there is no docker.io to reach
  bb rmi busybox >/dev/null
  RC=0; bb pull busybox 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "registry-1.docker.io"
  # --registries-conf names the file too, and wins over the environment
  CONTAINERS_REGISTRIES_CONF=/nonexistent bb --registries-conf "$T/registries.conf" pull busybox >/dev/null
  bb images | grep -q "^busybox:latest " || fail "pull busybox through --registries-conf"
  # a named file that is missing is an error, not an empty configuration
  RC=0; CONTAINERS_REGISTRIES_CONF=$T/missing.conf bb pull busybox 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "$T/missing.conf"
  # the mirror lacks the tag: docker.io is tried next (and cannot be reached): both reported
  RC=0; bb --registries-conf "$T/registries.conf" pull busybox:nope 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "mirror $REG/library/busybox:nope"
  assert_file_contains "$T/err" "manifest unknown"
  assert_file_contains "$T/err" "docker.io/library/busybox:nope"
  # a blocked registry is refused before any request
  printf '[[registry]]\nlocation = "%s"\nblocked = true\n' "$REG" >"$T/blocked.conf"
  RC=0; bb --registries-conf "$T/blocked.conf" pull "$REG/library/busybox" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "blocked by registries.conf"
  # a malformed file names itself and the line
  printf '[[registry]]\nlocation = "%s"\ninsecure = "yes"\n' "$REG" >"$T/bad.conf"
  RC=0; bb --registries-conf "$T/bad.conf" pull busybox 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "$T/bad.conf:3: insecure must be true or false"
}

test_registry_login_logout() {
  _reg_htpasswd
  _reg_private_auth
  _reg_setup
  _reg_build_image app:1
  auth=$XDG_RUNTIME_DIR/containers/auth.json
  # wrong password: refused by the registry, nothing kept
  RC=0; echo wrong | bb login -u tester --password-stdin "$REG" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "refused the credentials"
  assert_not_exists "$auth"
  echo s3cret | bb login -u tester --password-stdin "$REG" >"$T/out"
  assert_file_contains "$T/out" "Login Succeeded"
  assert_eq 600 "$(stat -c %a "$auth")" "auth.json is private"
  assert_eq "$(printf tester:s3cret | base64)" "$(jq -r --arg r "$REG" '.auths[$r].auth' "$auth")" "stored as containers' auth.json"
  # push and pull with the stored credentials
  bb push app:1 "docker://$REG/x:1"
  bb rmi app:1 >/dev/null
  bb pull "$REG/x:1" >/dev/null
  bb logout "$REG" | grep -q "Removed login credentials for $REG"
  assert_eq null "$(jq -r --arg r "$REG" '.auths[$r]' "$auth")" "logout removed the entry"
  RC=0; bb pull "$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "wants a user name and password"
  RC=0; bb logout "$REG" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "not logged in to $REG"
  # docker's config.json is read too (auths.HOST.auth)
  mkdir -p "$DOCKER_CONFIG"
  jq -n --arg r "$REG" --arg a "$(printf tester:s3cret | base64)" '{auths: {($r): {auth: $a}}}' >"$DOCKER_CONFIG/config.json"
  bb pull "$REG/x:1" >/dev/null
  rm "$DOCKER_CONFIG/config.json"
  # --authfile (and REGISTRY_AUTH_FILE) name another file
  echo s3cret | bb login --authfile "$T/other.json" -u tester --password-stdin "$REG" >/dev/null
  bb pull --authfile "$T/other.json" "$REG/x:1" >/dev/null
  REGISTRY_AUTH_FILE=$T/other.json bb pull "$REG/x:1" >/dev/null
  RC=0; bb pull "$REG/x:1" 2>/dev/null || RC=$?
  assert_rc 1 "the default auth file has no entry"
  bb logout --authfile "$T/other.json" --all >/dev/null
  assert_eq "{}" "$(jq -c .auths "$T/other.json")" "logout --all"
  # no password on a non-tty stdin: a clear refusal
  RC=0; bb login -u tester "$REG" </dev/null 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "give --password-stdin"
}

test_registry_tls_cert_dir() {
  command -v openssl >/dev/null || skip "openssl not installed"
  mkdir -p "$T/tls"
  # a self-signed certificate for 127.0.0.1, made here and trusted only through the flags
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=berth-test-registry -addext subjectAltName=IP:127.0.0.1 \
    -keyout "$T/tls/key.pem" -out "$T/tls/cert.pem" 2>/dev/null
  REG_SCHEME=https REG_HTTP_EXTRA="  tls:
    certificate: $T/tls/cert.pem
    key: $T/tls/key.pem"
  _reg_setup
  _reg_build_image app:1
  # not trusted: refused with the reason and the way out (no fallback to plain HTTP)
  RC=0; bb push app:1 "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "TLS certificate of $REG is not trusted"
  assert_file_contains "$T/err" "--cert-dir"
  # --cert-dir DIR: DIR/*.crt (containers' layout)
  mkdir -p "$T/certs" "$T/certs.d/$REG"
  cp "$T/tls/cert.pem" "$T/certs/ca.crt"
  bb push --cert-dir "$T/certs" app:1 "docker://$REG/x:1"
  bb rmi app:1 >/dev/null
  RC=0; bb pull "$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1 "pull without the CA"
  # --certs-d ROOT: ROOT/HOST:PORT/ca.crt (as /etc/containers/certs.d)
  cp "$T/tls/cert.pem" "$T/certs.d/$REG/ca.crt"
  bb pull --certs-d "$T/certs.d" "$REG/x:1" >/dev/null
  bb images | grep -q "^$REG/x:1 " || fail "not pulled over TLS"
  # --insecure: TLS without verification
  bb rmi "$REG/x:1" >/dev/null
  bb pull --insecure "$REG/x:1" >/dev/null
  # what berth-build pushed over TLS, skopeo reads with the same CA
  skopeo inspect --cert-dir "$T/certs" "docker://$REG/x:1" | jq -e '.Layers | length == 3' >/dev/null
  # a cert dir that does not exist is an error, not a silent default
  RC=0; bb pull --cert-dir "$T/nope" "$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "--cert-dir $T/nope: not a directory"
}

# A token server (python3, 127.0.0.1) for docker-registry's `auth: token`: it checks basic
# credentials (tester / s3cret), logs service, scopes and user, and signs RS256 JWTs with a key
# the test makes; the registry trusts that key's certificate (rootcertbundle).
_reg_token_server() {
  command -v openssl >/dev/null || skip "openssl not installed"
  mkdir -p "$T/token"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=berth-test-token \
    -keyout "$T/token/key.pem" -out "$T/token/cert.pem" 2>/dev/null
  cat >"$T/token/server.py" <<'END_OF_PY'
import base64, http.server, json, os, subprocess, sys, time, urllib.parse
key, cert, portfile, logfile = sys.argv[1:5]
der = subprocess.run(["openssl", "x509", "-in", cert, "-outform", "der"], capture_output=True, check=True).stdout
def b64url(b): return base64.urlsafe_b64encode(b).rstrip(b"=").decode()
def log(line):
    with open(logfile, "a") as f: f.write(line + "\n")
class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a): pass
    def do_GET(self):
        q = urllib.parse.parse_qs(urllib.parse.urlparse(self.path).query)
        service, scopes, user = q.get("service", [""])[0], q.get("scope", []), None
        auth = self.headers.get("Authorization", "")
        if auth.startswith("Basic "):
            u, _, p = base64.b64decode(auth[6:]).decode().partition(":")
            if (u, p) != ("tester", "s3cret"):
                log("refused user=" + u)
                self.send_response(401); self.send_header("Content-Length", "0"); self.end_headers(); return
            user = u
        log("service=%s scope=%s user=%s" % (service, " ".join(scopes), user or "-"))
        access = []
        for s in scopes if user else []:
            typ, name, actions = s.split(":")
            access.append({"type": typ, "name": name, "actions": actions.split(",")})
        now = int(time.time())
        head = {"typ": "JWT", "alg": "RS256", "x5c": [base64.b64encode(der).decode()]}
        claims = {"iss": "berth-test-issuer", "sub": user or "", "aud": service, "exp": now + 600, "nbf": now - 60,
                  "iat": now - 60, "jti": os.urandom(8).hex(), "access": access}
        signing = b64url(json.dumps(head).encode()) + "." + b64url(json.dumps(claims).encode())
        sig = subprocess.run(["openssl", "dgst", "-sha256", "-sign", key], input=signing.encode(), capture_output=True, check=True).stdout
        tok = signing + "." + b64url(sig)
        body = json.dumps({"token": tok, "expires_in": 600}).encode()
        self.send_response(200); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body))); self.end_headers(); self.wfile.write(body)
srv = http.server.HTTPServer(("127.0.0.1", 0), Handler)
with open(portfile + ".tmp", "w") as f: f.write(str(srv.server_address[1]))
os.rename(portfile + ".tmp", portfile)
srv.serve_forever()
END_OF_PY
  python3 "$T/token/server.py" "$T/token/key.pem" "$T/token/cert.pem" "$T/token/port" "$T/token/log" >"$T/token/out" 2>&1 &
  track_pid $!
  for _ in $(seq 100); do [ -s "$T/token/port" ] && break; sleep 0.1; done
  [ -s "$T/token/port" ] || { cat "$T/token/out"; fail "the token server did not start"; }
  TOKEN_REALM=http://127.0.0.1:$(cat "$T/token/port")/token
  REG_EXTRA="auth:
  token:
    realm: $TOKEN_REALM
    service: berth-test-registry
    issuer: berth-test-issuer
    rootcertbundle: $T/token/cert.pem"
}

test_registry_bearer_token_flow() {
  _reg_private_auth
  _reg_token_server
  _reg_setup
  _reg_build_image app:1
  # the registry's challenge names the realm, service and scope; the token server sees them
  RC=0; bb push app:1 "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1 "anonymous push"
  assert_file_contains "$T/err" "needs credentials"
  assert_file_contains "$T/token/log" "service=berth-test-registry scope=repository:x:pull,push user=-"
  RC=0; bb push --creds tester:wrong app:1 "docker://$REG/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "token from $TOKEN_REALM: the credentials were refused"
  bb push --creds tester:s3cret app:1 "docker://$REG/x:1" 2>"$T/push.err" || { cat "$T/push.err"; fail "push with a token"; }
  assert_file_contains "$T/token/log" "service=berth-test-registry scope=repository:x:pull,push user=tester"
  # login proves the credentials through the token server (no scope: /v2/ only)
  echo s3cret | bb login -u tester --password-stdin "$REG" >/dev/null
  assert_file_contains "$T/token/log" "service=berth-test-registry scope= user=tester"
  bb rmi app:1 >/dev/null
  : >"$T/token/log"
  bb pull "$REG/x:1" >/dev/null
  assert_file_contains "$T/token/log" "scope=repository:x:pull user=tester"
  assert_not_contains "$(cat "$T/token/log")" "push" "a pull asks only for pull"
  # another repository of the same registry: the blobs are mounted from x, whose pull
  # scope the token must carry as well
  bb push "$REG/x:1" "docker://$REG/y:1" 2>"$T/push.err" || { cat "$T/push.err"; fail "push to y"; }
  assert_file_contains "$T/push.err" "mounted from x"
  assert_file_contains "$T/token/log" "repository:x:pull"
  skopeo inspect --tls-verify=false --creds tester:s3cret "docker://$REG/y:1" | jq -e '.Layers | length == 3' >/dev/null
}

test_registry_chunks_mount_formats_progress() {
  _reg_setup
  _reg_build_image app:1
  # chunked upload: PATCH requests of 64 KiB each, then the closing PUT
  bb push --chunk-size 65536 --progress plain app:1 "docker://$REG/x:1" 2>"$T/push.err"
  assert_file_contains "$T/push.err" "uploading in chunks"
  n=$(grep -c '"PATCH /v2/x/blobs/uploads/' "$T/registry.log" || true)
  [ "$n" -gt 10 ] || { cat "$T/registry.log"; fail "expected many PATCH chunks for a 1MB+ layer, the registry saw $n"; }
  # another repository of the same registry: mounted, not uploaded again
  bb push --progress plain app:1 "docker://$REG/y:1" 2>"$T/push.err"
  assert_eq 4 "$(grep -c 'mounted from x' "$T/push.err")" "config and three layers mounted from x"
  assert_eq 0 "$(grep -c '"PATCH /v2/y/\|"PUT /v2/y/blobs' "$T/registry.log" || true)" "no upload to y"
  # --format docker: docker's media types, which skopeo sees
  bb push --format docker app:1 "docker://$REG/d:1" 2>/dev/null
  raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/d:1")
  assert_eq application/vnd.docker.distribution.manifest.v2+json "$(jq -r .mediaType <<<"$raw")"
  assert_eq application/vnd.docker.container.image.v1+json "$(jq -r .config.mediaType <<<"$raw")"
  assert_eq application/vnd.docker.image.rootfs.diff.tar.gzip "$(jq -r '[.layers[].mediaType] | unique | join(",")' <<<"$raw")"
  # and back: the docker image pulled, pushed as OCI
  bb rmi app:1 >/dev/null
  bb prune --cache >/dev/null
  bb pull --progress plain "$REG/d:1" >/dev/null 2>"$T/pull.err"
  # progress off a terminal: a line per blob when it starts and when it is done
  assert_eq 4 "$(grep -c ': downloading ' "$T/pull.err")" "start lines"
  assert_eq 4 "$(grep -c ': done ' "$T/pull.err")" "done lines"
  # three transfers under way at once (--parallel 3, the default) before the first ends
  assert_eq 3 "$(head -n 3 "$T/pull.err" | grep -c ': downloading ')" "three downloads started together"
  bb rmi "$REG/d:1" >/dev/null
  bb prune >/dev/null
  bb pull --parallel 1 --progress plain "$REG/d:1" >/dev/null 2>"$T/pull1.err"
  assert_eq "downloading done downloading done" "$(head -n 4 "$T/pull1.err" | awk '{print $2}' | xargs)" "--parallel 1: one at a time"
  bb push --format oci "$REG/d:1" "docker://$REG/o:1" 2>/dev/null
  raw=$(skopeo inspect --raw --tls-verify=false "docker://$REG/o:1")
  assert_eq application/vnd.oci.image.manifest.v1+json "$(jq -r .mediaType <<<"$raw")"
  assert_eq application/vnd.oci.image.layer.v1.tar+gzip "$(jq -r '[.layers[].mediaType] | unique | join(",")' <<<"$raw")"
  bb rmi "$REG/d:1" >/dev/null
  bb pull "$REG/o:1" >/dev/null 2>&1
  bb unpack "$REG/o:1" "$T/bundle"
  BUNDLE=$T/bundle
  run_ctr "$ID"
  assert_eq pushed-and-pulled "$OUT" "the converted image runs"
  # zstd layers have no docker media type: refused before anything is sent
  printf '%s\n' 'FROM scratch' 'COPY busybox /bin/busybox' >"$T/ctx/Dockerfile"
  bb build -q --compression zstd -t z "$T/ctx" >/dev/null 2>&1
  RC=0; bb push --format docker z "docker://$REG/z:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "docker media types have none for it"
}

test_registry_skopeo_pushed_berth_pulled() {
  _reg_setup
  _reg_build_image app:1
  bb push --format oci app:1 "docker://$REG/x:1" 2>/dev/null
  # skopeo rewrites it in docker's schema 2 into another repository; berth-build pulls and runs that
  skopeo copy --quiet --src-tls-verify=false --dest-tls-verify=false --format v2s2 "docker://$REG/x:1" "docker://$REG/s:1"
  assert_eq application/vnd.docker.distribution.manifest.v2+json \
    "$(skopeo inspect --raw --tls-verify=false "docker://$REG/s:1" | jq -r .mediaType)" "skopeo pushed schema 2"
  bb rmi app:1 >/dev/null
  bb prune --cache >/dev/null
  bb pull "$REG/s:1" >/dev/null 2>&1
  assert_eq pushed-and-pulled "$(bb run "$REG/s:1")" "berth ran what skopeo pushed"
}

test_registry_containerd_pulls_berth_push() {
  command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd/ctr not installed"
  _reg_setup
  _reg_build_image app:1
  bb push app:1 "docker://$REG/x:1" 2>/dev/null
  bb push --format docker app:1 "docker://$REG/xd:1" 2>/dev/null
  mkdir -p "$T/rr" "$T/fifo"
  start_private_containerd "reg-$RUN_ID" 60 || skip "containerd did not come up here"
  for repo in x xd; do
    "${C[@]}" images pull --plain-http "$REG/$repo:1" >"$T/pull.log" 2>&1 || { cat "$T/pull.log"; fail "ctr images pull $REG/$repo:1"; }
    out=$("${C[@]}" run --rm --runc-binary "$RUNTIME" --runc-root "$T/rr" --fifo-dir "$T/fifo" "$REG/$repo:1" "$ID-$repo" 2>&1) ||
      { echo "$out"; fail "ctr run $REG/$repo:1"; }
    assert_eq pushed-and-pulled "$out" "containerd ran $REG/$repo:1 (pushed by berth-build) with $RUNTIME_NAME"
  done
}

test_registry_podman_pulls_berth_push() {
  command -v podman >/dev/null || skip "podman not installed (apt-get install podman)"
  _reg_setup
  _reg_build_image app:1
  bb push app:1 "docker://$REG/x:1" 2>/dev/null
  RR=$(mktemp -d /tmp/bbr.XXXXXX)   # podman wants a runroot shorter than 50 characters
  : >"$T/registries.conf"
  P=(env CONTAINERS_REGISTRIES_CONF="$T/registries.conf" timeout -k 2 90 podman --root "$T/podman" --runroot "$RR"
     --storage-driver vfs --cgroup-manager cgroupfs --runtime "$RUNTIME")
  at_cleanup "${P[*]} rm -af -f >/dev/null 2>&1 || true; umount -R $RR 2>/dev/null || true; rm -rf $RR"
  at_cleanup "for d in /sys/fs/cgroup/*/bbr-$RUN_ID/conmon /sys/fs/cgroup/bbr-$RUN_ID/conmon; do [ -d \$d ] && rmdir \$d; done; true"
  "${P[@]}" pull --tls-verify=false "$REG/x:1" >"$T/pull.log" 2>&1 || { cat "$T/pull.log"; fail "podman pull"; }
  # the host refuses to raise RLIMIT_NOFILE (no CAP_SYS_RESOURCE): keep podman's limits low
  out=$("${P[@]}" run --rm --network none --cgroup-parent "/bbr-$RUN_ID" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    "$REG/x:1" 2>&1) || { echo "$out"; fail "podman run"; }
  assert_eq pushed-and-pulled "$out" "podman ran $REG/x:1 (pushed by berth-build) with $RUNTIME_NAME"
}

test_registry_interrupted_download() {
  BB=${BERTH_BUILD:-$REPO/build/berth-build}
  [ -x "$BB" ] || skip "berth-build not built ($BB)"
  STORE=$T/store
  # a fake registry (python3, 127.0.0.1) whose layer response stops halfway and closes
  cat >"$T/fake.py" <<'END_OF_PY'
import hashlib, http.server, json, os, sys
blob = os.urandom(1 << 20)
dig = "sha256:" + hashlib.sha256(blob).hexdigest()
cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": ["sha256:" + "0" * 64]}}).encode()
cdig = "sha256:" + hashlib.sha256(cfg).hexdigest()
man = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
                  "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cdig, "size": len(cfg)},
                  "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": dig, "size": len(blob)}]}).encode()
class H(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def log_message(self, *a): pass
    def send(self, body, ctype="application/octet-stream", length=None):
        self.send_response(200); self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body) if length is None else length)); self.end_headers()
        self.wfile.write(body)
    def do_GET(self):
        if self.path == "/v2/": self.send(b"{}", "application/json")
        elif self.path.startswith("/v2/x/manifests/"): self.send(man, "application/vnd.oci.image.manifest.v1+json")
        elif self.path == "/v2/x/blobs/" + cdig: self.send(cfg)
        elif self.path == "/v2/x/blobs/" + dig:
            self.send(blob[: len(blob) // 2], length=len(blob)); self.wfile.flush()
            self.close_connection = True
        else:
            self.send_response(404); self.send_header("Content-Length", "0"); self.end_headers()
srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
with open(sys.argv[1] + ".tmp", "w") as f: f.write("%d %s\n" % (srv.server_address[1], dig))
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
srv.serve_forever()
END_OF_PY
  python3 "$T/fake.py" "$T/fake.port" >"$T/fake.log" 2>&1 &
  track_pid $!
  for _ in $(seq 100); do [ -s "$T/fake.port" ] && break; sleep 0.1; done
  [ -s "$T/fake.port" ] || { cat "$T/fake.log"; fail "the fake registry did not start"; }
  read -r port dig <"$T/fake.port"
  RC=0; timeout -k 2 60 "$BB" --root "$STORE" pull "127.0.0.1:$port/x:1" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "blob $dig"
  assert_file_contains "$T/err" "transfer closed"
  assert_not_exists "$STORE/blobs/sha256/${dig#sha256:}"
  if timeout 30 "$BB" --root "$STORE" images | grep -q "x:1"; then fail "a half-pulled image was named"; fi
  assert_eq "" "$(find "$STORE/berth/tmp" -mindepth 1 2>/dev/null | head -3)" "no temporary left in the store"
}
