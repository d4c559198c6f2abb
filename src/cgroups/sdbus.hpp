// A small client of systemd's D-Bus API for the systemd cgroup driver, on
// libsystemd's sd-bus. libsystemd.so.0 is dlopen()ed on first use only, so
// berth neither links nor loads it unless --systemd-cgroup is used (start-up
// time of every other command stays as it was).
#pragma once
#include <chrono>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "berth/cgroups/systemd.hpp"
#include "berth/util/error.hpp"

struct sd_bus;
struct sd_bus_slot;
struct sd_bus_message;

namespace berth::cgroups::sdbus {

// A D-Bus error reply; `name` is the D-Bus error name
// ("org.freedesktop.systemd1.UnitExists", ".NoSuchUnit", ...).
class BusError : public Error {
 public:
  BusError(const std::string& msg, std::string name, int err) : Error(msg, err), name_(std::move(name)) {}
  const std::string& name() const { return name_; }

 private:
  std::string name_;
};

// Every method call and job wait is bounded (runc waits 30 s for a job).
inline constexpr std::chrono::seconds kCallTimeout{25};
inline constexpr std::chrono::seconds kJobTimeout{30};

// One connection to systemd's manager, subscribed to JobRemoved.
class Bus {
 public:
  // The system bus, as runc (go-systemd) connects; as root, when the bus
  // daemon is not reachable, systemd's private socket /run/systemd/private
  // (go-systemd's fallback too). Throws naming both failures.
  static std::unique_ptr<Bus> connect();
  ~Bus();
  Bus(const Bus&) = delete;
  Bus& operator=(const Bus&) = delete;

  // StartTransientUnit(unit, "replace", props, []) -> the job's object path.
  std::string start_transient_unit(const std::string& unit, const std::vector<UnitProperty>& props);
  // StopUnit(unit, "replace") -> the job's object path.
  std::string stop_unit(const std::string& unit);
  void reset_failed_unit(const std::string& unit);
  // SetUnitProperties(unit, runtime=true, props).
  void set_unit_properties(const std::string& unit, const std::vector<UnitProperty>& props);
  // The manager's Version property's leading number ("252.39-1~deb12u2" -> 252); 0 if unreadable.
  int version();
  // Waits for the JobRemoved signal of `job` and returns its result
  // ("done", "canceled", "timeout", "failed", "dependency", "skipped").
  // Throws after `timeout`.
  std::string wait_job(const std::string& job, std::chrono::milliseconds timeout);

 private:
  Bus() = default;
  friend struct JobRemoved;  // the signal handler (sdbus.cpp) records into finished_
  void subscribe();
  std::string call_job(const char* member, const std::string& what, ::sd_bus_message* m);

  ::sd_bus* bus_ = nullptr;
  ::sd_bus_slot* match_ = nullptr;
  std::map<std::string, std::string> finished_;  // job path -> result, from JobRemoved
};

}  // namespace berth::cgroups::sdbus
