// A valid config with every field berth's model has, shared by the parser's round-trip
// test (test_oci_parse.cpp) and the conformance page's check (test_conformance_doc.cpp):
// a field added to the model and here must be on docs/conformance.md too.
#pragma once

namespace berth_test {

// A valid config with every field berth models set to a non-default value, in
// canonical form (what to_json writes), so to_json(parse_spec(x)) == x proves
// nothing is lost in either direction.
inline const char* const kFullConfig = R"({
  "ociVersion": "1.2.0",
  "process": {
    "terminal": true,
    "consoleSize": {"height": 25, "width": 80},
    "user": {"uid": 1000, "gid": 1000, "umask": 18, "additionalGids": [5, 100], "username": "u"},
    "args": ["/bin/sh", "-c", "echo hi"],
    "commandLine": "sh -c echo",
    "env": ["PATH=/bin", "EMPTY="],
    "cwd": "/work",
    "capabilities": {
      "bounding": ["CAP_CHOWN", "CAP_KILL"],
      "effective": ["CAP_KILL"],
      "inheritable": ["CAP_NET_RAW"],
      "permitted": ["CAP_CHOWN", "CAP_KILL"],
      "ambient": ["CAP_KILL"]
    },
    "rlimits": [
      {"type": "RLIMIT_NOFILE", "hard": 4096, "soft": 1024},
      {"type": "RLIMIT_CORE", "hard": 18446744073709551615, "soft": 0}
    ],
    "noNewPrivileges": true,
    "apparmorProfile": "berth-default",
    "oomScoreAdj": -500,
    "selinuxLabel": "system_u:system_r:container_t:s0",
    "ioPriority": {"class": "IOPRIO_CLASS_BE", "priority": 4},
    "scheduler": {"policy": "SCHED_DEADLINE", "flags": ["SCHED_FLAG_RESET_ON_FORK"],
                  "runtime": 10000000, "deadline": 20000000, "period": 30000000},
    "execCPUAffinity": {"initial": "0-1", "final": "1"}
  },
  "root": {"path": "/var/lib/rootfs", "readonly": true},
  "hostname": "box",
  "domainname": "example.org",
  "mounts": [
    {"destination": "/proc", "type": "proc", "source": "proc"},
    {"destination": "/data", "type": "bind", "source": "/srv/data", "options": ["rbind", "ro", "idmap"],
     "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
     "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}]}
  ],
  "hooks": {
    "prestart": [{"path": "/usr/bin/hook", "args": ["hook", "prestart"], "env": ["A=1"], "timeout": 5}],
    "createRuntime": [{"path": "/usr/bin/hook"}],
    "createContainer": [{"path": "/usr/bin/hook"}],
    "startContainer": [{"path": "/usr/bin/hook"}],
    "poststart": [{"path": "/usr/bin/hook"}],
    "poststop": [{"path": "/usr/bin/hook", "timeout": 1}]
  },
  "annotations": {"org.example.key": "value", "x": ""},
  "linux": {
    "namespaces": [
      {"type": "pid"}, {"type": "network", "path": "/var/run/netns/n1"}, {"type": "mount"},
      {"type": "ipc"}, {"type": "uts"}, {"type": "user"}, {"type": "cgroup"}, {"type": "time"}
    ],
    "uidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "gidMappings": [{"containerID": 0, "hostID": 100000, "size": 65536}],
    "timeOffsets": {"boottime": {"secs": -3600}, "monotonic": {"secs": 86400, "nanosecs": 500}},
    "devices": [
      {"type": "c", "path": "/dev/fuse", "major": 10, "minor": 229, "fileMode": 438, "uid": 0, "gid": 0},
      {"type": "p", "path": "/dev/fifo", "major": 0, "minor": 0}
    ],
    "cgroupsPath": "/berth/full",
    "resources": {
      "devices": [
        {"allow": false, "access": "rwm"},
        {"allow": true, "type": "c", "major": 10, "minor": 229, "access": "rw"}
      ],
      "memory": {"limit": 536870912, "reservation": 268435456, "swap": 1073741824, "kernel": -1,
                 "kernelTCP": 1048576, "swappiness": 60, "disableOOMKiller": false,
                 "useHierarchy": true, "checkBeforeUpdate": true},
      "cpu": {"shares": 1024, "quota": 50000, "burst": 10000, "period": 100000, "realtimeRuntime": 950000,
              "realtimePeriod": 1000000, "cpus": "0-3", "mems": "0", "idle": 0},
      "pids": {"limit": 100},
      "blockIO": {
        "weight": 500, "leafWeight": 300,
        "weightDevice": [{"major": 8, "minor": 0, "weight": 600, "leafWeight": 200}],
        "throttleReadBpsDevice": [{"major": 8, "minor": 0, "rate": 1048576}],
        "throttleWriteBpsDevice": [{"major": 8, "minor": 0, "rate": 2097152}],
        "throttleReadIOPSDevice": [{"major": 8, "minor": 0, "rate": 100}],
        "throttleWriteIOPSDevice": [{"major": 8, "minor": 0, "rate": 200}]
      },
      "hugepageLimits": [{"pageSize": "2MB", "limit": 209715200}, {"pageSize": "1GB", "limit": 0}],
      "network": {"classID": 1048577, "priorities": [{"name": "eth0", "priority": 5}]},
      "rdma": {"mlx5_1": {"hcaHandles": 3, "hcaObjects": 10000}, "mlx4_0": {}},
      "unified": {"memory.high": "400000000", "io.weight": "default 100"}
    },
    "rootfsPropagation": "rslave",
    "seccomp": {
      "defaultAction": "SCMP_ACT_ERRNO",
      "defaultErrnoRet": 1,
      "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X86", "SCMP_ARCH_X32"],
      "flags": ["SECCOMP_FILTER_FLAG_LOG"],
      "listenerPath": "/run/seccomp-agent.sock",
      "listenerMetadata": "meta",
      "syscalls": [
        {"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"},
                  {"index": 1, "value": 255, "valueTwo": 8, "op": "SCMP_CMP_MASKED_EQ"}]},
        {"names": ["mkdir"], "action": "SCMP_ACT_NOTIFY"},
        {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38}
      ]
    },
    "sysctl": {"net.ipv4.ip_forward": "1", "kernel.shmmax": "4096", "fs.mqueue.msg_max": "20",
               "kernel.domainname": "example.org"},
    "maskedPaths": ["/proc/kcore"],
    "readonlyPaths": ["/proc/sys"],
    "mountLabel": "system_u:object_r:container_file_t:s0",
    "personality": {"domain": "LINUX32", "flags": ["ADDR_NO_RANDOMIZE"]},
    "intelRdt": {"closID": "guaranteed", "l3CacheSchema": "L3:0=ff", "memBwSchema": "MB:0=70",
                 "schemata": ["L2:0=f"], "enableCMT": true, "enableMBM": true, "enableMonitoring": true},
    "memoryPolicy": {"mode": "MPOL_BIND", "nodes": "0-1,3", "flags": ["MPOL_F_STATIC_NODES"]},
    "netDevices": {"eth1": {"name": "ctr0"}, "dummy0": {}}
  }
})";

}  // namespace berth_test
