#!/bin/bash
# runc's own integration suite (tests/integration/*.bats of Debian 12's runc source package)
# against one runtime: `RUNC=BINARY bats --tap`, the TAP written to TAP_OUT. Called by
# tests/peers/run.sh once per runtime; docs/peer-suites.md says what is provided and what not.
#
# usage: runc_bats.sh CACHE RUNTIME_NAME RUNTIME_BINARY TAP_OUT
#   CACHE: the dir fetch_sources.sh filled (CACHE/runc is runc's source tree).
#   RUNC_BATS_SRC=DIR: take tests/integration from this runc source tree instead (a checkout of
#   a newer runc; nothing of it is fetched or kept here). docs/peer-suites.md.
#   RUNC_BATS_FILES="exec.bats tty.bats": only these files of the suite (default: all).
#   RUNC_BATS_FILTER=REGEX: only the tests whose name matches (bats --filter).
#   RUNC_BATS_AS=runc (default): the runtime is called through a symlink named `runc`, as an
#   operator swaps a runtime in for runc (help.bats and version.bats look for that name; berth
#   names itself after argv[0], runc and crun print their own names whatever they are called);
#   RUNC_BATS_AS=own calls it by its own path.
#
# Nothing is downloaded: what the suite would fetch or build is provided here —
#   busybox image   from Debian's busybox-static (every applet in /bin, the users and groups of
#                   the docker-library busybox image the suite was written against);
#   debian image    busybox-static plus Debian's static ldconfig (hooks.bats) and findmnt,
#                   chrt with their libraries (newer runc's propagation, idmap, scheduler tests),
#                   not a full Debian;
#   `go env GOARCH` a stub `go` on PATH for get-images.sh;
#   recvtty, seccompagent, pidfd-kill, fs-idmap  tests/peers/recvtty.c, seccompagent.cpp,
#                   pidfd_kill.c, fs_idmap.c (compiled here, cached);
#   sd-helper       not provided: its tests need systemd as PID 1 (absent here) and skip.
# The suite runs in a private work dir (a copy of the suite, its TMPDIR, its state dirs), which
# is removed afterwards with everything left in it: containers, mounts, the test cgroups, and
# the helper processes (found by the work dir in their command line).
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
cache=$(cd "${1:?usage: runc_bats.sh CACHE NAME BINARY TAP_OUT}" && pwd)
name=${2:?runtime name}
binary=$(readlink -f "${3:?runtime binary}")
tap_out=${4:?TAP output file}
src=${RUNC_BATS_SRC:-$cache/runc}
[ -d "$src/tests/integration" ] || { echo "runc_bats: no runc source in $src (run fetch_sources.sh)" >&2; exit 1; }
[ -x "$binary" ] || { echo "runc_bats: $binary: not an executable" >&2; exit 1; }
for tool in bats jq gawk python3 busybox cc g++; do
	command -v "$tool" >/dev/null || { echo "runc_bats: $tool missing (make peer-suites installs it)" >&2; exit 1; }
done
[ "$(id -u)" = 0 ] || { echo "runc_bats: must run as root" >&2; exit 1; }

