// The systemd cgroup driver (--systemd-cgroup): systemd makes the container's
// cgroup as a transient scope (or slice), as runc's systemd driver does on a
// cgroup v2 host. The unit is started when the init's pid is known (add), with
// the resource properties; then, as runc does, the same limits are written to
// the cgroupfs files by the v2 driver, which also serves everything that only
// reads or freezes the cgroup (ps, pause, stats, events).
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <optional>

#include "berth/cgroups/fs.hpp"
#include "berth/cgroups/resources.hpp"
#include "berth/cgroups/systemd.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"
#include "sdbus.hpp"

namespace berth::cgroups {
namespace {

// The cgroup `pid` is in on the unified hierarchy ("0::/path"), "" if unknown.
std::string unified_cgroup_of(pid_t pid) {
  std::ifstream f("/proc/" + std::to_string(pid) + "/cgroup");
  std::string line;
  while (std::getline(f, line))
    if (line.rfind("0::", 0) == 0) return line.substr(3);
  return "";
}

class Systemd : public Manager {
 public:
  Systemd(SystemdPath path, bool started)
      : path_(std::move(path)), fs_(make_v2(path_.cgroup)), started_(started), ours_(started) {}

  Driver driver() const override { return Driver::Systemd; }

  // Connects now, so a missing library or an unreachable systemd fails before
  // the init exists. The unit itself needs the init's pid: see add().
  void create() override { bus(); }

  void apply(const oci::Resources& r) override {
    if (!started_) {
      // Converted now, so a value systemd cannot take fails before the init
      // exists; used when the unit is started (add), the files written then.
      pending_props_ = resource_properties(r, version());
      pending_ = r;
      return;
    }
    auto props = resource_properties(r, version());
    if (!props.empty()) bus().set_unit_properties(path_.unit, props);
    fs_->apply(r);
  }

  void add(pid_t pid) override {
    if (started_) {
      fs_->add(pid);  // exec: join the existing cgroup, as runc does
      return;
    }
    start_unit(pid);
    // Ancestors delegate their controllers (runc's CreateCgroupPath); the
    // unit's directory exists already.
    fs_->create();
    if (path_.is_slice()) fs_->add(pid);
    if (pending_) fs_->apply(*pending_);
    pending_.reset();
    pending_props_.clear();
  }

  std::vector<pid_t> pids() const override { return fs_->pids(); }
  void freeze(bool frozen) override { fs_->freeze(frozen); }
  bool frozen() const override { return fs_->frozen(); }
  Stats stats() const override { return fs_->stats(); }
  std::unique_ptr<OomWatch> watch_oom() const override { return fs_->watch_oom(); }
  std::map<std::string, std::string> dirs() const override { return fs_->dirs(); }

  void destroy() override {
    // A unit we did not make (the name was taken) and its cgroup belong to someone else.
    if (!ours_) return;
    stop_unit();
    // systemd leaves sub-cgroups the container made in its delegated scope
    // (and the directory of a scope it failed to stop).
    fs_->destroy();
  }

  nlohmann::json save() const override {
    return {{"driver", "systemd"},   {"slice", path_.slice}, {"prefix", path_.prefix}, {"name", path_.name},
            {"unit", path_.unit},    {"cgroup", path_.cgroup}};
  }

 private:
  sdbus::Bus& bus() {
    if (!bus_) bus_ = sdbus::Bus::connect();
    return *bus_;
  }
  int version() {
    if (version_ < 0) version_ = bus().version();
    return version_;
  }

  void start_unit(pid_t pid) {
    auto props = unit_properties(path_, pid);
    props.insert(props.end(), pending_props_.begin(), pending_props_.end());
    std::string job;
    try {
      job = bus().start_transient_unit(path_.unit, props);
    } catch (const sdbus::BusError& e) {
      if (e.name() != "org.freedesktop.systemd1.UnitExists") throw;
      // A failed unit of the same name that systemd still keeps: reset it and
      // try once more (runc does the same). A live one stays an error.
      try { bus().reset_failed_unit(path_.unit); } catch (const Error&) {}
      try {
        job = bus().start_transient_unit(path_.unit, props);
      } catch (const sdbus::BusError& e2) {
        if (e2.name() == "org.freedesktop.systemd1.UnitExists")
          throw Error("systemd cgroup driver: unit " + path_.unit + " already exists", EEXIST);
        throw;
      }
    }
    ours_ = true;
    std::string result = bus().wait_job(job, sdbus::kJobTimeout);
    if (result != "done")
      throw Error("systemd cgroup driver: error creating systemd unit " + path_.unit + ": job " + result);
    started_ = true;
    if (!path_.is_slice()) {
      // The computed path is what dirs() gave the init for its cgroup mount: make sure systemd agrees.
      std::string got = unified_cgroup_of(pid);
      if (got != path_.cgroup)
        throw Error("systemd cgroup driver: systemd put the init (pid " + std::to_string(pid) + ") in cgroup \"" +
                    got + "\", expected \"" + path_.cgroup + "\" for " + path_.unit);
    }
  }

  void stop_unit() {
    try {
      std::string job = bus().stop_unit(path_.unit);
      std::string result = bus().wait_job(job, sdbus::kJobTimeout);
      if (result != "done") log::warn("systemd cgroup driver: stopping unit " + path_.unit + ": job " + result);
    } catch (const sdbus::BusError& e) {
      // Gone already: a scope whose processes all exited is collected by systemd.
      if (e.name() != "org.freedesktop.systemd1.NoSuchUnit") log::warn(e.what());
    }
    // A failed unit would stay loaded (and block the name) until reset.
    try {
      bus().reset_failed_unit(path_.unit);
    } catch (const Error&) {
    }
  }

  SystemdPath path_;
  std::unique_ptr<Manager> fs_;  // the v2 driver on the unit's cgroup
  bool started_;                 // the unit exists (from state.json: it was made)
  bool ours_;                    // we made the unit: destroy() stops it
  std::optional<oci::Resources> pending_;     // linux.resources until the unit exists
  std::vector<UnitProperty> pending_props_;  // ... and as unit properties
  std::unique_ptr<sdbus::Bus> bus_;  // connected on first use only
  int version_ = -1;
};

}  // namespace

std::unique_ptr<Manager> make_systemd(const std::string& cgroups_path, const std::string& id) {
  SystemdPath p = parse_systemd_path(cgroups_path, id);
  struct stat st {};
  // sd_booted()'s test: systemd creates this directory early at boot.
  if (::lstat("/run/systemd/system", &st) < 0 || !S_ISDIR(st.st_mode))
    throw Error("systemd cgroup driver: systemd is not running (no /run/systemd/system)");
  if (!host_is_unified())
    throw Error("systemd cgroup driver: only a cgroup v2 (unified) host is supported; "
                "this host has cgroup v1 controllers (use the cgroupfs driver: no --systemd-cgroup)");
  return std::make_unique<Systemd>(std::move(p), false);
}

std::unique_ptr<Manager> load_systemd(const nlohmann::json& saved) {
  SystemdPath p;
  p.slice = saved.at("slice").get<std::string>();
  p.prefix = saved.at("prefix").get<std::string>();
  p.name = saved.at("name").get<std::string>();
  p.unit = saved.at("unit").get<std::string>();
  p.cgroup = saved.at("cgroup").get<std::string>();
  return std::make_unique<Systemd>(std::move(p), true);
}

}  // namespace berth::cgroups
