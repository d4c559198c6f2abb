// sd-bus through dlopen: the header gives the prototypes (decltype), dlsym the
// functions. Nothing here is linked against libsystemd.
#include "sdbus.hpp"

#include <dlfcn.h>
#include <systemd/sd-bus.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <type_traits>

namespace berth::cgroups::sdbus {
namespace {

#define BERTH_SD_BUS_FUNCTIONS(X)                                                                                  \
  X(sd_bus_open_system) X(sd_bus_new) X(sd_bus_set_address) X(sd_bus_start) X(sd_bus_flush_close_unref)           \
  X(sd_bus_call) X(sd_bus_process) X(sd_bus_wait) X(sd_bus_slot_unref) X(sd_bus_match_signal)                     \
  X(sd_bus_message_new_method_call) X(sd_bus_message_unref) X(sd_bus_message_append_basic)                        \
  X(sd_bus_message_append_array) X(sd_bus_message_open_container) X(sd_bus_message_close_container)               \
  X(sd_bus_message_read) X(sd_bus_get_property_string) X(sd_bus_error_free)

struct Api {
#define BERTH_SD_MEMBER(fn) decltype(&::fn) fn = nullptr;
  BERTH_SD_BUS_FUNCTIONS(BERTH_SD_MEMBER)
#undef BERTH_SD_MEMBER
};

// Loaded once; the handle stays open for the life of the process (berth is a
// short-lived command, and sd-bus objects may outlive any scope we could pick).
const Api& api() {
  static const Api loaded = [] {
    void* h = ::dlopen("libsystemd.so.0", RTLD_NOW | RTLD_LOCAL);
    if (!h)
      throw Error(std::string("systemd cgroup driver: cannot load libsystemd.so.0 (package libsystemd0): ") +
                  ::dlerror());
    Api a;
#define BERTH_SD_RESOLVE(fn)                                                                           \
  a.fn = reinterpret_cast<decltype(a.fn)>(::dlsym(h, #fn));                                            \
  if (!a.fn) {                                                                                         \
    ::dlclose(h);                                                                                      \
    throw Error("systemd cgroup driver: libsystemd.so.0 has no " #fn " (libsystemd too old: need 246+)"); \
  }
    BERTH_SD_BUS_FUNCTIONS(BERTH_SD_RESOLVE)
#undef BERTH_SD_RESOLVE
    return a;
  }();
  return loaded;
}

constexpr const char* kDest = "org.freedesktop.systemd1";
constexpr const char* kPath = "/org/freedesktop/systemd1";
constexpr const char* kManager = "org.freedesktop.systemd1.Manager";

uint64_t usec(std::chrono::nanoseconds d) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::microseconds>(d).count());
}

void check(int r, const std::string& what) {
  if (r < 0) throw Error("systemd cgroup driver: " + what + ": " + std::strerror(-r), -r);
}

struct MsgUnref {
  void operator()(sd_bus_message* m) const { api().sd_bus_message_unref(m); }
};
using Msg = std::unique_ptr<sd_bus_message, MsgUnref>;

struct BusErrorGuard {
  sd_bus_error e{nullptr, nullptr, 0};
  ~BusErrorGuard() { api().sd_bus_error_free(&e); }
};

// (sv): the name, then the value in a variant of the property's signature.
void append_property(sd_bus_message* m, const UnitProperty& p) {
  const Api& a = api();
  const std::string what = "build D-Bus property " + p.name;
  std::string sig = p.signature();
  check(a.sd_bus_message_open_container(m, 'r', "sv"), what);
  check(a.sd_bus_message_append_basic(m, 's', p.name.c_str()), what);
  check(a.sd_bus_message_open_container(m, 'v', sig.c_str()), what);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, bool>) {
          int b = v ? 1 : 0;  // D-Bus booleans are 32-bit
          check(a.sd_bus_message_append_basic(m, 'b', &b), what);
        } else if constexpr (std::is_same_v<T, uint64_t>) {
          check(a.sd_bus_message_append_basic(m, 't', &v), what);
        } else if constexpr (std::is_same_v<T, std::string>) {
          check(a.sd_bus_message_append_basic(m, 's', v.c_str()), what);
        } else if constexpr (std::is_same_v<T, std::vector<uint32_t>>) {
          check(a.sd_bus_message_append_array(m, 'u', v.data(), v.size() * sizeof(uint32_t)), what);
        } else if constexpr (std::is_same_v<T, std::vector<uint8_t>>) {
          check(a.sd_bus_message_append_array(m, 'y', v.data(), v.size()), what);
        } else {
          check(a.sd_bus_message_open_container(m, 'a', "s"), what);
          for (const auto& s : v) check(a.sd_bus_message_append_basic(m, 's', s.c_str()), what);
          check(a.sd_bus_message_close_container(m), what);
        }
      },
      p.value);
  check(a.sd_bus_message_close_container(m), what);
  check(a.sd_bus_message_close_container(m), what);
}

