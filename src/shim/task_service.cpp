#include "task_service.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "berth/util/log.hpp"
#include "github.com/containerd/cgroups/stats/v1/metrics.pb.h"
#include "github.com/containerd/containerd/api/events/task.pb.h"
#include "github.com/containerd/containerd/api/types/task/task.pb.h"
#include "github.com/containerd/containerd/runtime/v2/runc/options/oci.pb.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb.h"
#include "google/protobuf/empty.pb.h"
#include "container_cgroup.hpp"
#include "deadline.hpp"
#include "metrics_v2.hpp"
#include "mounts.hpp"
#include "runtime_options.hpp"
#include "oom_watch.hpp"

namespace berth::shim {

namespace tv2 = containerd::task::v2;
namespace ev = containerd::events;
using ttrpc::Code;
using ttrpc::RpcError;

namespace {

template <class M>
M parse(const ttrpc::Request& r) {
  M m;
  if (!m.ParseFromString(r.payload))
    throw RpcError(Code::InvalidArgument, r.method + ": the request is not a valid " + m.GetTypeName());
  return m;
}

timespec now() {
  timespec ts{};
  clock_gettime(CLOCK_REALTIME, &ts);
  return ts;
}

void set_time(google::protobuf::Timestamp* t, const timespec& ts) {
  t->set_seconds(ts.tv_sec);
  t->set_nanos(static_cast<int>(ts.tv_nsec));
}

std::string empty_reply() { return google::protobuf::Empty().SerializeAsString(); }

// ids name files in the bundle: no separators, nothing hidden.
void check_id(const std::string& what, const std::string& id) {
  if (id.empty() || id.size() > 1024 || id.find('/') != std::string::npos || id.front() == '.')
    throw RpcError(Code::InvalidArgument, what + " \"" + id + "\" is not a valid id");
}

pid_t read_pid(const std::string& path) {
  std::ifstream f(path);
  long pid = 0;
  if (!(f >> pid) || pid <= 0) throw RpcError(Code::Internal, "berth wrote no pid to " + path);
  return static_cast<pid_t>(pid);
}

void write_file(const std::string& path, const std::string& data) {
  std::ofstream f(path, std::ios::trunc);
  f << data;
  if (!f.flush()) throw RpcError(Code::Internal, "write " + path + ": " + strerror(errno));
}

// What the shim needs to know of a bundle's config.json (read once at Create).
struct BundleFacts {
  bool own_pid_namespace = false;  // a new pid namespace: the init's exit ends every process
  bool terminal = false;           // process.terminal
};

BundleFacts read_bundle_facts(const std::string& config) {
  BundleFacts f;
  std::ifstream in(config);
  auto j = nlohmann::json::parse(in, nullptr, false);
  if (!j.is_object()) return f;
  if (j.contains("process") && j["process"].is_object()) {
    const auto& t = j["process"].value("terminal", nlohmann::json(false));
    f.terminal = t.is_boolean() && t.get<bool>();
  }
  if (!j.contains("linux") || !j["linux"].is_object()) return f;
  const auto& ns = j["linux"].value("namespaces", nlohmann::json::array());
  if (!ns.is_array()) return f;
  for (const auto& n : ns)
    if (n.is_object() && n.value("type", "") == "pid" && n.value("path", "").empty()) f.own_pid_namespace = true;
  return f;
}

// mkdir -p, 0711 (a runtime root others may traverse, as /run/containerd/runc is).
void make_dirs(const std::string& path) {
  for (std::size_t i = 1; i <= path.size(); ++i) {
    if (i < path.size() && path[i] != '/') continue;
    std::string part = path.substr(0, i);
    if (mkdir(part.c_str(), 0711) < 0 && errno != EEXIST)
      throw RpcError(Code::Internal, "runtime root: mkdir " + part + ": " + strerror(errno));
  }
}

void copy_file(const std::string& from, const std::string& to) {
  std::ifstream in(from, std::ios::binary);
  if (!in) return;
  std::ofstream out(to, std::ios::binary | std::ios::trunc);
  out << in.rdbuf();
}

// rm -rf of a directory the shim made (criu's work dir: plain files, no mounts).
void remove_tree(const std::string& path) {
  DIR* d = opendir(path.c_str());
  if (d) {
    while (dirent* e = readdir(d)) {
      std::string n = e->d_name;
      if (n == "." || n == "..") continue;
      std::string p = path + "/" + n;
      struct stat st{};
      if (lstat(p.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_tree(p);
      else unlink(p.c_str());
    }
    closedir(d);
  }
  rmdir(path.c_str());
}

int exit_code(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 255;
}

}  // namespace

TaskService::TaskService(Loop& loop, Publisher& publisher, Runtime& runtime, std::string ns)
    : loop_(loop), publisher_(publisher), runtime_(runtime), namespace_(std::move(ns)) {}

void TaskService::register_methods(ttrpc::Server& s) {
  const std::string svc = "containerd.task.v2.Task";
  auto add = [&](const char* name, void (TaskService::*fn)(const Req&, Reply&)) {
    s.add(svc, name, [this, fn](const Req& r, Reply& rep) { (this->*fn)(r, rep); });
  };
  add("Create", &TaskService::create);
  add("Start", &TaskService::start);
  add("Delete", &TaskService::del);
  add("Exec", &TaskService::exec);
  add("State", &TaskService::state);
  add("Wait", &TaskService::wait);
  add("Kill", &TaskService::kill);
  add("Pids", &TaskService::pids);
  add("ResizePty", &TaskService::resize_pty);
  add("CloseIO", &TaskService::close_io);
  add("Update", &TaskService::update);
  add("Stats", &TaskService::stats);
  add("Connect", &TaskService::connect);
  add("Shutdown", &TaskService::shutdown);
  s.add(svc, "Pause", [this](const Req& r, Reply& rep) { pause(r, rep, true); });
  s.add(svc, "Resume", [this](const Req& r, Reply& rep) { pause(r, rep, false); });
  add("Checkpoint", &TaskService::checkpoint);
}

TaskService::Container& TaskService::container(const std::string& id) {
  auto it = containers_.find(id);
  if (it == containers_.end()) throw RpcError(Code::NotFound, "container " + id + ": not found");
  return *it->second;
}

TaskService::Process& TaskService::process(const std::string& id, const std::string& exec_id) {
  Container& c = container(id);
  if (exec_id.empty()) return c.init;
  auto it = c.execs.find(exec_id);
  if (it == c.execs.end()) throw RpcError(Code::NotFound, "process " + exec_id + " of " + id + ": not found");
  return *it->second;
}

void TaskService::launch(Container& c, Process& p, std::vector<std::string> args, const std::string& pid_file) {
  OpenStdio io = open_stdio(p.stdio, c.id, namespace_);
  std::unique_ptr<ConsoleSocket> console;
  if (p.stdio.terminal) {
    console = std::make_unique<ConsoleSocket>();
    args.insert(args.begin() + 1, {"--console-socket", console->path()});
  }
  unlink(pid_file.c_str());
  Runtime::Stdio fds;
  if (!p.stdio.terminal) fds = {io.in.get(), io.out.get(), io.err.get()};
  c.rt->run(args, c.bundle + "/log.json", fds);
  p.pid = read_pid(pid_file);
  p.in_keeper = std::move(io.in_keeper);
  if (console) {
    p.master = console->receive_master();
    if (io.out) {
      UniqueFd m(fcntl(p.master.get(), F_DUPFD_CLOEXEC, 3));
      p.out_pump = std::make_unique<Pump>(loop_, std::move(m), std::move(io.out));
    }
    if (io.in) {
      UniqueFd m(fcntl(p.master.get(), F_DUPFD_CLOEXEC, 3));
      p.in_pump = std::make_unique<Pump>(loop_, std::move(io.in), std::move(m));
    }
  }
}

void TaskService::create(const Req& r, Reply& rep) {
  auto req = parse<tv2::CreateTaskRequest>(r);
  check_id("container id", req.id());
  if (containers_.count(req.id())) throw RpcError(Code::AlreadyExists, "container " + req.id() + ": already exists");
  auto c = std::make_unique<Container>();
  c->id = req.id();
  c->bundle = req.bundle();
  RuntimeOptions opts = req.has_options() ? parse_runtime_options(req.options().SerializeAsString()) : RuntimeOptions{};
  std::string root = runtime_root(opts, namespace_, runtime_.root());
  make_dirs(root);
  c->rt = std::make_unique<Runtime>(opts.binary_name.empty() ? runtime_.binary() : opts.binary_name, root,
                                    global_args(opts));
  save_runtime_options(c->bundle, opts);
  const BundleFacts facts = read_bundle_facts(c->bundle + "/config.json");
  // A restored terminal container gets a new pty whatever the request says (ctr's restore asks
  // for plain stdio): its master is pumped to the stdio as a terminal task's is.
  const bool terminal = req.terminal() || (!req.checkpoint().empty() && facts.terminal);
  c->init.stdio = {req.stdin(), req.stdout(), req.stderr(), terminal};
  std::vector<RootfsMount> mounts;
  for (const auto& m : req.rootfs())
    mounts.push_back({m.type(), m.source(), {m.options().begin(), m.options().end()}});
  std::string rootfs = c->bundle + "/rootfs";
  try {
    mount_rootfs(mounts, rootfs);
  } catch (const std::exception& e) {
    throw RpcError(Code::Internal, e.what());
  }
  c->rootfs_mounted = !mounts.empty();
  c->kill_all_on_exit = !facts.own_pid_namespace;
  try {
    std::vector<std::string> args = {"create", "--bundle", c->bundle, "--pid-file", c->bundle + "/init.pid"};
    if (!req.checkpoint().empty()) {
      // Restored rather than created: the init runs once berth restore returns (Start
      // then only reports it), as with runc's shim.
      args = {"restore", "--detach", "--bundle", c->bundle, "--pid-file", c->bundle + "/init.pid", "--image-path",
              req.checkpoint(), "--work-path", c->bundle + "/criu-work"};
      c->restored = true;
    }
    if (opts.no_pivot_root) args.push_back("--no-pivot");
    if (opts.no_new_keyring && req.checkpoint().empty()) args.push_back("--no-new-keyring");
    args.push_back(c->id);
    launch(*c, c->init, args, c->bundle + "/init.pid");
  } catch (const RpcError& e) {
    if (e.code() == Code::DeadlineExceeded) {
      // berth create was killed half-way: remove what it made, whatever the deadline.
      RequestDeadline none(std::nullopt);
      try {
        c->rt->run({"delete", "--force", c->id}, c->bundle + "/log.json");
      } catch (const std::exception& d) {
        log::warn("container " + c->id + ": remove after a create past its deadline: " + d.what());
      }
    }
    if (c->rootfs_mounted) unmount_all(rootfs);
    throw;
  } catch (...) {
    if (c->rootfs_mounted) unmount_all(rootfs);
    throw;
  }
  ev::TaskCreate e;
  e.set_container_id(c->id);
  e.set_bundle(c->bundle);
  *e.mutable_rootfs() = req.rootfs();
  e.mutable_io()->set_stdin(req.stdin());
  e.mutable_io()->set_stdout(req.stdout());
  e.mutable_io()->set_stderr(req.stderr());
  e.mutable_io()->set_terminal(c->init.stdio.terminal);
  e.set_pid(static_cast<std::uint32_t>(c->init.pid));
  publisher_.publish("/tasks/create", "containerd.events.TaskCreate", e);
  tv2::CreateTaskResponse resp;
  resp.set_pid(static_cast<std::uint32_t>(c->init.pid));
  watch_oom(*c);
  containers_[c->id] = std::move(c);
  rep.ok(resp.SerializeAsString());
}

void TaskService::start(const Req& r, Reply& rep) {
  auto req = parse<tv2::StartRequest>(r);
  Container& c = container(req.id());
  Process& p = process(req.id(), req.exec_id());
  if (p.started || p.exited) throw RpcError(Code::FailedPrecondition, "process " + (p.exec_id.empty() ? c.id : p.exec_id) + " was already started");
  if (req.exec_id().empty()) {
    if (!c.restored) c.rt->run({"start", c.id}, c.bundle + "/log.json");
    p.started = true;
    ev::TaskStart e;
    e.set_container_id(c.id);
    e.set_pid(static_cast<std::uint32_t>(p.pid));
    publisher_.publish("/tasks/start", "containerd.events.TaskStart", e);
  } else {
    if (c.init.exited) throw RpcError(Code::FailedPrecondition, "container " + c.id + " is not running");
    std::string spec = c.bundle + "/.exec-" + p.exec_id + ".json", pid_file = c.bundle + "/.exec-" + p.exec_id + ".pid";
    write_file(spec, p.spec_json);
    try {
      launch(c, p, {"exec", "--process", spec, "--detach", "--pid-file", pid_file, c.id}, pid_file);
    } catch (...) {
      unlink(spec.c_str());
      throw;
    }
    unlink(spec.c_str());
    unlink(pid_file.c_str());
    p.started = true;
    ev::TaskExecStarted e;
    e.set_container_id(c.id);
    e.set_exec_id(p.exec_id);
    e.set_pid(static_cast<std::uint32_t>(p.pid));
    publisher_.publish("/tasks/exec-started", "containerd.events.TaskExecStarted", e);
  }
  tv2::StartResponse resp;
  resp.set_pid(static_cast<std::uint32_t>(p.pid));
  rep.ok(resp.SerializeAsString());
}

void TaskService::del(const Req& r, Reply& rep) {
  auto req = parse<tv2::DeleteRequest>(r);
  Container& c = container(req.id());
  Process& p = process(req.id(), req.exec_id());
  if (p.started && !p.exited)
    throw RpcError(Code::FailedPrecondition, "cannot delete a running process (" +
                                                 (req.exec_id().empty() ? "container " + c.id : "exec " + req.exec_id()) + ")");
  tv2::DeleteResponse resp;
  resp.set_pid(static_cast<std::uint32_t>(p.pid));
  resp.set_exit_status(static_cast<std::uint32_t>(p.exit_status));
  set_time(resp.mutable_exited_at(), p.exited ? p.exited_at : now());
  if (!req.exec_id().empty()) {
    c.execs.erase(req.exec_id());
    rep.ok(resp.SerializeAsString());
    return;
  }
  stop_oom(c);
  try {
    c.rt->run({"delete", "--force", c.id}, c.bundle + "/log.json");
  } catch (const RpcError& e) {
    // Gone already (a checkpoint with exit removes it, as runc's does): nothing to delete.
    if (e.code() != Code::NotFound) throw;
  }
  if (c.rootfs_mounted) unmount_all(c.bundle + "/rootfs");
  unlink((c.bundle + "/init.pid").c_str());
  ev::TaskDelete e;
  e.set_container_id(c.id);
  e.set_id(c.id);
  e.set_pid(resp.pid());
  e.set_exit_status(resp.exit_status());
  *e.mutable_exited_at() = resp.exited_at();
  publisher_.publish("/tasks/delete", "containerd.events.TaskDelete", e);
  // Waiters of a never-started init hear the deletion as its end.
  for (auto& w : c.init.waiters) {
    tv2::WaitResponse wr;
    wr.set_exit_status(resp.exit_status());
    *wr.mutable_exited_at() = resp.exited_at();
    w.ok(wr.SerializeAsString());
  }
  containers_.erase(c.id);
  rep.ok(resp.SerializeAsString());
}

void TaskService::exec(const Req& r, Reply& rep) {
  auto req = parse<tv2::ExecProcessRequest>(r);
  Container& c = container(req.id());
  check_id("exec id", req.exec_id());
  if (c.execs.count(req.exec_id()))
    throw RpcError(Code::AlreadyExists, "exec " + req.exec_id() + " of " + c.id + ": already exists");
  if (c.init.exited) throw RpcError(Code::FailedPrecondition, "container " + c.id + " is not running");
  auto spec = nlohmann::json::parse(req.spec().value(), nullptr, false);
  if (!spec.is_object()) throw RpcError(Code::InvalidArgument, "exec " + req.exec_id() + ": the process spec is not a JSON object");
  auto p = std::make_unique<Process>();
  p->exec_id = req.exec_id();
  p->stdio = {req.stdin(), req.stdout(), req.stderr(), req.terminal()};
  p->spec_json = req.spec().value();
  c.execs[p->exec_id] = std::move(p);
  ev::TaskExecAdded e;
  e.set_container_id(c.id);
  e.set_exec_id(req.exec_id());
  publisher_.publish("/tasks/exec-added", "containerd.events.TaskExecAdded", e);
  rep.ok(empty_reply());
}

void TaskService::state(const Req& r, Reply& rep) {
  auto req = parse<tv2::StateRequest>(r);
  Container& c = container(req.id());
  Process& p = process(req.id(), req.exec_id());
  tv2::StateResponse resp;
  resp.set_id(req.exec_id().empty() ? c.id : req.exec_id());
  resp.set_exec_id(req.exec_id());
  resp.set_bundle(c.bundle);
  resp.set_pid(static_cast<std::uint32_t>(p.pid));
  namespace t = containerd::v1::types;
  resp.set_status(p.exited ? t::STOPPED
                  : (c.paused && p.started) ? t::PAUSED
                  : p.started ? t::RUNNING
                              : t::CREATED);
  resp.set_stdin(p.stdio.in);
  resp.set_stdout(p.stdio.out);
  resp.set_stderr(p.stdio.err);
  resp.set_terminal(p.stdio.terminal);
  resp.set_exit_status(static_cast<std::uint32_t>(p.exit_status));
  if (p.exited) set_time(resp.mutable_exited_at(), p.exited_at);
  rep.ok(resp.SerializeAsString());
}

void TaskService::wait(const Req& r, Reply& rep) {
  auto req = parse<tv2::WaitRequest>(r);
  Process& p = process(req.id(), req.exec_id());
  if (!p.exited) {
    p.waiters.push_back(std::move(rep));
    return;
  }
  tv2::WaitResponse resp;
  resp.set_exit_status(static_cast<std::uint32_t>(p.exit_status));
  set_time(resp.mutable_exited_at(), p.exited_at);
  rep.ok(resp.SerializeAsString());
}

void TaskService::kill(const Req& r, Reply& rep) {
  auto req = parse<tv2::KillRequest>(r);
  Container& c = container(req.id());
  Process& p = process(req.id(), req.exec_id());
  if (req.signal() == 0 || req.signal() >= 65) throw RpcError(Code::InvalidArgument, "invalid signal " + std::to_string(req.signal()));
  if (req.all() && req.exec_id().empty()) {
    c.rt->run({"kill", "--all", c.id, std::to_string(req.signal())}, c.bundle + "/log.json");
  } else {
    if (p.exited || p.pid <= 0) throw RpcError(Code::NotFound, "process already finished");
    // The pid is still ours: an exited child stays a zombie until the reaper collects it,
    // and the reaper marks it exited in the same step.
    if (::kill(p.pid, static_cast<int>(req.signal())) < 0 && errno != ESRCH)
      throw RpcError(Code::Internal, "kill " + std::to_string(p.pid) + ": " + strerror(errno));
  }
  rep.ok(empty_reply());
}

void TaskService::pids(const Req& r, Reply& rep) {
  auto req = parse<tv2::PidsRequest>(r);
  Container& c = container(req.id());
  std::string out;
  c.rt->run({"ps", "--format", "json", c.id}, c.bundle + "/log.json", {}, &out);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_array()) throw RpcError(Code::Internal, "berth ps printed no pid list");
  tv2::PidsResponse resp;
  for (const auto& v : j) {
    if (!v.is_number_integer()) continue;
    auto* pi = resp.add_processes();
    pi->set_pid(v.get<std::uint32_t>());
    for (const auto& [id, e] : c.execs) {
      if (e->pid == static_cast<pid_t>(pi->pid()) && !e->exited) {
        containerd::runc::v1::ProcessDetails d;
        d.set_exec_id(id);
        pi->mutable_info()->set_type_url("containerd.runc.v1.ProcessDetails");
        pi->mutable_info()->set_value(d.SerializeAsString());
      }
    }
  }
  rep.ok(resp.SerializeAsString());
}

void TaskService::pause(const Req& r, Reply& rep, bool do_pause) {
  std::string id;
  if (do_pause) id = parse<tv2::PauseRequest>(r).id();
  else id = parse<tv2::ResumeRequest>(r).id();
  Container& c = container(id);
  c.rt->run({do_pause ? "pause" : "resume", c.id}, c.bundle + "/log.json");
  c.paused = do_pause;
  if (do_pause) {
    ev::TaskPaused e;
    e.set_container_id(c.id);
    publisher_.publish("/tasks/paused", "containerd.events.TaskPaused", e);
  } else {
    ev::TaskResumed e;
    e.set_container_id(c.id);
    publisher_.publish("/tasks/resumed", "containerd.events.TaskResumed", e);
  }
  rep.ok(empty_reply());
}

void TaskService::resize_pty(const Req& r, Reply& rep) {
  auto req = parse<tv2::ResizePtyRequest>(r);
  Process& p = process(req.id(), req.exec_id());
  if (!p.master) throw RpcError(Code::FailedPrecondition, "process has no terminal");
  winsize ws{};
  ws.ws_col = static_cast<unsigned short>(req.width());
  ws.ws_row = static_cast<unsigned short>(req.height());
  if (ioctl(p.master.get(), TIOCSWINSZ, &ws) < 0) throw RpcError(Code::Internal, std::string("resize pty: ") + strerror(errno));
  rep.ok(empty_reply());
}

void TaskService::close_io(const Req& r, Reply& rep) {
  auto req = parse<tv2::CloseIORequest>(r);
  Process& p = process(req.id(), req.exec_id());
  // The process reads EOF once containerd's writer is gone too.
  if (req.stdin()) p.in_keeper.reset();
  rep.ok(empty_reply());
}

void TaskService::update(const Req& r, Reply& rep) {
  auto req = parse<tv2::UpdateTaskRequest>(r);
  Container& c = container(req.id());
  auto res = nlohmann::json::parse(req.resources().value(), nullptr, false);
  if (!res.is_object()) throw RpcError(Code::InvalidArgument, "update: the resources are not a JSON object");
  std::string file = c.bundle + "/.update-resources.json";
  write_file(file, res.dump());
  try {
    c.rt->run({"update", "--resources", file, c.id}, c.bundle + "/log.json");
  } catch (...) {
    unlink(file.c_str());
    throw;
  }
  unlink(file.c_str());
  rep.ok(empty_reply());
}

void TaskService::stats(const Req& r, Reply& rep) {
  auto req = parse<tv2::StatsRequest>(r);
  Container& c = container(req.id());
  // On a cgroup v2 host containerd expects v2's Metrics (ctr task metrics prints either).
  ContainerCgroup cg;
  try {
    cg = container_cgroup(c.rt->root(), c.id);
  } catch (const std::exception& e) {
    throw RpcError(Code::NotFound, "stats of " + c.id + ": " + e.what());
  }
  if (cg.kind == ContainerCgroup::Kind::V2) {
    tv2::StatsResponse resp;
    resp.mutable_stats()->set_type_url("io.containerd.cgroups.v2.Metrics");
    resp.mutable_stats()->set_value(read_metrics_v2(cg.v2_dir).SerializeAsString());
    rep.ok(resp.SerializeAsString());
    return;
  }
  std::string out;
  c.rt->run({"events", "--stats", c.id}, c.bundle + "/log.json", {}, &out);
  auto j = nlohmann::json::parse(out, nullptr, false);
  if (!j.is_object() || !j.contains("data")) throw RpcError(Code::Internal, "berth events --stats printed no stats");
  const auto& d = j["data"];
  auto u64 = [](const nlohmann::json& o, const char* k) -> std::uint64_t {
    return o.is_object() && o.contains(k) && o[k].is_number() ? o[k].get<std::uint64_t>() : 0;
  };
  io::containerd::cgroups::v1::Metrics m;
  if (d.contains("pids")) {
    m.mutable_pids()->set_current(u64(d["pids"], "current"));
    m.mutable_pids()->set_limit(u64(d["pids"], "limit"));
  }
  if (d.contains("cpu") && d["cpu"].contains("usage")) {
    const auto& u = d["cpu"]["usage"];
    auto* cu = m.mutable_cpu()->mutable_usage();
    cu->set_total(u64(u, "total"));
    cu->set_kernel(u64(u, "kernel"));
    cu->set_user(u64(u, "user"));
    if (u.contains("percpu") && u["percpu"].is_array())
      for (const auto& v : u["percpu"]) cu->add_per_cpu(v.get<std::uint64_t>());
    if (d["cpu"].contains("throttling")) {
      const auto& t = d["cpu"]["throttling"];
      m.mutable_cpu()->mutable_throttling()->set_periods(u64(t, "periods"));
      m.mutable_cpu()->mutable_throttling()->set_throttled_periods(u64(t, "throttled_periods"));
      m.mutable_cpu()->mutable_throttling()->set_throttled_time(u64(t, "throttled_time"));
    }
  }
  if (d.contains("memory")) {
    const auto& mem = d["memory"];
    auto entry = [&](const char* k, io::containerd::cgroups::v1::MemoryEntry* e) {
      if (!mem.contains(k)) return;
      e->set_usage(u64(mem[k], "usage"));
      e->set_max(u64(mem[k], "max_usage"));
      e->set_failcnt(u64(mem[k], "failcnt"));
      e->set_limit(u64(mem[k], "limit"));
    };
    entry("usage", m.mutable_memory()->mutable_usage());
    entry("swap", m.mutable_memory()->mutable_swap());
    entry("kernel", m.mutable_memory()->mutable_kernel());
    entry("kernelTCP", m.mutable_memory()->mutable_kernel_tcp());
    m.mutable_memory()->set_cache(u64(mem, "cache"));
    if (mem.contains("raw")) {
      const auto& raw = mem["raw"];
      m.mutable_memory()->set_rss(u64(raw, "rss"));
      m.mutable_memory()->set_mapped_file(u64(raw, "mapped_file"));
      m.mutable_memory()->set_dirty(u64(raw, "dirty"));
      m.mutable_memory()->set_writeback(u64(raw, "writeback"));
      m.mutable_memory()->set_pg_fault(u64(raw, "pgfault"));
      m.mutable_memory()->set_pg_maj_fault(u64(raw, "pgmajfault"));
      m.mutable_memory()->set_inactive_anon(u64(raw, "inactive_anon"));
      m.mutable_memory()->set_active_anon(u64(raw, "active_anon"));
      m.mutable_memory()->set_inactive_file(u64(raw, "inactive_file"));
      m.mutable_memory()->set_active_file(u64(raw, "active_file"));
      m.mutable_memory()->set_unevictable(u64(raw, "unevictable"));
    }
  }
  tv2::StatsResponse resp;
  resp.mutable_stats()->set_type_url("io.containerd.cgroups.v1.Metrics");
  resp.mutable_stats()->set_value(m.SerializeAsString());
  rep.ok(resp.SerializeAsString());
}

void TaskService::checkpoint(const Req& r, Reply& rep) {
  auto req = parse<tv2::CheckpointTaskRequest>(r);
  Container& c = container(req.id());
  if (!c.init.started || c.init.exited) throw RpcError(Code::FailedPrecondition, "container " + c.id + " is not running");
  containerd::runc::v1::CheckpointOptions o;
  const std::string& url = req.options().type_url();
  if (req.has_options() && url.size() >= 36 && url.compare(url.size() - 36, 36, "containerd.runc.v1.CheckpointOptions") == 0 &&
      !o.ParseFromString(req.options().value()))
    throw RpcError(Code::InvalidArgument, "checkpoint: containerd.runc.v1.CheckpointOptions does not decode");
  std::string image = !req.path().empty() ? req.path() : o.image_path();
  if (image.empty()) throw RpcError(Code::InvalidArgument, "checkpoint of " + c.id + ": no image path");
  // criu's work dir: the one asked for (kept), else one in the bundle removed afterwards.
  std::string work = o.work_path();
  bool own_work = work.empty();
  if (own_work) work = c.bundle + "/criu-work";
  std::vector<std::string> args = {"checkpoint", "--image-path", image, "--work-path", work};
  if (!o.exit()) args.push_back("--leave-running");
  if (o.open_tcp()) args.push_back("--tcp-established");
  if (o.external_unix_sockets()) args.push_back("--ext-unix-sk");
  if (o.terminal()) args.push_back("--shell-job");
  if (o.file_locks()) args.push_back("--file-locks");
  for (const auto& ns : o.empty_namespaces()) args.insert(args.end(), {"--empty-ns", ns});
  if (!o.cgroups_mode().empty()) args.insert(args.end(), {"--manage-cgroups-mode", o.cgroups_mode()});
  args.push_back(c.id);
  // containerd pauses the task around a checkpoint; berth checkpoints running containers
  // only (criu freezes the cgroup itself), so the shim resumes it for the dump and pauses
  // it again after when it stays.
  bool was_paused = c.paused;
  if (was_paused) c.rt->run({"resume", c.id}, c.bundle + "/log.json");
  auto repause = [&] {
    if (was_paused) c.rt->run({"pause", c.id}, c.bundle + "/log.json");
  };
  try {
    c.rt->run(args, c.bundle + "/log.json");
  } catch (const RpcError& e) {
    // criu's log kept where runc's shim keeps it, and named in the error.
    std::string kept = c.bundle + "/criu-dump.log";
    copy_file(work + "/dump.log", kept);
    if (own_work) remove_tree(work);
    try {
      repause();
    } catch (const std::exception& pe) {
      log::warn("container " + c.id + ": pause again after a failed checkpoint: " + pe.what());
    }
    throw RpcError(e.code(), std::string(e.what()) + " path= " + kept);
  }
  if (own_work) remove_tree(work);
  if (!o.exit()) repause();
  rep.ok(empty_reply());
}

void TaskService::connect(const Req& r, Reply& rep) {
  auto req = parse<tv2::ConnectRequest>(r);
  tv2::ConnectResponse resp;
  resp.set_shim_pid(static_cast<std::uint32_t>(getpid()));
  if (auto it = containers_.find(req.id()); it != containers_.end())
    resp.set_task_pid(static_cast<std::uint32_t>(it->second->init.pid));
  resp.set_version(BERTH_VERSION);
  rep.ok(resp.SerializeAsString());
}

void TaskService::shutdown(const Req& r, Reply& rep) {
  parse<tv2::ShutdownRequest>(r);
  rep.ok(empty_reply());
  // With containers left the shim stays, as the runc shim does.
  if (containers_.empty() && on_shutdown) loop_.defer(on_shutdown);
}

void TaskService::watch_oom(Container& c) {
  try {
    c.oom = open_oom_watch(c.rt->root(), c.id);
    if (!c.oom) return;  // no cgroup or no memory controller: no OOM events to see
  } catch (const std::exception& e) {
    log::warn("container " + c.id + ": no OOM events: " + e.what());
    return;
  }
  std::string id = c.id;
  c.oom_token = loop_.add(c.oom->fd(), 1 /*EPOLLIN*/, [this, id](std::uint32_t) {
    auto it = containers_.find(id);
    if (it == containers_.end() || !it->second->oom) return;
    auto ev = it->second->oom->read();
    for (int i = 0; i < ev.ooms; ++i) {
      containerd::events::TaskOOM e;
      e.set_container_id(id);
      publisher_.publish("/tasks/oom", "containerd.events.TaskOOM", e);
    }
    if (ev.gone) loop_.defer([this, id] {
      if (auto ct = containers_.find(id); ct != containers_.end()) stop_oom(*ct->second);
    });
  });
}

void TaskService::stop_oom(Container& c) {
  if (c.oom_token) loop_.remove(c.oom_token);
  c.oom_token = 0;
  c.oom.reset();
}

void TaskService::send_exit(Container& c, Process& p) {
  ev::TaskExit e;
  e.set_container_id(c.id);
  e.set_id(p.exec_id.empty() ? c.id : p.exec_id);
  e.set_pid(static_cast<std::uint32_t>(p.pid));
  e.set_exit_status(static_cast<std::uint32_t>(p.exit_status));
  set_time(e.mutable_exited_at(), p.exited_at);
  publisher_.publish("/tasks/exit", "containerd.events.TaskExit", e);
  tv2::WaitResponse wr;
  wr.set_exit_status(e.exit_status());
  *wr.mutable_exited_at() = e.exited_at();
  std::string payload = wr.SerializeAsString();
  for (auto& w : p.waiters) w.ok(payload);
  p.waiters.clear();
}

void TaskService::child_exited(pid_t pid, int status) {
  for (auto& [id, c] : containers_) {
    std::vector<Process*> procs = {&c->init};
    for (auto& [eid, e] : c->execs) procs.push_back(e.get());
    for (Process* p : procs) {
      if (p->pid != pid || p->exited) continue;
      p->exited = true;
      p->exit_status = exit_code(status);
      p->exited_at = now();
      // A terminal's last output is still in the master: copy it before telling anyone.
      if (p->out_pump) p->out_pump->drain(500);
      if (p == &c->init && c->kill_all_on_exit) {
        try {
          c->rt->run({"kill", "--all", c->id, "KILL"}, c->bundle + "/log.json");
        } catch (const std::exception& e) {
          log::warn("container " + id + ": kill the processes left after the init: " + e.what());
        }
      }
      log::debug("process " + std::to_string(pid) + " of " + id + " exited with " + std::to_string(p->exit_status));
      send_exit(*c, *p);
      return;
    }
  }
}

}  // namespace berth::shim
