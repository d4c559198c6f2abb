#!/bin/bash
# Unpacks the Debian 12 source packages of the peer runtimes (runc, crun) into a cache dir, for
# their own test suites (runc's tests/integration/*.bats, crun's tests/test_*.py) to be run
# against berth, runc and crun side by side. Nothing of theirs is committed here: the sources
# come from Debian's archive at run time (deb-src of the same suites the host's apt uses), with
# a private apt lists dir so the host's apt configuration is left as it was.
#
# usage: fetch_sources.sh CACHE_DIR      prints "runc=DIR" and "crun=DIR" lines
set -euo pipefail

cache=${1:?usage: fetch_sources.sh CACHE_DIR}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd)

if [ -d "$cache/runc/tests/integration" ] && [ -d "$cache/crun/tests" ]; then
	echo "runc=$cache/runc"
	echo "crun=$cache/crun"
	exit 0
fi

command -v dpkg-source >/dev/null || { echo "fetch_sources: dpkg-source missing (apt-get install dpkg-dev)" >&2; exit 1; }

apt_dir=$cache/apt
rm -rf "$apt_dir"
mkdir -p "$apt_dir/sources.d" "$apt_dir/lists/partial" "$apt_dir/dl"
cat >"$apt_dir/sources.d/debian-src.sources" <<SRC
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb-src
URIs: http://deb.debian.org/debian-security
Suites: bookworm-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
apt_opts=(-o Dir::Etc::SourceList=/dev/null -o Dir::Etc::SourceParts="$apt_dir/sources.d"
	-o Dir::State::Lists="$apt_dir/lists" -o APT::Sandbox::User=root)
apt-get "${apt_opts[@]}" -qq update >&2 || { echo "fetch_sources: apt-get update of deb-src failed" >&2; exit 1; }
(cd "$apt_dir/dl" && apt-get "${apt_opts[@]}" -qq source --download-only runc crun >&2) ||
	{ echo "fetch_sources: apt-get source runc crun failed" >&2; exit 1; }

for pkg in runc crun; do
	dsc=$(ls "$apt_dir/dl/${pkg}"_*.dsc | head -1)
	rm -rf "${cache:?}/$pkg"
	dpkg-source --no-check -x "$dsc" "$cache/$pkg" >/dev/null
	basename "$dsc" .dsc >"$cache/$pkg/.debian-version"
done
echo "runc=$cache/runc"
echo "crun=$cache/crun"
