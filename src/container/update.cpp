// update: new resource values for a live container, merged, written to the
// cgroup, and persisted in state.json (runc 1.1 semantics, see ops.hpp).
#include "berth/cgroups/devices.hpp"
#include "berth/cgroups/resources.hpp"
#include "berth/container/ops.hpp"
#include "berth/container/record.hpp"
#include "berth/container/state_store.hpp"
#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "berth/util/log.hpp"

namespace berth::container {
namespace {

template <class T>
void take(std::optional<T>& dst, const std::optional<T>& src) {
  if (src) dst = src;
}

// What is written on update: everything but the device rules (runc never
// rewrites the v1 device files on update; v2: see update()) and the ignored kernel memory values.
oci::Resources writable(oci::Resources r) {
  r.devices.clear();
  if (r.memory) {
    r.memory->kernel.reset();
    r.memory->kernelTCP.reset();
  }
  return r;
}

}  // namespace

oci::Resources merge_update(const oci::Resources& current, const oci::Resources& ch, std::vector<std::string>* ignored) {
  oci::Resources m = current;
  auto note = [&](bool set, const char* name) {
    if (set && ignored) ignored->push_back(name);
  };
  if (ch.memory) {
    const auto& c = *ch.memory;
    if (!m.memory) m.memory.emplace();
    take(m.memory->limit, c.limit);
    take(m.memory->reservation, c.reservation);
    take(m.memory->swap, c.swap);
    take(m.memory->checkBeforeUpdate, c.checkBeforeUpdate);
    // "memory unlimited" alone means memory+swap unlimited, as on cgroup v1.
    if (c.limit && *c.limit == -1 && !c.swap) m.memory->swap = -1;
    note(c.swappiness.has_value(), "memory.swappiness");
    note(c.disableOOMKiller.has_value(), "memory.disableOOMKiller");
    note(c.useHierarchy.has_value(), "memory.useHierarchy");
  }
  if (ch.cpu) {
    const auto& c = *ch.cpu;
    if (!m.cpu) m.cpu.emplace();
    take(m.cpu->shares, c.shares);
    take(m.cpu->quota, c.quota);
    take(m.cpu->period, c.period);
    take(m.cpu->burst, c.burst);
    take(m.cpu->realtimeRuntime, c.realtimeRuntime);
    take(m.cpu->realtimePeriod, c.realtimePeriod);
    take(m.cpu->idle, c.idle);
    if (!c.cpus.empty()) m.cpu->cpus = c.cpus;
    if (!c.mems.empty()) m.cpu->mems = c.mems;
  }
  if (ch.blockIO) {
    const auto& b = *ch.blockIO;
    if (b.weight) {
      if (!m.blockIO) m.blockIO.emplace();
      m.blockIO->weight = b.weight;
    }
    note(b.leafWeight.has_value(), "blockIO.leafWeight");
    note(!b.weightDevice.empty(), "blockIO.weightDevice");
    note(!b.throttleReadBpsDevice.empty() || !b.throttleWriteBpsDevice.empty() ||
             !b.throttleReadIOPSDevice.empty() || !b.throttleWriteIOPSDevice.empty(),
         "blockIO.throttle*");
  }
  if (ch.pids && ch.pids->limit != 0) m.pids = ch.pids;
  for (const auto& [k, v] : ch.unified) m.unified[k] = v;
  note(!ch.devices.empty(), "devices");
  note(!ch.hugepageLimits.empty(), "hugepageLimits");
  note(ch.network.has_value(), "network");
  note(!ch.rdma.empty(), "rdma");
  return m;
}

void update(const std::string& root, const std::string& id, const oci::Resources& changes) {
  StateDir dir = StateDir::open(root, id);
  Record r = load_record(dir);
  if (status_of(r, dir) == oci::Status::Stopped) throw Error("container not running");
  auto cg = require_cgroup(r, id, "update");

  cgroups::warn_ignored_resources(changes);
  std::vector<std::string> ignored;
  oci::Resources current = r.spec.linux && r.spec.linux->resources ? *r.spec.linux->resources : oci::Resources{};
  oci::Resources merged = merge_update(current, changes, &ignored);
  for (const auto& name : ignored) log::warn("update: linux.resources." + name + " cannot be updated; ignored");

  // On v2 the device filter is an eBPF program: runc replaces it on every
  // update (a new program attached, then the old ones detached), so does berth.
  // The rules do not change (update cannot change them), the program is rebuilt.
  auto to_write = [&](const oci::Resources& res) {
    oci::Resources w = writable(res);
    if (cg->driver() == cgroups::Driver::V2) w.devices = cgroups::effective_device_rules(r.spec);
    return w;
  };
  try {
    cg->apply(to_write(merged));
  } catch (const Error&) {
    // Put back what was there; the state file keeps the old values.
    try {
      cg->apply(to_write(current));
    } catch (const Error& e2) {
      log::warn(std::string("Setting back cgroup configs failed due to error: ") + e2.what() +
                ", your state.json and actual configs might be inconsistent.");
    }
    throw;
  }

  oci::Spec spec = r.spec;
  if (!spec.linux) spec.linux.emplace();
  spec.linux->resources = merged;
  nlohmann::json j = dir.read_state();
  j["config"] = oci::to_json(spec);
  dir.write_state(j);
}

}  // namespace berth::container
