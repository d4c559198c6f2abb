#!/usr/bin/env bash
# setup.sh: installs the Debian packages the engine suite needs, if any is missing.
# containerd 1.6, docker.io 20.10 (dockerd, docker CLI, docker-init), podman 4.3 (+ conmon),
# busybox-static (the image), jq, iproute2 (the bridge), util-linux (script: a pty for -t).
#
# Package maintainer scripts may try to start containerd/docker: a policy-rc.d that forbids
# starting services is put in place for the install if the machine has none, so no system
# daemon is left running (there is no systemd here anyway).
set -euo pipefail
PKGS=(containerd docker.io podman conmon tini busybox-static jq iproute2 util-linux)
missing=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}\n' "$p" 2>/dev/null | grep -q '^install ok installed' || missing+=("$p")
done
[ ${#missing[@]} -gt 0 ] || exit 0
echo "engines/setup.sh: installing ${missing[*]}"
made_policy=""
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
  chmod 0755 /usr/sbin/policy-rc.d
  made_policy=1
fi
rc=0
{ apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } \
  >/tmp/berth-engines-apt.log 2>&1 || rc=$?
[ -z "$made_policy" ] || rm -f /usr/sbin/policy-rc.d
if [ "$rc" != 0 ]; then
  echo "engines/setup.sh: apt-get failed ($rc):" >&2
  tail -n 20 /tmp/berth-engines-apt.log >&2
  exit "$rc"
fi
