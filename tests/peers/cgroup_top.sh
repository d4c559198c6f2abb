# shellcheck shell=bash
# Sourced by run.sh and runc_bats.sh. The peers' suites know every controller of
# /proc/cgroups; on a host where some are not mounted (here: hugetlb, net_cls, net_prio,
# perf_event), runc's helpers and the runtimes they drive mkdir them as plain directories on
# /sys/fs/cgroup's tmpfs, where podman's conmon later writes into them (the project's own
# podman tests then report them as leaked). What a suite run adds there that is not a mount
# point is removed.
cgroup_top() { ls -A /sys/fs/cgroup 2>/dev/null | sort; }
remove_new_cgroup_dirs() { # BEFORE-LIST
	local name d
	for name in $(comm -13 <(echo "$1") <(cgroup_top)); do
		d=/sys/fs/cgroup/$name
		mountpoint -q "$d" && continue
		echo "peer-suites: removing $d (made by the suite on /sys/fs/cgroup's tmpfs)" >&2
		rm -rf --one-file-system "$d"
	done
}