# --- the images, made once per cache -------------------------------------------------------
images=$cache/images
recipe=4 # bump when make_busybox_rootfs or make_images change: the cached images are remade
arch=$(dpkg --print-architecture)
make_busybox_rootfs() { # DIR
	local dir=$1 applet
	# No proc or sys: the image the suite was written for has none (mask.bats replaces them by
	# symlinks and expects the runtime to refuse).
	mkdir -p "$dir"/{bin,sbin,usr/bin,usr/sbin,etc,dev,tmp,root,home,var/spool/mail,var/www}
	cp /bin/busybox "$dir/bin/busybox"
	for applet in $(/bin/busybox --list); do
		[ "$applet" = busybox ] || ln -f "$dir/bin/busybox" "$dir/bin/$applet"
	done
	cat >"$dir/etc/passwd" <<-'EOF'
		root:x:0:0:root:/root:/bin/sh
		daemon:x:1:1:daemon:/usr/sbin:/bin/false
		bin:x:2:2:bin:/bin:/bin/false
		sys:x:3:3:sys:/dev:/bin/false
		sync:x:4:100:sync:/bin:/bin/sync
		mail:x:8:8:mail:/var/spool/mail:/bin/false
		www-data:x:33:33:www-data:/var/www:/bin/false
		operator:x:37:37:Operator:/var:/bin/false
		nobody:x:65534:65534:nobody:/home:/bin/false
	EOF
	cat >"$dir/etc/group" <<-'EOF'
		root:x:0:
		daemon:x:1:
		bin:x:2:
		sys:x:3:
		adm:x:4:
		tty:x:5:
		disk:x:6:
		lp:x:7:
		mail:x:8:
		kmem:x:9:
		wheel:x:10:root
		cdrom:x:11:
		dialout:x:18:
		floppy:x:19:
		video:x:28:
		audio:x:29:
		tape:x:32:
		www-data:x:33:
		operator:x:37:
		utmp:x:43:
		plugdev:x:46:
		staff:x:50:
		lock:x:54:
		netdev:x:82:
		users:x:100:
		nogroup:x:65534:
	EOF
	chmod 1777 "$dir/tmp"
	chmod 700 "$dir/root"
}
make_images() {
	local tmp
	tmp=$(mktemp -d "$cache/images.XXXXXX") || return 1
	make_busybox_rootfs "$tmp/busybox"
	make_busybox_rootfs "$tmp/debian"
	mkdir -p "$tmp/debian/lib" "$tmp/debian/usr/lib" "$tmp/debian/etc/ld.so.conf.d"
	cp /sbin/ldconfig "$tmp/debian/sbin/ldconfig"
	# util-linux's findmnt and chrt with their libraries (newer runc's propagation, idmap and
	# scheduler tests run them in the Debian image).
	local tool lib
	mkdir -p "$tmp/debian/usr/bin"
	for tool in findmnt chrt; do
		cp "/usr/bin/$tool" "$tmp/debian/usr/bin/$tool"
		for lib in $(ldd "/usr/bin/$tool" | grep -o '/[^ ]*'); do
			mkdir -p "$tmp/debian$(dirname "$lib")" && cp -L "$lib" "$tmp/debian$lib"
		done
	done
	echo 'include /etc/ld.so.conf.d/*.conf' >"$tmp/debian/etc/ld.so.conf"
	mkdir -p "$tmp/out"
	tar -C "$tmp/busybox" -cJf "$tmp/out/busybox-$arch.tar.xz" . &&
		tar -C "$tmp/debian" -cJf "$tmp/out/debian-$arch.tar.xz" . &&
		echo "$recipe" >"$tmp/out/recipe" && rm -rf "$images" && mv "$tmp/out" "$images"
	local rc=$?
	rm -rf "$tmp"
	return $rc
}
if [ "$(cat "$images/recipe" 2>/dev/null)" != "$recipe" ]; then
	file -L /bin/busybox | grep -q 'statically linked\|static-pie' ||
		{ echo "runc_bats: /bin/busybox is not static (apt-get install busybox-static)" >&2; exit 1; }
	file -L /sbin/ldconfig | grep -q 'statically linked\|static-pie' ||
		{ echo "runc_bats: /sbin/ldconfig is not static" >&2; exit 1; }
	make_images || { echo "runc_bats: making the test images failed" >&2; exit 1; }
fi

# --- recvtty and seccompagent, compiled once per cache (again when their source changes) -------
tools=$cache/tools
mkdir -p "$tools"
build_tool() { # NAME SOURCE COMPILER [FLAGS...]
	local name=$1 source=$2 sum
	shift 2
	sum=$(sha256sum <"$source")
	[ -x "$tools/$name" ] && [ "$(cat "$tools/$name.sum" 2>/dev/null)" = "$sum" ] && return 0
	"$1" "${@:2}" -o "$tools/$name.new" "$source" ${LIBS:-} &&
		mv "$tools/$name.new" "$tools/$name" && echo "$sum" >"$tools/$name.sum"
}
build_tool recvtty "$here/recvtty.c" cc -O2 -Wall ||
	{ echo "runc_bats: compiling recvtty.c failed" >&2; exit 1; }
build_tool pidfd-kill "$here/pidfd_kill.c" cc -O2 -Wall ||
	{ echo "runc_bats: compiling pidfd_kill.c failed" >&2; exit 1; }
build_tool fs-idmap "$here/fs_idmap.c" cc -O2 -Wall ||
	{ echo "runc_bats: compiling fs_idmap.c failed" >&2; exit 1; }
LIBS=-lseccomp build_tool seccompagent "$here/seccompagent.cpp" g++ -std=c++20 -O1 -Wall ||
	{ echo "runc_bats: compiling seccompagent.cpp failed (libseccomp-dev, nlohmann-json3-dev)" >&2; exit 1; }

# shellcheck source=cgroup_top.sh
. "$here/cgroup_top.sh"
cgroup_top_before=$(cgroup_top)
# shellcheck source=criu_files.sh
. "$here/criu_files.sh"
criu_files_snapshot

