# berth-build: Dockerfile -> image in a private store ($T/store) -> bundle -> the runtime.
# RUN steps use the runtime under test: berth's libberth in-process (berth-build's default),
# or --runtime "$RUNTIME" for the runc control run, which proves the tests too. berth-build itself: $BERTH_BUILD, else build/berth-build.
# shellcheck shell=bash

_bb_setup() {
  BB=${BERTH_BUILD:-$REPO/build/berth-build}
  [ -x "$BB" ] || skip "berth-build not built ($BB)"
  command -v busybox >/dev/null || skip "busybox-static not installed"
  file -L "$(command -v busybox)" 2>/dev/null | grep -q 'statically linked' || skip "busybox is not the static one"
  STORE=$T/store
}
# Under berth, `build` runs RUN through libberth in-process (no runtime binary); under another
# runtime (runc, the control) it passes --runtime, as do the other commands (`run` execs it).
bb() {
  local rt=(--runtime "$RUNTIME")
  if is_berth && [ "${1:-}" = build ]; then rt=(); fi
  timeout -k 2 120 "$BB" --root "$STORE" "${rt[@]}" "$@"
}
# CTX <- a copy of examples/hello plus busybox
mkctx() {
  CTX=${1:-$T/ctx}
  cp -r "$REPO/examples/hello" "$CTX"
  cp "$(command -v busybox)" "$CTX/busybox"
}
# a context with busybox and the given Dockerfile text
mkctx_df() {
  CTX=$T/ctx-$((++_ctxn))
  mkdir -p "$CTX"
  cp "$(command -v busybox)" "$CTX/busybox"
  printf '%s\n' "$1" >"$CTX/Dockerfile"
}
_ctxn=0
BB_BASE='FROM scratch
COPY busybox /bin/busybox
RUN ["/bin/busybox", "--install", "-s", "/bin"]'

test_build_hello_unpack_and_run() {
  _bb_setup
  mkctx
  bb build -t hello "$CTX" >"$T/build.log" 2>&1 || { cat "$T/build.log"; fail "build failed"; }
  assert_file_contains "$T/build.log" "naming to hello:latest"
  bb images | grep -q '^hello:latest ' || fail "hello:latest not listed by images"
  bb unpack hello "$T/bundle"
  assert_file_exists "$T/bundle/rootfs/app/hello.sh"
  assert_eq '["/app/hello.sh"]' "$(jq -c .process.args "$T/bundle/config.json")" "args from Cmd"
  assert_eq /app "$(jq -r .process.cwd "$T/bundle/config.json")" "cwd from WorkingDir"
  assert_eq 8080/tcp "$(jq -r '.annotations["org.opencontainers.image.exposedPorts"]' "$T/bundle/config.json")" "EXPOSE"
  BUNDLE=$T/bundle
  run_ctr "$ID"
  assert_rc 0
  assert_eq "hello from berth-build: built by RUN, uid 0, cwd /app" "$OUT" "the image's program ran"
  # ARG -> ENV through --build-arg, and berth-build run with a command
  bb build -q --build-arg GREETING=salut -t hello:fr "$CTX" >/dev/null
  out=$(bb run hello:fr sh -c 'echo "$GREETING"')
  assert_eq salut "$out" "build-arg reached ENV"
  RC=0; bb run hello sh -c 'exit 7' || RC=$?
  assert_rc 7 "berth-build run passes the exit code through"
  # a NOTIFY_SOCKET of berth-build's environment is not given to its containers (no service)
  out=$(NOTIFY_SOCKET="$T/no-such.sock" bb run hello sh -c 'echo "[$NOTIFY_SOCKET]"; if [ -e /run/notify ]; then echo mounted; fi')
  assert_eq "[]" "$out" "NOTIFY_SOCKET of berth-build's environment"
  # unpack refuses a non-empty bundle dir
  RC=0; bb unpack hello "$T/bundle" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "is not empty"
}

test_build_reproducible() {
  _bb_setup
  mkctx
  d1=$(bb build -q -t a "$CTX")
  d2=$(bb build -q --no-cache -t b "$CTX")
  d3=$(STORE=$T/store2 bb build -q -t c "$CTX")
  assert_match "$d1" '^sha256:[0-9a-f]{64}$' "digest printed by -q"
  assert_eq "$d1" "$d2" "rebuild without cache: same manifest digest"
  assert_eq "$d1" "$d3" "build into an empty store: same manifest digest"
  touch "$CTX/hello.sh"   # mtimes do not leak into the image
  assert_eq "$d1" "$(bb build -q --no-cache "$CTX")" "after touching a source"
  e1=$(SOURCE_DATE_EPOCH=1700000000 bb build -q --no-cache "$CTX")
  e2=$(STORE=$T/store2 SOURCE_DATE_EPOCH=1700000000 bb build -q --no-cache "$CTX")
  assert_eq "$e1" "$e2" "with SOURCE_DATE_EPOCH"
  assert_ne "$d1" "$e1" "SOURCE_DATE_EPOCH changes created"
  assert_eq 2023-11-14T22:13:20Z "$(bb inspect "$e1" | jq -r .Config.created)" "created from SOURCE_DATE_EPOCH"
  # zstd layers: reproducible too, same diff_ids, and the image runs
  z1=$(bb build -q --compression zstd -t z "$CTX")
  z2=$(STORE=$T/store2 bb build -q --no-cache --compression zstd "$CTX")
  assert_eq "$z1" "$z2" "zstd: same manifest digest"
  assert_eq '["application/vnd.oci.image.layer.v1.tar+zstd"]' "$(bb inspect z | jq -c '[.Manifest.layers[].mediaType] | unique')" "zstd media type"
  assert_eq "$(bb inspect "$d1" | jq -c .Config.rootfs)" "$(bb inspect z | jq -c .Config.rootfs)" "diff_ids do not depend on the compression"
  assert_contains "$(bb run z)" "hello from berth-build" "a zstd image runs"
}

test_build_cache_hits_and_misses() {
  _bb_setup
  mkctx
  bb build -t h "$CTX" >"$T/cold.log"
  assert_eq 0 "$(grep -c CACHED "$T/cold.log" || true)" "cold build: no cache hits"
  start=$(date +%s%N)
  bb build -t h "$CTX" >"$T/warm.log"
  ms=$(( ($(date +%s%N) - start) / 1000000 ))
  assert_eq 5 "$(grep -c CACHED "$T/warm.log")" "warm build: the 5 layer steps (WORKDIR /app makes one) are cache hits"
  log "cached rebuild: ${ms} ms"
  [ "$ms" -lt 2000 ] || fail "cached rebuild took ${ms} ms"
  echo 'echo changed' >>"$CTX/hello.sh"
  bb build -t h "$CTX" >"$T/changed.log"
  # steps 2 (COPY busybox), 3 (RUN install), 6 (WORKDIR) hit; 7 (COPY hello.sh) and 8 (RUN) rebuild
  assert_eq "#2 CACHED
#3 CACHED
#6 CACHED" "$(grep CACHED "$T/changed.log")" "hits before the changed source only"
  assert_eq 2 "$(grep -c ' DONE ' "$T/changed.log")" "the changed COPY and the RUN after it rebuilt"
  bb build --no-cache -t h "$CTX" >"$T/nocache.log"
  assert_eq 0 "$(grep -c CACHED "$T/nocache.log" || true)" "--no-cache"
  # the cache survives: prune keeps what the cache names
  bb prune >/dev/null
  bb build -t h "$CTX" >"$T/after-prune.log"
  assert_eq 5 "$(grep -c CACHED "$T/after-prune.log")" "cache hits after prune"
}