void append_properties(sd_bus_message* m, const std::vector<UnitProperty>& props) {
  check(api().sd_bus_message_open_container(m, 'a', "(sv)"), "build D-Bus property list");
  for (const auto& p : props) append_property(m, p);
  check(api().sd_bus_message_close_container(m), "build D-Bus property list");
}

Msg new_call(sd_bus* bus, const char* member) {
  sd_bus_message* m = nullptr;
  check(api().sd_bus_message_new_method_call(bus, &m, kDest, kPath, kManager, member),
        std::string("build D-Bus call ") + member);
  return Msg(m);
}

// Calls and returns the reply; a D-Bus error becomes a BusError with systemd's message.
Msg call(sd_bus* bus, sd_bus_message* m, const std::string& what) {
  BusErrorGuard err;
  sd_bus_message* reply = nullptr;
  int r = api().sd_bus_call(bus, m, usec(kCallTimeout), &err.e, &reply);
  if (r < 0) {
    std::string msg = err.e.message ? err.e.message : std::strerror(-r);
    throw BusError("systemd cgroup driver: " + what + ": " + msg, err.e.name ? err.e.name : "", -r);
  }
  return Msg(reply);
}

}  // namespace

Bus::~Bus() {
  if (match_) api().sd_bus_slot_unref(match_);
  if (bus_) api().sd_bus_flush_close_unref(bus_);
}

std::unique_ptr<Bus> Bus::connect() {
  const Api& a = api();
  std::string system_err;
  {
    std::unique_ptr<Bus> b(new Bus);
    int r = a.sd_bus_open_system(&b->bus_);
    try {
      check(r, "connect to the system bus");
      b->subscribe();
      return b;
    } catch (const Error& e) {
      system_err = e.what();
    }
  }
  if (::geteuid() != 0) throw Error(system_err);
  std::unique_ptr<Bus> b(new Bus);
  try {
    check(a.sd_bus_new(&b->bus_), "new bus");
    check(a.sd_bus_set_address(b->bus_, "unix:path=/run/systemd/private"), "set bus address");
    check(a.sd_bus_start(b->bus_), "connect to /run/systemd/private");
    b->subscribe();
  } catch (const Error& e) {
    throw Error(system_err + "; and " + e.what(), e.code());
  }
  return b;
}

// JobRemoved(u id, o job, s unit, s result): remembered until wait_job asks.
struct JobRemoved {
  static int handle(sd_bus_message* m, void* userdata, sd_bus_error*) {
    auto* self = static_cast<Bus*>(userdata);
    uint32_t id = 0;
    const char *job = nullptr, *unit = nullptr, *result = nullptr;
    if (api().sd_bus_message_read(m, "uoss", &id, &job, &unit, &result) >= 0 && job && result)
      self->finished_[job] = result;
    return 0;
  }
};

