# shellcheck shell=bash
# Sourced by run.sh and runc_bats.sh. runc's checkpoint.bats writes criu's host-wide
# /etc/criu/default.conf (and mktemp files /tmp/runc-criu-*) and leaves them when the test fails
# (criu cannot run on some kernels): every later criu on the host would then log elsewhere.
# criu_files_snapshot notes how they are; criu_files_restore puts them back so.
criu_files_snapshot() {
	criu_conf=/etc/criu/default.conf criu_conf_saved="" criu_dir_made=0
	[ -d /etc/criu ] || criu_dir_made=1
	if [ -e "$criu_conf" ]; then criu_conf_saved=$(mktemp); cp -a "$criu_conf" "$criu_conf_saved"; fi
	criu_tmp_before=$(ls -d /tmp/runc-criu-* 2>/dev/null | sort)
}
criu_files_restore() {
	local f
	if [ -n "$criu_conf_saved" ]; then
		cp -a "$criu_conf_saved" "$criu_conf" && rm -f "$criu_conf_saved"
	elif [ -e "$criu_conf" ]; then
		echo "peer-suites: removing $criu_conf (left by runc's checkpoint.bats)" >&2
		rm -f "$criu_conf"
		[ "$criu_dir_made" = 0 ] || rmdir /etc/criu 2>/dev/null || true
	fi
	for f in $(comm -13 <(echo "$criu_tmp_before") <(ls -d /tmp/runc-criu-* 2>/dev/null | sort)); do rm -f "$f"; done
}