test_build_multistage_whiteouts() {
  _bb_setup
  mkctx_df "FROM scratch AS base
COPY busybox /bin/busybox
RUN [\"/bin/busybox\", \"--install\", \"-s\", \"/bin\"]
RUN mkdir -p /etc /gone/d && touch /gone/d/x /rmme /keep
RUN true
RUN true
FROM 1 AS never
FROM scratch AS other
FROM base AS builder
ARG MSG=default
RUN echo \"msg=\$MSG\" > /out.txt && rm /rmme && rm -rf /gone && mkdir /gone && touch /gone/new
FROM base
COPY --from=builder /out.txt /copied.txt
CMD [\"cat\", \"/copied.txt\"]"
  # two identical steps make the same layer twice (overlayfs refuses a lower dir given twice);
  # "FROM 1" names an image that is not in the store; --target skips that stage
  bb build -q --target builder --build-arg MSG=hi -t b "$CTX" >/dev/null
  bb unpack b "$T/b"
  assert_not_exists "$T/b/rootfs/rmme"
  assert_not_exists "$T/b/rootfs/gone/d"
  assert_file_exists "$T/b/rootfs/gone/new"
  assert_file_exists "$T/b/rootfs/keep"
  assert_eq msg=hi "$(cat "$T/b/rootfs/out.txt")" "build-arg in the stage"
  layer=$(bb inspect b | jq -r '.Manifest.layers[-1].digest' | cut -d: -f2)
  tar tzf "$STORE/blobs/sha256/$layer" >"$T/layer.txt"
  grep -qx '.wh.rmme' "$T/layer.txt" || fail "no whiteout for /rmme in the layer"
  grep -qx 'gone/.wh..wh..opq' "$T/layer.txt" || fail "no opaque marker for /gone"
  RC=0; bb build -q -t final "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  # The last stage only needs stage-0 and builder: "never" is not built.
  assert_rc 0
  out=$(bb run final)
  assert_eq msg=default "$out" "COPY --from=builder"
  RC=0; bb build -q --target never "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:7: FROM: image "1" is not in the local store'
}

test_build_instructions_config() {
  _bb_setup
  mkctx_df "$BB_BASE
RUN mkdir -p /etc && echo 'app:x:1000:1000::/home/app:/bin/sh' >/etc/passwd && echo 'app:x:1000:' >/etc/group && echo 'extra:x:1500:app' >>/etc/group
ENV A=1 B=\"two words\"
ENV C \${A}-\${B:+set}
LABEL org.example.x=y \"k w\"=v
WORKDIR /w
WORKDIR sub
USER app
EXPOSE 80 53/udp
VOLUME [\"/data\"]
STOPSIGNAL SIGINT
HEALTHCHECK --interval=30s --retries=2 CMD [\"true\"]
ENTRYPOINT [\"/bin/sh\", \"-c\"]
CMD [\"id -u; id -G; pwd; echo \$C\"]
SHELL [\"/bin/sh\", \"-ec\"]
MAINTAINER someone"
  bb build -q -t i "$CTX" >/dev/null
  c=$(bb inspect i | jq -c .Config)
  # the platform args BuildKit predefines
  mkctx_df "FROM --platform=\$BUILDPLATFORM scratch
ARG TARGETARCH
ENV ARCH=\$TARGETARCH"
  assert_eq '"ARCH=amd64"' "$(bb inspect "$(bb build -q "$CTX")" | jq -c '.Config.config.Env[-1]')" "TARGETARCH"
  mkctx_df "FROM --platform=linux/arm64 scratch"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:1: FROM: platform "linux/arm64" is not supported'
  assert_eq '["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","A=1","B=two words","C=1-set"]' "$(jq -c .config.Env <<<"$c")" "Env"
  assert_eq '{"k w":"v","org.example.x":"y"}' "$(jq -c .config.Labels <<<"$c")" "Labels"
  assert_eq /w/sub "$(jq -r .config.WorkingDir <<<"$c")" "WorkingDir"
  assert_eq app "$(jq -r .config.User <<<"$c")" "User"
  assert_eq '{"53/udp":{},"80/tcp":{}}' "$(jq -c .config.ExposedPorts <<<"$c")" "ExposedPorts"
  assert_eq '{"/data":{}}' "$(jq -c .config.Volumes <<<"$c")" "Volumes"
  assert_eq SIGINT "$(jq -r .config.StopSignal <<<"$c")" "StopSignal"
  assert_eq '{"Interval":30000000000,"Retries":2,"Test":["CMD","true"]}' "$(jq -c .config.Healthcheck <<<"$c")" "Healthcheck"
  assert_eq '["/bin/sh","-ec"]' "$(jq -c .config.Shell <<<"$c")" "Shell"
  assert_eq someone "$(jq -r .author <<<"$c")" "MAINTAINER"
  assert_eq "$(jq '.rootfs.diff_ids | length' <<<"$c")" "$(jq '[.history[] | select(.empty_layer != true)] | length' <<<"$c")" "history matches layers"
  bb unpack i "$T/i"
  assert_eq '{"additionalGids":[1500],"gid":1000,"uid":1000}' "$(jq -cS .process.user "$T/i/config.json")" "User resolved through /etc/passwd and /etc/group"
  assert_eq SIGINT "$(jq -r '.annotations["org.opencontainers.image.stopSignal"]' "$T/i/config.json")" "stopSignal annotation"
  out=$(bb run i)
  assert_eq "1000
1000 1500
/w/sub
1-set" "$out" "the container runs as app in /w/sub"
  # an unknown user is a clear error at unpack
  mkctx_df "$BB_BASE
USER nobody2"
  bb build -q -t u "$CTX" >/dev/null
  RC=0; bb unpack u "$T/u" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'user "nobody2": no such user in /etc/passwd of the image'
  assert_not_exists "$T/u"
}

test_build_copy_add_dockerignore() {
  _bb_setup
  mkctx_df "$BB_BASE
COPY dir/ /d/
COPY dir/*.txt /glob/
COPY --chown=1234:5678 --chmod=0600 one.txt /owned
ADD t.tgz /x/
ADD one.txt /y
CMD [\"true\"]"
  mkdir -p "$CTX/dir/sub" "$T/tarsrc"
  echo a >"$CTX/dir/a.txt"; echo s >"$CTX/dir/sub/s.txt"; echo k >"$CTX/dir/secret.key"; echo 1 >"$CTX/one.txt"
  echo intar >"$T/tarsrc/f"; tar czf "$CTX/t.tgz" -C "$T/tarsrc" f
  printf '# comment\n**/*.key\n' >"$CTX/.dockerignore"
  bb build -q -t c "$CTX" >/dev/null
  bb unpack c "$T/c"
  R=$T/c/rootfs
  assert_eq a "$(cat "$R/d/a.txt")" "dir contents copied"
  assert_eq s "$(cat "$R/d/sub/s.txt")" "subdir copied"
  assert_not_exists "$R/d/secret.key"
  assert_not_exists "$R/d/dir"
  assert_eq a.txt "$(ls "$R/glob")" "glob"
  assert_eq "1234:5678 600" "$(stat -c '%u:%g %a' "$R/owned")" "--chown --chmod"
  assert_eq intar "$(cat "$R/x/f")" "ADD extracts a local tar"
  assert_eq 1 "$(cat "$R/y")" "ADD of a plain file copies it"
  mkctx_df "$BB_BASE
COPY missing /x"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:4: COPY: "missing": not found in the build context'
  mkctx_df "$BB_BASE
COPY ../../etc/passwd /x"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1   # cleaned to /etc/passwd inside the context: not there
  assert_file_contains "$T/err" "not found in the build context"
  # a symlink in the context that points at a host file is resolved inside the context
  mkctx_df "$BB_BASE
COPY pw /x"
  ln -s /etc/passwd "$CTX/pw"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:4: COPY: "pw": not found in the build context'
  mkdir -p "$CTX/etc"; echo inside >"$CTX/etc/passwd"
  bb build -q -t pw "$CTX" >/dev/null
  assert_eq inside "$(bb run pw cat /x)" "the link led to the context's own etc/passwd"
  mkctx_df "$BB_BASE
ADD http://example.com/x /x"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "Dockerfile:4: ADD: source \"http://example.com/x\": URLs are not supported"
}

test_build_bad_dockerfiles_and_failing_run() {
  _bb_setup
  local cases=(
    'FROM scratch
COPY onlyone|Dockerfile:2: COPY: no source files were specified'
    'FROM scratch
FROB x|Dockerfile:2: unknown instruction: FROB'
    'RUN true|Dockerfile:1: RUN: no build stage in current context'
    'FROM scratch
ENV A=${B:?need_B}|Dockerfile:2: ENV: B: need_B'
    'FROM scratch
EXPOSE 99999|Dockerfile:2: EXPOSE: invalid port "99999"'
    'FROM scratch
STOPSIGNAL SIGFOO|Dockerfile:2: STOPSIGNAL: unknown signal'
    'FROM scratch
COPY --from=nosuch /a /b|Dockerfile:2: COPY: image "nosuch" is not in the local store'
  )
  for c in "${cases[@]}"; do
    mkctx_df "${c%%|*}"
    RC=0; bb build -q "$CTX" >"$T/out" 2>"$T/err" || RC=$?
    assert_rc 1 "${c##*|}"
    assert_file_contains "$T/err" "${c##*|}"
  done
  RC=0; printf 'FROM scratch\nCOPY x\n' | bb build -q -f - "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "Dockerfile:2: COPY: no source files were specified"
  RC=0; bb build -q -f "$T/nope" "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "cannot read the Dockerfile"
  mkctx_df "$BB_BASE
RUN echo before-failing; exit 3"
  RC=0; bb build -t f "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:4: RUN: ["/bin/sh","-c","echo before-failing; exit 3"] returned a non-zero code: 3'
  assert_file_contains "$T/out" before-failing
  RC=0; bb build -q -t f "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  assert_file_contains "$T/err" "before-failing"   # quiet: the tail is in the error
  bb images | grep -q '^f:latest' && fail "a failed build was tagged"
  assert_eq "" "$(ls "$STORE/berth/tmp")" "nothing left in the store's tmp"
  assert_eq "" "$(awk -v s="$STORE" 'index($5, s) == 1' /proc/self/mountinfo)" "no mounts left"
}

test_build_network_modes() {
  _bb_setup
  mkctx_df "$BB_BASE
RUN cat /proc/net/dev | tail -n +3 | cut -d: -f1 | tr -d ' ' | sort | tr '\n' ' '"
  bb build --no-cache "$CTX" >"$T/none.log"
  assert_file_contains "$T/none.log" " lo "
  n_none=$(grep -E '^#4 [0-9.]+ ' "$T/none.log" | wc -w)
  bb build --no-cache --network host "$CTX" >"$T/host.log"
  n_host=$(grep -E '^#4 [0-9.]+ ' "$T/host.log" | wc -w)
  log "none: $(grep -E '^#4 [0-9.]+ ' "$T/none.log"); host: $(grep -E '^#4 [0-9.]+ ' "$T/host.log")"
  [ "$n_host" -gt "$n_none" ] || fail "--network host shows no more interfaces than none"
}

test_build_output_and_transports() {
  _bb_setup
  mkctx
  d=$(bb build -q -t hello --output type=oci,dest="$T/h.oci.tar" "$CTX")
  bb build -q -t hello --output type=docker,dest="$T/h.docker.tar" "$CTX" >/dev/null
  bb build -q -t hello --output type=oci,dest="$T/h.layout",tar=false "$CTX" >/dev/null
  assert_file_exists "$T/h.layout/index.json"
  tar tf "$T/h.docker.tar" | grep -qx manifest.json || fail "no manifest.json in the docker archive"
  STORE=$T/s2 bb pull "oci-archive:$T/h.oci.tar" imp1 >/dev/null
  STORE=$T/s2 bb pull "oci:$T/h.layout:hello:latest" imp2 >/dev/null
  STORE=$T/s2 bb pull "docker-archive:$T/h.docker.tar" >/dev/null
  assert_eq "$d" "$(STORE=$T/s2 bb inspect imp1 | jq -r .Digest)" "oci-archive round trip keeps the digest"
  assert_eq "$d" "$(STORE=$T/s2 bb inspect imp2 | jq -r .Digest)" "oci layout round trip keeps the digest"
  out=$(STORE=$T/s2 bb run hello:latest)   # from the docker archive (its RepoTags)
  assert_contains "$out" "hello from berth-build" "image imported from docker-archive runs"
  bb push hello "docker-archive:$T/p.tar:again:v1"
  tar xOf "$T/p.tar" manifest.json | jq -e '.[0].RepoTags == ["again:v1"]' >/dev/null || fail "RepoTags"
  # FROM an archive transport and from a store image
  mkctx_df "FROM oci-archive:$T/h.oci.tar
RUN echo derived >/derived"
  bb build -q -t derived "$CTX" >/dev/null
  assert_eq derived "$(bb run derived cat /derived)" "FROM oci-archive:"
  RC=0; bb pull "oci-archive:$T/nothing.tar" 2>"$T/err" || RC=$?
  assert_rc 1
  # a hostile docker archive: manifest.json is a symlink to a host file
  mkdir "$T/evil"; ln -s /etc/passwd "$T/evil/manifest.json"; tar cf "$T/evil.tar" -C "$T/evil" manifest.json
  RC=0; bb pull "docker-archive:$T/evil.tar" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "manifest.json"
  assert_not_contains "$(cat "$T/err")" "root:x:0" "no host file content"
  if command -v skopeo >/dev/null; then
    skopeo inspect "oci-archive:$T/h.oci.tar" >"$T/si1" || fail "skopeo inspect oci-archive"
    assert_eq "$(jq -r .Digest "$T/si1")" "$d" "skopeo sees the same digest"
    skopeo inspect "docker-archive:$T/h.docker.tar" >/dev/null || fail "skopeo inspect docker-archive"
    skopeo inspect "oci:$STORE:hello:latest" >/dev/null || fail "skopeo inspect of the store (an OCI layout)"
  else
    log "skopeo not installed: interop not checked"
  fi
  if command -v umoci >/dev/null; then
    umoci unpack --image "$STORE:hello:latest" "$T/umoci-bundle" >/dev/null 2>"$T/umoci.err" || { cat "$T/umoci.err"; fail "umoci unpack"; }
    assert_file_exists "$T/umoci-bundle/rootfs/app/hello.sh"
  else
    log "umoci not installed: interop not checked"
  fi
}

test_build_concurrent_same_store() {
  _bb_setup
  mkctx
  bb build -q --no-cache -t c1 "$CTX" >"$T/o1" 2>&1 &
  p1=$!
  bb build -q --no-cache -t c2 "$CTX" >"$T/o2" 2>&1 &
  p2=$!
  track_pid "$p1"; track_pid "$p2"
  wait "$p1" || { cat "$T/o1"; fail "build 1"; }
  wait "$p2" || { cat "$T/o2"; fail "build 2"; }
  assert_eq "$(cat "$T/o1")" "$(cat "$T/o2")" "both builds made the same image"
  bb images | grep -q '^c1:latest' || fail "c1 missing"
  bb images | grep -q '^c2:latest' || fail "c2 missing"
}

test_build_onbuild_triggers() {
  _bb_setup
  mkctx_df "$BB_BASE
ONBUILD RUN echo triggered > /trigger
ONBUILD ENV FROM_TRIGGER=yes"
  bb build -q -t obase "$CTX" >/dev/null
  assert_eq '["RUN echo triggered > /trigger","ENV FROM_TRIGGER=yes"]' "$(bb inspect obase | jq -c .Config.config.OnBuild)" "OnBuild recorded"
  mkctx_df "FROM obase
CMD [\"cat\", \"/trigger\"]"
  bb build -t ochild "$CTX" >"$T/log"
  assert_file_contains "$T/log" "ONBUILD RUN echo triggered > /trigger"
  assert_eq triggered "$(bb run ochild)" "the base's ONBUILD RUN ran in the child build"
  assert_eq yes "$(bb inspect ochild | jq -r '.Config.config.Env[] | select(startswith("FROM_TRIGGER=")) | sub("FROM_TRIGGER="; "")')" "ONBUILD ENV"
  assert_eq null "$(bb inspect ochild | jq -c .Config.config.OnBuild)" "triggers are not inherited"
}

test_build_heredocs() {
  _bb_setup
  mkctx_df "$BB_BASE
RUN <<EOF
mkdir -p /h
echo script > /h/a
EOF
RUN cat <<'X' > /h/b && echo second >> /h/b
line \$HOME
X
COPY <<C1 <<C2 /h/
one
C1
two
C2
COPY <<F /h/file
content
F
CMD [\"cat\", \"/h/a\", \"/h/b\", \"/h/C1\", \"/h/C2\", \"/h/file\"]"
  bb build -q -t hd "$CTX" >/dev/null
  assert_eq 'script
line $HOME
second
one
two
content' "$(bb run hd)" "RUN and COPY here-documents"
}

test_build_podman_load_and_run() {
  _bb_setup
  command -v podman >/dev/null || skip "podman not installed (apt-get install podman)"
  mkctx
  bb build -q -t hello --output type=oci,dest="$T/h.oci.tar" "$CTX" >/dev/null
  bb build -q -t hello --output type=docker,dest="$T/h.docker.tar" "$CTX" >/dev/null
  RR=$(mktemp -d /tmp/bbp.XXXXXX)   # podman wants a runroot shorter than 50 characters
  P=(timeout -k 2 60 podman --root "$T/podman" --runroot "$RR" --storage-driver vfs --cgroup-manager cgroupfs
     --runtime "$RUNTIME")
  at_cleanup "${P[*]} rm -af -f >/dev/null 2>&1 || true; umount -R $RR 2>/dev/null || true; rm -rf $RR"
  # conmon's cgroup below the parent has no run id in its name: removed here, so that the
  # runner can remove the parent
  # (conmon may still be leaving it when `podman run --rm` returns: retried for a while)
  at_cleanup "for d in /sys/fs/cgroup/*/bbp-$RUN_ID/conmon /sys/fs/cgroup/bbp-$RUN_ID/conmon; do for i in \$(seq 1 50); do [ -d \$d ] || break; rmdir \$d 2>/dev/null && break; sleep 0.1; done; done; true"
  "${P[@]}" load -i "$T/h.oci.tar" >"$T/load1" 2>&1 || { cat "$T/load1"; fail "podman load of the oci archive"; }
  "${P[@]}" load -i "$T/h.docker.tar" >"$T/load2" 2>&1 || { cat "$T/load2"; fail "podman load of the docker archive"; }
  assert_file_contains "$T/load2" "Loaded image"
  # the host refuses to raise RLIMIT_NOFILE (no CAP_SYS_RESOURCE): keep podman's limits low
  # --cgroup-parent with the run id: the runner's cleanup removes it (and conmon's below it)
  out=$("${P[@]}" run --rm --network none --cgroup-parent "/bbp-$RUN_ID" --ulimit nofile=1024:1024 --ulimit nproc=1024:1024 \
    localhost/hello:latest 2>&1) ||
    { echo "$out"; fail "podman run"; }
  assert_eq "hello from berth-build: built by RUN, uid 0, cwd /app" "$out" "podman ran the image with $RUNTIME_NAME"
}

test_build_containerd_import_and_run() {
  _bb_setup
  command -v containerd >/dev/null && command -v ctr >/dev/null || skip "containerd/ctr not installed"
  mkctx
  bb build -q -t hello --output type=oci,dest="$T/h.oci.tar" "$CTX" >/dev/null
  mkdir -p "$T/rr" "$T/fifo"
  start_private_containerd "bb-$RUN_ID" 30 || fail "containerd did not come up"
  "${C[@]}" images import "$T/h.oci.tar" >"$T/import.log" 2>&1 || { cat "$T/import.log"; fail "ctr images import"; }
  "${C[@]}" images ls -q | grep -qx hello:latest || fail "hello:latest not in containerd after import"
  out=$("${C[@]}" run --rm --runc-binary "$RUNTIME" --runc-root "$T/rr" --fifo-dir "$T/fifo" hello:latest "$ID" 2>&1) ||
    { echo "$out"; fail "ctr run"; }
  assert_eq "hello from berth-build: built by RUN, uid 0, cwd /app" "$out" "containerd ran the image with $RUNTIME_NAME"
}

test_build_run_mounts() {
  _bb_setup
  mkctx_df "$BB_BASE
RUN --mount=type=cache,target=/var/cache/x echo run >> /var/cache/x/log && wc -l < /var/cache/x/log > /count
RUN --mount=type=bind,target=/src,source=data cat /src/in.txt > /copied && ! touch /src/new 2>/dev/null
RUN --mount=type=tmpfs,target=/scratch echo t > /scratch/f && ls /scratch > /tmpfs-seen
CMD [\"cat\", \"/count\", \"/copied\", \"/tmpfs-seen\"]"
  mkdir "$CTX/data"; echo from-context >"$CTX/data/in.txt"
  bb build -q -t m "$CTX" >/dev/null
  assert_eq "1
from-context
f" "$(bb run m)" "cache, bind and tmpfs mounts"
  bb unpack m "$T/m"
  assert_not_exists "$T/m/rootfs/var/cache"
  assert_not_exists "$T/m/rootfs/src"
  assert_not_exists "$T/m/rootfs/scratch"
  assert_not_exists "$CTX/data/new"
  # the cache mount persists between builds; a changed bind source invalidates its step
  echo changed >"$CTX/data/in.txt"
  bb build -q --no-cache -t m2 "$CTX" >/dev/null
  assert_eq "2
changed" "$(bb run m2 cat /count /copied)" "the cache kept the first build's line; the bind source changed"
  bb build -t m2 "$CTX" >"$T/log"
  assert_eq 5 "$(grep -c CACHED "$T/log")" "unchanged: all 5 layer steps cached"
}

test_build_many_layers() {
  _bb_setup
  # 75 layers: more than the 60 or so lower dirs that fit in the overlay mount options as
  # full paths (berth-build names them by short links)
  local df=$BB_BASE i
  for i in $(seq 1 73); do df+=$'\n'"RUN echo $i > /f$i"; done
  mkctx_df "$df
CMD [\"sh\", \"-c\", \"ls / | grep -c '^f'\"]"
  bb build -q -t many "$CTX" >/dev/null
  assert_eq 75 "$(bb inspect many | jq '.Manifest.layers | length')" "layers"
  assert_eq 73 "$(bb run many)" "every layer is visible"
}

test_build_same_as_buildah() {
  _bb_setup
  command -v buildah >/dev/null || skip "buildah not installed (bench/build-vs-buildah.sh installs it)"
  mkctx_df "$BB_BASE
ARG V=1
ENV A=1 B=\"two words\" C=\${V}x
ENV D \$A-\$B
LABEL x=y \"k w\"=v
WORKDIR /w
WORKDIR sub
COPY dir/ /d/
COPY dir/*.txt /g/
RUN mkdir -p /etc && echo 'app:x:1000:1000::/home/app:/bin/sh' > /etc/passwd && rm -rf /d/sub && ln -s /d /dl
USER app
EXPOSE 80 53/udp
VOLUME /data
STOPSIGNAL SIGINT
ENTRYPOINT [\"/bin/sh\", \"-c\"]
CMD [\"echo hi\"]
USER 10:20
COPY --chown=10:20 dir/a.txt /owned/new/
WORKDIR /last/deep"
  mkdir -p "$CTX/dir/sub"; echo a >"$CTX/dir/a.txt"; echo s >"$CTX/dir/sub/s.txt"; echo k >"$CTX/dir/x.key"
  printf '*.key\n' >"$CTX/.dockerignore"
  bb build -q -t mine "$CTX" >/dev/null
  # buildah's RUN uses runc (Debian's crun refuses hybrid cgroups)
  BAH=(timeout -k 2 50 buildah --root "$T/bah" --runroot "$T/bah-run" --storage-driver vfs)
  at_cleanup "${BAH[*]} rmi -a -f >/dev/null 2>&1 || true"
  "${BAH[@]}" bud --runtime /usr/bin/runc --network none -q -t theirs "$CTX" >/dev/null 2>"$T/bah.err" || { cat "$T/bah.err"; fail "buildah bud"; }
  "${BAH[@]}" push -q theirs "oci:$T/theirs:theirs" >/dev/null 2>&1 || fail "buildah push"
  bb pull "oci:$T/theirs:theirs" theirs >/dev/null
  assert_eq "$("${BAH[@]}" inspect --type image theirs | jq -cS '.OCIv1.config | del(.Labels["io.buildah.version"])')" \
    "$(bb inspect mine | jq -cS .Config.config)" "image config as buildah makes it"
  bb unpack theirs "$T/u-theirs" >/dev/null
  bb unpack mine "$T/u-mine" >/dev/null
  local d
  for d in theirs mine; do
    (cd "$T/u-$d/rootfs" && find . -printf '%p %M %U:%G %s %l\n' | sort) >"$T/$d.list"
  done
  # buildah leaves the mount points of its RUN containers behind; berth-build does not
  grep -vE '^\./(dev|proc|sys|run|etc/hostname) ' "$T/theirs.list" >"$T/theirs.filtered"
  diff "$T/theirs.filtered" "$T/mine.list" || fail "file systems differ (paths, modes, owners, sizes, link targets)"
}

test_build_run_in_process() {
  _bb_setup
  berth_only "RUN through libberth in-process"
  # berth-build alone, no berth binary next to it nor in PATH: RUN still works
  mkdir "$T/solo"; cp "$BB" "$T/solo/berth-build"
  drop_exe_view_at_cleanup "$T/solo/berth-build"
  solo() { PATH=/usr/sbin:/usr/bin:/sbin:/bin timeout -k 2 120 "$T/solo/berth-build" --root "$STORE" "$@"; }
  PATH=/usr/sbin:/usr/bin:/sbin:/bin command -v berth >/dev/null && skip "a berth binary is in /usr/bin or /bin"
  mkctx_df "$BB_BASE
ENV WHO=env-reached
RUN echo \"line1 \$WHO\"; echo line2 >&2; echo \"uid \$(id -u) host \$(hostname)\"
RUN echo before-failing; exit 3"
  RC=0; solo build -t ip "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/out" "line1 env-reached"
  assert_file_contains "$T/out" "line2"
  assert_file_contains "$T/out" "uid 0 host berth-build"
  assert_file_contains "$T/out" "before-failing"
  assert_file_contains "$T/err" 'Dockerfile:6: RUN: ["/bin/sh","-c","echo before-failing; exit 3"] returned a non-zero code: 3'
  assert_not_contains "$(cat "$T/err" "$T/out")" "runtime" "no runtime binary was looked for"
  # a command that does not exist: 127 and the reason in the step's output
  mkctx_df "$BB_BASE
RUN [\"/no/such/cmd\"]"
  RC=0; solo build "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'returned a non-zero code: 127'
  assert_file_contains "$T/out" "/no/such/cmd"
  # a setting the runtime refuses is an error of the step, not an exit code
  mkctx_df "$BB_BASE
USER nobody2
RUN true"
  RC=0; solo build "$CTX" >"$T/out" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:5: RUN: user "nobody2"'
  # SIGTERM to berth-build while a RUN runs: the container goes too, nothing is left
  mkctx_df "$BB_BASE
RUN echo started; exec sleep 31337"
  # berth-build itself in the background (not a subshell running it): $! is its pid
  PATH=/usr/sbin:/usr/bin:/sbin:/bin "$T/solo/berth-build" --root "$STORE" build --no-cache "$CTX" >"$T/out" 2>&1 &
  local bpid=$!
  track_pid "$bpid"
  wait_for_file_contains() { local i; for ((i = 0; i < 200; i++)); do grep -q "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done; return 1; }
  wait_for_file_contains "$T/out" started || { cat "$T/out"; fail "the RUN did not start"; }
  kill -TERM "$bpid"
  # berth-build passes the signal on and dies of it once the RUN child has cleaned up: no wait
  local rc=0
  wait "$bpid" || rc=$?
  assert_eq 143 "$rc" "berth-build's status after SIGTERM"
  grep -qs 'sleep.3133[7]' /proc/[0-9]*/cmdline && fail "the RUN container outlived berth-build"
  assert_eq "" "$(awk -v s="$STORE" 'index($5, s) == 1' /proc/self/mountinfo)" "no mounts left"
  assert_eq "" "$(find /sys/fs/cgroup -maxdepth 5 -name "berth-build-$bpid-*" 2>/dev/null)" "no cgroup left"
}

# The native snapshotter (copies of the layers, for stores where overlayfs cannot be used)
# gives the same image as overlayfs: changed, new and removed files, replaced directories.
test_build_native_snapshotter() {
  _bb_setup
  mkctx_df "$BB_BASE
RUN mkdir -p /d/sub /gone/x /o && echo 1 > /d/f && echo keep > /d/sub/k && touch /gone/x/y /rm /o/old && ln -s d /lnk && chmod 0700 /d/sub
RUN echo 2 >> /d/f && rm /rm && rm -rf /gone && mkdir /gone && echo n > /gone/new && rm -rf /o && mkdir /o && touch /o/fresh && chmod 0755 /d/sub && ln /d/f /d/hard && mkdir -p /a/b/c && echo deep > /a/b/c/f
COPY busybox /bin/busybox2
WORKDIR /w
CMD [\"sh\", \"-c\", \"cat /d/f /d/hard /gone/new /a/b/c/f; ls /o; ls /gone; test ! -e /rm && test ! -e /gone/x && stat -c %a /d/sub\"]"
  d_ovl=$(bb build -q --snapshotter overlayfs -t ovl "$CTX")
  d_nat=$(STORE=$T/store-native bb build -q --snapshotter native -t nat "$CTX")
  assert_eq "$d_ovl" "$d_nat" "native and overlayfs give the same image"
  d_env=$(STORE=$T/store-env BERTH_BUILD_SNAPSHOTTER=native bb build -q "$CTX")
  assert_eq "$d_ovl" "$d_env" "BERTH_BUILD_SNAPSHOTTER=native"
  assert_eq "1
2
1
2
n
deep
fresh
new
755" "$(STORE=$T/store-native bb run nat)" "the native image runs"
  layer=$(STORE=$T/store-native bb inspect nat | jq -r '.Manifest.layers[3].digest' | cut -d: -f2)
  tar tzf "$T/store-native/blobs/sha256/$layer" >"$T/layer.txt"
  grep -qx '.wh.rm' "$T/layer.txt" || fail "no whiteout for /rm"
  grep -qx 'gone/.wh..wh..opq' "$T/layer.txt" || fail "/gone is not opaque"
  grep -qx 'o/.wh..wh..opq' "$T/layer.txt" || fail "/o is not opaque"
  assert_eq "" "$(grep -E '^(proc|sys|dev)' "$T/layer.txt" || true)" "no runtime mount points in the layer"
  # auto: a store on a file system overlayfs refuses as upper (overlayfs itself) falls back
  mkdir -p "$T/ovfs/l" "$T/ovfs/u" "$T/ovfs/w" "$T/ovfs/m"
  mount -t overlay overlay -o "lowerdir=$T/ovfs/l,upperdir=$T/ovfs/u,workdir=$T/ovfs/w" "$T/ovfs/m" || skip "cannot mount overlayfs here"
  RC=0; STORE=$T/ovfs/m/store bb build -t auto "$CTX" >"$T/auto.log" 2>&1 || RC=$?
  [ "$RC" = 0 ] || { cat "$T/auto.log"; fail "build on an overlayfs store"; }
  if grep -q 'overlayfs cannot be used' "$T/auto.log"; then
    assert_eq "$d_ovl" "$(STORE=$T/ovfs/m/store bb inspect auto | jq -r .Digest)" "auto fell back to native: same image"
  else
    log "this kernel accepts an overlayfs upper dir on overlayfs: auto used overlayfs"
  fi
}

# RUN --mount=type=secret and type=ssh (BuildKit's): the secret is readable during the RUN,
# on a tmpfs, and in no layer; the ssh agent's socket is forwarded (a real ssh-agent answers).
test_build_secret_and_ssh_mounts() {
  _bb_setup
  printf 's3cr3t-value' >"$T/secret.txt"
  local sha
  sha=$(sha256sum <"$T/secret.txt" | cut -c1-64)
  mkctx_df "$BB_BASE
RUN --mount=type=secret,id=tok sha256sum /run/secrets/tok | cut -c1-64 > /secret.sha && stat -c '%a %u' /run/secrets/tok > /secret.mode && grep ' /run/secrets/tok ' /proc/self/mountinfo | sed 's/.* - //' | cut -d' ' -f1 > /secret.fstype && ! sh -c 'echo x > /run/secrets/tok' 2>/dev/null
RUN --mount=type=secret,id=tok,target=/etc/app.key,mode=0440,uid=7 --mount=type=secret,id=fromenv stat -c '%a %u' /etc/app.key > /key.mode && cat /run/secrets/fromenv | wc -c > /env.len
RUN --mount=type=secret,id=absent test ! -e /run/secrets/absent && echo skipped > /absent
CMD [\"cat\", \"/secret.sha\", \"/secret.mode\", \"/secret.fstype\", \"/key.mode\", \"/env.len\", \"/absent\"]"
  MYSECRET=from-env-12 bb build -q -t sec --secret id=tok,src="$T/secret.txt" --secret id=fromenv,env=MYSECRET "$CTX" >"$T/out" 2>&1 || { cat "$T/out"; fail "build with secrets"; }
  assert_eq "$sha
400 0
tmpfs
440 7
11
skipped" "$(bb run sec)" "secrets readable during RUN, on a tmpfs, with their mode and owner"
  local l
  for l in $(bb inspect sec | jq -r '.Manifest.layers[].digest' | cut -d: -f2); do
    zcat "$STORE/blobs/sha256/$l" | grep -qa s3cr3t-value && fail "the secret is in layer $l"
    zcat "$STORE/blobs/sha256/$l" | grep -qa from-env-12 && fail "the env secret is in layer $l"
    tar tzf "$STORE/blobs/sha256/$l" | grep -E '^(run/secrets|etc/app.key)' && fail "a secret's mount point is in layer $l"
  done
  assert_eq "" "$(grep -rl s3cr3t-value "$STORE" 2>/dev/null || true)" "the secret is nowhere in the store"
  # the secret's value is not part of the cache key (BuildKit's rule); a missing required one fails
  printf 'other' >"$T/secret.txt"
  MYSECRET=x bb build -t sec --secret id=tok,src="$T/secret.txt" --secret id=fromenv,env=MYSECRET "$CTX" >"$T/log" 2>&1
  assert_eq 5 "$(grep -c CACHED "$T/log" || true)" "a changed secret value keeps the cache"
  mkctx_df "$BB_BASE
RUN --mount=type=secret,id=need,required cat /run/secrets/need"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'Dockerfile:4: RUN: --mount=type=secret: secret "need" was not given (--secret id=need,src=PATH)'
  RC=0; bb build -q --secret id=need,src="$T/nope" "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "--secret need: $T/nope"

  # ssh: a real agent with one key; a static client in the image asks it for its identities
  command -v ssh-agent >/dev/null && command -v ssh-keygen >/dev/null && command -v ssh-add >/dev/null || skip "openssh-client not installed"
  command -v gcc >/dev/null || skip "gcc not installed (the agent client is built here)"
  ssh-agent -D -a "$T/agent.sock" >/dev/null 2>&1 &
  track_pid $!
  local i
  for ((i = 0; i < 100; i++)); do [ -S "$T/agent.sock" ] && break; sleep 0.05; done
  ssh-keygen -q -t ed25519 -N '' -f "$T/key" >/dev/null
  SSH_AUTH_SOCK=$T/agent.sock ssh-add "$T/key" 2>/dev/null || fail "ssh-add"
  cat >"$T/agentc.c" <<'CEOF'
/* asks $SSH_AUTH_SOCK for its identities; prints "identities N" */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
int main(void) {
  const char *p = getenv("SSH_AUTH_SOCK");
  if (!p) { puts("no SSH_AUTH_SOCK"); return 1; }
  int fd = socket(AF_UNIX, SOCK_STREAM, 0);
  struct sockaddr_un a = {.sun_family = AF_UNIX};
  strncpy(a.sun_path, p, sizeof a.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) { perror("connect"); return 1; }
  unsigned char req[5] = {0, 0, 0, 1, 11}, r[9];
  if (write(fd, req, 5) != 5) return 1;
  size_t got = 0;
  while (got < 9) { ssize_t n = read(fd, r + got, 9 - got); if (n <= 0) return 1; got += (size_t)n; }
  if (r[4] != 12) { printf("answer type %d\n", r[4]); return 1; }
  printf("identities %u\n", (unsigned)(r[5] << 24 | r[6] << 16 | r[7] << 8 | r[8]));
  return 0;
}
CEOF
  gcc -static -O1 -o "$T/agentc" "$T/agentc.c" 2>"$T/gcc.err" || skip "gcc -static cannot build the agent client: $(head -c 200 "$T/gcc.err")"
  mkctx_df "$BB_BASE
COPY agentc /agentc
RUN --mount=type=ssh echo \"sock \$SSH_AUTH_SOCK\"; /agentc
RUN --mount=type=ssh,id=other,target=/agent.sock SSH_AUTH_SOCK=/agent.sock /agentc"
  cp "$T/agentc" "$CTX/agentc"
  SSH_AUTH_SOCK=$T/agent.sock bb build --ssh default --ssh other="$T/agent.sock" "$CTX" >"$T/ssh.log" 2>&1 || { cat "$T/ssh.log"; fail "build with --ssh"; }
  assert_file_contains "$T/ssh.log" "sock /run/buildkit/ssh_agent.0"
  assert_eq 2 "$(grep -c 'identities 1' "$T/ssh.log")" "both RUNs reached the agent"
  mkctx_df "$BB_BASE
RUN --mount=type=ssh,required test -S \$SSH_AUTH_SOCK"
  RC=0; bb build -q "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" 'ssh "default" was not given (--ssh default=SOCKET)'
  RC=0; bb build -q --ssh default="$T/key" "$CTX" 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "is not a socket (key files are not supported"
}

# --progress: auto is the live display when stderr is a terminal (here a pty from script(1)),
# plain lines otherwise; tty without a terminal is refused.
test_build_progress_tty() {
  _bb_setup
  command -v script >/dev/null || skip "script (util-linux) not installed"
  local rt=(--runtime "$RUNTIME")
  is_berth && rt=()
  mkctx_df "$BB_BASE
RUN echo tty-out-1; sleep 0.5; echo tty-out-2
ENV X=1"
  local cmd
  cmd=$(printf '%q ' timeout -k 2 120 "$BB" --root "$STORE" "${rt[@]}" build -t tt "$CTX")
  # stdout to a file, stderr on the pty: the typescript is what the terminal showed
  COLUMNS=100 script -qec "stty cols 100; $cmd >$(printf %q "$T/stdout1")" "$T/ts1" >/dev/null || { cat "$T/ts1"; fail "tty build"; }
  tr -d '\r' <"$T/ts1" >"$T/tty1"
  assert_file_contains "$T/tty1" '[+] Building'
  assert_file_contains "$T/tty1" 'FINISHED'
  assert_file_contains "$T/tty1" ' => [stage-0 4/5] RUN echo tty-out-1; sleep 0.5; echo tty-out-2'
  assert_file_contains "$T/tty1" ' => => # tty-out-1'
  assert_file_contains "$T/tty1" ' => writing image sha256:'
  assert_file_contains "$T/tty1" 'layer '
  grep -q $'\x1b\[[0-9]*A' "$T/tty1" || fail "no cursor movement: not a live display"
  awk 'length($0) > 100 && !/\x1b/ && !/^Script / {bad=1} END {exit bad}' "$T/tty1" || fail "a line wider than the terminal"
  assert_eq "" "$(grep '^#' "$T/stdout1" || true)" "no plain lines on stdout"
  # cached rebuild: CACHED lines
  script -qec "$cmd >/dev/null" "$T/ts2" >/dev/null || fail "tty rebuild"
  tr -d '\r' <"$T/ts2" >"$T/tty2"
  assert_file_contains "$T/tty2" ' => CACHED [stage-0 4/5] RUN echo tty-out-1'
  # a failing step stays on screen with its output
  mkctx_df "$BB_BASE
RUN echo about-to-fail; exit 4"
  cmd=$(printf '%q ' timeout -k 2 120 "$BB" --root "$STORE" "${rt[@]}" build "$CTX")
  script -qec "$cmd" "$T/ts3" >/dev/null || true
  tr -d '\r' <"$T/ts3" >"$T/tty3"
  assert_file_contains "$T/tty3" ' => ERROR [stage-0 4/4] RUN echo about-to-fail; exit 4'
  assert_file_contains "$T/tty3" ' => => # about-to-fail'
  assert_file_contains "$T/tty3" 'Dockerfile:4: RUN: ["/bin/sh","-c","echo about-to-fail; exit 4"] returned a non-zero code: 4'
  # plain on a terminal when asked; auto without a terminal is plain; tty without one is refused
  script -qec "$cmd --progress plain" "$T/ts4" >/dev/null || true
  assert_file_contains "$T/ts4" '#4 [stage-0 4/4] RUN echo about-to-fail; exit 4'
  grep -q $'\x1b\[' "$T/ts4" && fail "escape sequences in plain mode"
  bb build -t tt "$CTX" >"$T/plain.log" 2>&1 || true
  assert_file_contains "$T/plain.log" '#4 [stage-0 4/4] RUN'
  RC=0; bb build --progress tty "$CTX" >/dev/null 2>"$T/err" || RC=$?
  assert_rc 1
  assert_file_contains "$T/err" "--progress tty: stderr is not a terminal"
}

# docker load (docker 20.10 reads docker-archive, gzip layers) of a type=docker output, then
# docker run of it with the runtime under test, in a private containerd + dockerd (own roots,
# sockets and cgroup parent, no iptables, no bridge: as tests/integration/engines/run.sh
# starts them).
test_build_docker_load_and_run() {
  _bb_setup
  command -v dockerd >/dev/null && command -v docker >/dev/null && command -v containerd >/dev/null ||
    skip "docker.io/containerd not installed (tests/integration/engines/setup.sh installs them)"
  mkctx
  bb build -q -t hello --output type=docker,dest="$T/h.docker.tar" "$CTX" >/dev/null
  local c=$T/c i
  mkdir -p "$c/root" "$c/state" "$c/tmp" "$c/opt" "$T/docker" "$T/dx/runtime-runc/moby" "$T/dx/runtime-rt/moby"
  bash "$REPO/tests/integration/engines/lib.sh" __containerd_config "$c" "$T/c.sock" >"$T/c.toml"
  [ -e /run/docker ] || at_cleanup "rmdir /run/docker/plugins /run/docker 2>/dev/null; true"
  # stopped by at_cleanup (run in reverse order: dockerd, containerd, then stray shims), politely:
  # dockerd stops its containers and lets go of its mounts only when asked with SIGTERM
  stop_at_cleanup() { at_cleanup "kill -TERM $1 2>/dev/null; for i in \$(seq 1 150); do kill -0 $1 2>/dev/null || break; sleep 0.1; done; kill -KILL $1 2>/dev/null; true"; }
  at_cleanup "for p in \$(ps -eo pid=,args= | awk -v t='$T/' 'index(\$0, t) && \$2 ~ /containerd-shim/ {print \$1}'); do kill -9 \$p 2>/dev/null; done; true"
  setsid containerd --config "$T/c.toml" </dev/null >"$T/containerd.log" 2>&1 &
  stop_at_cleanup $!
  for ((i = 0; i < 100; i++)); do [ -S "$T/c.sock" ] && break; sleep 0.1; done
  [ -S "$T/c.sock" ] || skip "containerd cannot start here: $(tail -n 3 "$T/containerd.log" | tr '\n' ' ')"
  cat >"$T/daemon.json" <<JSON
{"deprecated-key-path": "$T/docker/key.json", "storage-driver": "overlay2", "log-driver": "json-file"}
JSON
  setsid dockerd --config-file "$T/daemon.json" --data-root "$T/docker" --exec-root "$T/dx" \
    -H "unix://$T/docker.sock" --pidfile "$T/docker.pid" --containerd "$T/c.sock" \
    --exec-opt native.cgroupdriver=cgroupfs --cgroup-parent "/bb-$RUN_ID-docker" \
    --iptables=false --ip6tables=false --ip-forward=false --ip-masq=false --userland-proxy=false \
    --bridge=none --add-runtime "rt=$RUNTIME" --default-runtime rt </dev/null >"$T/dockerd.log" 2>&1 &
  local dpid=$!
  stop_at_cleanup "$dpid"
  D=(timeout -k 2 60 docker -H "unix://$T/docker.sock")
  for ((i = 0; i < 300; i++)); do
    "${D[@]}" version >/dev/null 2>&1 && break
    kill -0 "$dpid" 2>/dev/null || break
    sleep 0.1
  done
  "${D[@]}" version >/dev/null 2>&1 || skip "dockerd cannot start here: $(tail -n 3 "$T/dockerd.log" | tr '\n' ' ')"
  "${D[@]}" load -i "$T/h.docker.tar" >"$T/load.log" 2>&1 || { cat "$T/load.log"; fail "docker load"; }
  assert_file_contains "$T/load.log" "Loaded image: hello:latest"
  assert_eq '["/app/hello.sh"]' "$("${D[@]}" image inspect -f '{{json .Config.Cmd}}' hello:latest)" "Cmd as docker sees it"
  assert_eq /app "$("${D[@]}" image inspect -f '{{.Config.WorkingDir}}' hello:latest)" "WorkingDir as docker sees it"
  out=$("${D[@]}" run --rm --network none hello:latest 2>&1) || { echo "$out"; tail -n 20 "$T/dockerd.log"; fail "docker run"; }
  assert_eq "hello from berth-build: built by RUN, uid 0, cwd /app" "$out" "docker ran the loaded image with $RUNTIME_NAME"
}

# CVE-2019-5736 through a RUN: the containers are cloned from berth-build, so a
# `#!/proc/self/exe` RUN runs berth-build inside the container; it must reach a read-only
# sealed copy (EROFS), never the binary on disk (ETXTBSY only while berth-build runs would
# not do: the verdict refuses that). The attacker reports into a RUN cache mount.
test_build_run_cve_2019_5736() {
  _bb_setup
  berth_only "berth-build's in-process RUN (the control runtime is not berth-build)"
  mkdir -p "$T/bbbin"
  cp "$BB" "$T/bbbin/berth-build"
  BB=$T/bbbin/berth-build
  drop_exe_view_at_cleanup "$BB"
  local hash0
  hash0=$(sha256sum <"$BB")
  mkctx_df "$BB_BASE
COPY root/ /
RUN --mount=type=cache,target=/shared,id=cve [\"/entry\"]"
  cve5736_plant "$BB" "$CTX/root"
  local shared=$STORE/berth/run-cache/$(printf '%s' cve | sha256sum | cut -c1-64)
  bb build -q "$CTX" >"$T/out" 2>&1 || { cat "$T/out"; fail "build"; }
  cve5736_verdict "$shared/result" "$BB" "$hash0"
}