void Bus::subscribe() {
  // The match first, then Subscribe: no JobRemoved can slip between them. No
  // sender in the match: on the private socket messages carry none.
  check(api().sd_bus_match_signal(bus_, &match_, nullptr, kPath, kManager, "JobRemoved", &JobRemoved::handle, this),
        "add match for JobRemoved");
  // systemd emits job signals only while some client is subscribed.
  Msg m = new_call(bus_, "Subscribe");
  call(bus_, m.get(), "Subscribe");
}

std::string Bus::call_job(const char* member, const std::string& what, sd_bus_message* m) {
  Msg reply = call(bus_, m, what);
  const char* job = nullptr;
  check(api().sd_bus_message_read(reply.get(), "o", &job), std::string("read the reply of ") + member);
  return job ? job : "";
}

std::string Bus::start_transient_unit(const std::string& unit, const std::vector<UnitProperty>& props) {
  const Api& a = api();
  Msg m = new_call(bus_, "StartTransientUnit");
  const std::string what = "start unit " + unit;
  check(a.sd_bus_message_append_basic(m.get(), 's', unit.c_str()), what);
  check(a.sd_bus_message_append_basic(m.get(), 's', "replace"), what);
  append_properties(m.get(), props);
  check(a.sd_bus_message_open_container(m.get(), 'a', "(sa(sv))"), what);  // no auxiliary units
  check(a.sd_bus_message_close_container(m.get()), what);
  return call_job("StartTransientUnit", what, m.get());
}

std::string Bus::stop_unit(const std::string& unit) {
  Msg m = new_call(bus_, "StopUnit");
  const std::string what = "stop unit " + unit;
  check(api().sd_bus_message_append_basic(m.get(), 's', unit.c_str()), what);
  check(api().sd_bus_message_append_basic(m.get(), 's', "replace"), what);
  return call_job("StopUnit", what, m.get());
}

void Bus::reset_failed_unit(const std::string& unit) {
  Msg m = new_call(bus_, "ResetFailedUnit");
  check(api().sd_bus_message_append_basic(m.get(), 's', unit.c_str()), "reset failed unit " + unit);
  call(bus_, m.get(), "reset failed unit " + unit);
}

void Bus::set_unit_properties(const std::string& unit, const std::vector<UnitProperty>& props) {
  Msg m = new_call(bus_, "SetUnitProperties");
  const std::string what = "set properties of unit " + unit;
  check(api().sd_bus_message_append_basic(m.get(), 's', unit.c_str()), what);
  int runtime = 1;  // the unit is transient anyway
  check(api().sd_bus_message_append_basic(m.get(), 'b', &runtime), what);
  append_properties(m.get(), props);
  call(bus_, m.get(), what);
}

int Bus::version() {
  BusErrorGuard err;
  char* s = nullptr;
  if (api().sd_bus_get_property_string(bus_, kDest, kPath, kManager, "Version", &err.e, &s) < 0 || !s) return 0;
  int v = std::atoi(s);
  std::free(s);
  return v;
}

std::string Bus::wait_job(const std::string& job, std::chrono::milliseconds timeout) {
  const Api& a = api();
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (auto it = finished_.find(job); it != finished_.end()) {
      std::string result = it->second;
      finished_.erase(it);
      return result;
    }
    int r = a.sd_bus_process(bus_, nullptr);
    check(r, "wait for job " + job);
    if (r > 0) continue;  // dispatched something; look again
    auto left = deadline - std::chrono::steady_clock::now();
    if (left <= std::chrono::nanoseconds::zero())
      throw Error("systemd cgroup driver: timed out after " + std::to_string(timeout.count() / 1000) +
                      " s waiting for systemd job " + job,
                  ETIMEDOUT);
    r = a.sd_bus_wait(bus_, usec(left));
    if (r < 0 && r != -EINTR) check(r, "wait for job " + job);
  }
}

}  // namespace berth::cgroups::sdbus
