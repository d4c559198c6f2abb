// containerd.task.v2.Task with the runc shim's semantics, for every container of the shim's
// group. Containers are driven through the berth binary (Runtime); the processes it starts
// are reparented to the shim (a subreaper), whose reaper reports their exits here.
#pragma once
#include <sys/types.h>
#include <time.h>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/cgroups/manager.hpp"
#include "event_loop.hpp"
#include "publisher.hpp"
#include "pump.hpp"
#include "runtime.hpp"
#include "stdio.hpp"
#include "ttrpc_server.hpp"

namespace berth::shim {

class TaskService {
 public:
  TaskService(Loop& loop, Publisher& publisher, Runtime& runtime, std::string ns);
  void register_methods(ttrpc::Server& server);
  // The reaper: a child exited with wait status `status`.
  void child_exited(pid_t pid, int status);
  bool empty() const { return containers_.empty(); }
  // Called when Shutdown finds no container left.
  std::function<void()> on_shutdown;

 private:
  struct Process {
    std::string exec_id;
    pid_t pid = 0;
    bool started = false, exited = false;
    int exit_status = 0;
    timespec exited_at{};
    StdioPaths stdio;
    std::string spec_json;  // exec only
    UniqueFd in_keeper;
    UniqueFd master;  // terminal
    std::unique_ptr<Pump> out_pump, in_pump;
    std::vector<ttrpc::Reply> waiters;
  };
  struct Container {
    std::string id, bundle;
    std::unique_ptr<Runtime> rt;  // berth, or what the runtime options of its Create name
    bool rootfs_mounted = false;
    bool paused = false;
    bool restored = false;  // from a checkpoint: running once created
    // No pid namespace of its own: the init's exit does not end the other processes, the
    // shim kills them (as the runc shim does).
    bool kill_all_on_exit = false;
    Process init;
    std::map<std::string, std::unique_ptr<Process>> execs;
    std::unique_ptr<cgroups::OomWatch> oom;  // TaskOOM events
    std::uint64_t oom_token = 0;
  };
  using Req = ttrpc::Request;
  using Reply = ttrpc::Reply;
  void create(const Req&, Reply&);
  void start(const Req&, Reply&);
  void del(const Req&, Reply&);
  void exec(const Req&, Reply&);
  void state(const Req&, Reply&);
  void wait(const Req&, Reply&);
  void kill(const Req&, Reply&);
  void pids(const Req&, Reply&);
  void pause(const Req&, Reply&, bool pause);
  void resize_pty(const Req&, Reply&);
  void close_io(const Req&, Reply&);
  void update(const Req&, Reply&);
  void stats(const Req&, Reply&);
  void checkpoint(const Req&, Reply&);
  void connect(const Req&, Reply&);
  void shutdown(const Req&, Reply&);

  Container& container(const std::string& id);
  Process& process(const std::string& id, const std::string& exec_id);
  // Opens stdio and runs berth `args` (create or exec) with it; fills p.pid from pid_file.
  void launch(Container& c, Process& p, std::vector<std::string> args, const std::string& pid_file);
  void send_exit(Container& c, Process& p);
  // Watches the container's cgroup for OOM kills on the loop (see oom_watch.hpp).
  void watch_oom(Container& c);
  void stop_oom(Container& c);

  Loop& loop_;
  Publisher& publisher_;
  Runtime& runtime_;
  std::string namespace_;
  std::map<std::string, std::unique_ptr<Container>> containers_;
};

}  // namespace berth::shim