# --- the private work dir ------------------------------------------------------------------
work=$(mktemp -d "${RUNC_BATS_WORKDIR:-/tmp}/berth-runc-bats.XXXXXX") || exit 1
chmod 755 "$work"
# pids_naming TEXT: processes whose command line contains TEXT (not grep's own: it would name
# itself).
pids_naming() {
	local f c
	for f in /proc/[0-9]*/cmdline; do
		c=$({ tr '\0' ' ' <"$f"; } 2>/dev/null) || continue
		[[ "$c" == *"$1"* ]] && { f=${f#/proc/}; echo "${f%/cmdline}"; }
	done
}
cleanup() {
	local d ct pid m
	# Containers the suite left behind (a test killed mid-way, a teardown that failed).
	for d in $(find "$work" -maxdepth 6 -type d -name state 2>/dev/null); do
		for ct in $("$binary" --root "$d" list -q 2>/dev/null); do
			"$binary" --root "$d" delete -f "$ct" >/dev/null 2>&1
		done
	done
	# Helper processes (recvtty, seccompagent, sleeps of hooks...) that name the work dir.
	for pid in $(pids_naming "$work"); do
		[ "$pid" != $$ ] && kill -9 "$pid" 2>/dev/null
	done
	# Mounts under the work dir, deepest first.
	for m in $(findmnt -rn -o TARGET | grep -F "$work" | sort -r); do
		umount -l "$m" 2>/dev/null
	done
	# The suite's cgroups (its fixed prefix), deepest first; processes still in them are gone.
	find /sys/fs/cgroup -depth -type d -name 'runc-cgroups-integration-test*' 2>/dev/null |
		while read -r d; do
			find "$d" -depth -type d -exec rmdir {} + 2>/dev/null
		done
	remove_new_cgroup_dirs "$cgroup_top_before"
	criu_files_restore
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

suite=$work/runc
mkdir -p "$suite/tests" "$suite/contrib/cmd/recvtty" "$suite/contrib/cmd/seccompagent" \
	"$suite/contrib/cmd/sd-helper" "$suite/contrib/cmd/pidfd-kill" "$suite/contrib/cmd/fs-idmap" \
	"$work/bin" "$work/tmp"
cp -a "$src/tests/integration" "$suite/tests/integration"
ln -s "$images/busybox-$arch.tar.xz" "$suite/tests/integration/testdata/busybox-$arch.tar.xz"
ln -s "$images/debian-$arch.tar.xz" "$suite/tests/integration/testdata/debian-$arch.tar.xz"
ln -s "$tools/recvtty" "$suite/contrib/cmd/recvtty/recvtty"
ln -s "$tools/seccompagent" "$suite/contrib/cmd/seccompagent/seccompagent"
ln -s "$tools/pidfd-kill" "$suite/contrib/cmd/pidfd-kill/pidfd-kill"
ln -s "$tools/fs-idmap" "$suite/contrib/cmd/fs-idmap/fs-idmap"
gen=$src/contrib/cmd/seccompagent/gen-seccomp-example-cfg.sh
[ -f "$gen" ] && cp "$gen" "$suite/contrib/cmd/seccompagent/"
cat >"$work/bin/go" <<EOF
#!/bin/sh
# get-images.sh asks \`go env GOARCH\` (and GOARM on arm) only.
[ "\$1" = env ] && [ "\$2" = GOARCH ] && { echo $arch; exit 0; }
[ "\$1" = env ] && { echo; exit 0; }
echo "go: only a stub for runc's get-images.sh" >&2; exit 1
EOF
chmod +x "$work/bin/go"

files=()
for f in ${RUNC_BATS_FILES:-$(cd "$suite/tests/integration" && ls ./*.bats)}; do
	files+=("$suite/tests/integration/$(basename "$f")")
done
filter=()
[ -n "${RUNC_BATS_FILTER:-}" ] && filter=(--filter "$RUNC_BATS_FILTER")

call=$binary
if [ "${RUNC_BATS_AS:-runc}" = runc ]; then
	mkdir -p "$work/as"
	ln -s "$binary" "$work/as/runc"
	call=$work/as/runc
fi
echo "runc_bats: $name ($binary as $call), ${#files[@]} files, work dir $work" >&2
mkdir -p "$(dirname "$tap_out")"
(
	cd "$suite/tests/integration" || exit 1
	export PATH="$work/bin:$PATH" TMPDIR="$work/tmp" RUNC="$call"
	unset RUNC_USE_SYSTEMD ROOTLESS_TESTPATH
	exec "$here/with_pty.py" bats --tap "${filter[@]}" "${files[@]}"
) >"$tap_out" 2>"$tap_out.stderr" &
bats_pid=$!
# bats waits for every process holding its output: a recvtty or seccompagent that started only
# after its test's teardown (which kills them by pid file) would keep it waiting forever. Once
# every planned test has reported, such leftovers get 15 s, then are killed.
complete_for=0
while kill -0 "$bats_pid" 2>/dev/null; do
	sleep 1
	plan=$(sed -n 's/^1\.\.\([0-9]*\)$/\1/p' "$tap_out" | head -1)
	done_tests=$(grep -cE '^(not )?ok [0-9]+' "$tap_out")
	if [ -n "$plan" ] && [ "$done_tests" -ge "$plan" ]; then
		complete_for=$((complete_for + 1))
		if [ "$complete_for" -eq 15 ]; then
			for pid in $(pids_naming "$suite/tests/integration/../../contrib/"); do
				echo "runc_bats: killing leftover helper $pid: $({ tr '\0' ' ' <"/proc/$pid/cmdline"; } 2>/dev/null)" >&2
				kill -9 "$pid" 2>/dev/null
			done
		fi
	fi
done
wait "$bats_pid"
rc=$?
echo "runc_bats: $name: bats exit $rc, TAP in $tap_out" >&2
exit 0
