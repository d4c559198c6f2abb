// linux.netDevices: see netdev.hpp.
#include "berth/linux/netdev.hpp"

#include <fcntl.h>
#include <linux/if_addr.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <vector>

#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"

namespace berth::linux_ {
namespace {

std::string quoted(const std::string& s) { return "\"" + s + "\""; }

// The calling thread in another network namespace for the lifetime of this
// object (netlink and ioctl sockets belong to the namespace they are made in).
class InNetns {
 public:
  explicit InNetns(int netns_fd) {
    if (netns_fd < 0) return;
    home_.reset(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
    if (!home_) throw_errno("open /proc/thread-self/ns/net");
    if (::setns(netns_fd, CLONE_NEWNET) < 0) throw_errno("setns into the container's network namespace");
  }
  ~InNetns() {
    // Cannot fail for a namespace we were in a moment ago; if it does, berth must not go on there.
    if (home_ && ::setns(home_.get(), CLONE_NEWNET) < 0) ::abort();
  }
  InNetns(const InNetns&) = delete;
  InNetns& operator=(const InNetns&) = delete;

 private:
  UniqueFd home_;
};

// One rtnetlink request under construction: header, fixed part, attributes.
class Request {
 public:
  Request(uint16_t type, uint16_t flags, const void* fixed, size_t fixed_len) : buf_(NLMSG_SPACE(fixed_len), 0) {
    auto* h = hdr();
    h->nlmsg_len = static_cast<uint32_t>(NLMSG_LENGTH(fixed_len));
    h->nlmsg_type = type;
    h->nlmsg_flags = static_cast<uint16_t>(NLM_F_REQUEST | flags);
    std::memcpy(NLMSG_DATA(h), fixed, fixed_len);
  }
  void attr(uint16_t type, const void* data, size_t len) {
    size_t at = NLMSG_ALIGN(hdr()->nlmsg_len);
    buf_.resize(at + RTA_SPACE(len), 0);
    auto* rta = reinterpret_cast<rtattr*>(buf_.data() + at);
    rta->rta_type = type;
    rta->rta_len = static_cast<uint16_t>(RTA_LENGTH(len));
    std::memcpy(RTA_DATA(rta), data, len);
    hdr()->nlmsg_len = static_cast<uint32_t>(at + RTA_SPACE(len));
  }
  void attr(uint16_t type, const std::string& s) { attr(type, s.c_str(), s.size() + 1); }
  nlmsghdr* hdr() { return reinterpret_cast<nlmsghdr*>(buf_.data()); }

 private:
  std::vector<char> buf_;
};

// A NETLINK_ROUTE socket of the calling thread's namespace.
class Rtnl {
 public:
  Rtnl() : fd_(::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE)) {
    if (!fd_) throw_errno("open an rtnetlink socket");
  }

  // Sends `r` and waits for its acknowledgement; returns 0 or the kernel's errno.
  int call(Request& r) {
    send(r);
    int err = 0;
    receive([&](const nlmsghdr*) {}, &err);
    return err;
  }
  // Sends a dump request and hands every answer to `fn`.
  template <class Fn>
  void dump(Request& r, Fn fn) {
    send(r);
    int err = 0;
    receive(fn, &err);
    if (err != 0) throw_errno("rtnetlink dump", err);
  }

 private:
  void send(Request& r) {
    r.hdr()->nlmsg_seq = ++seq_;
    sockaddr_nl kernel{};
    kernel.nl_family = AF_NETLINK;
    if (::sendto(fd_.get(), r.hdr(), r.hdr()->nlmsg_len, 0, reinterpret_cast<sockaddr*>(&kernel), sizeof kernel) < 0)
      throw_errno("send an rtnetlink request");
  }
  // Reads until NLMSG_DONE or the NLMSG_ERROR that answers our sequence number.
  template <class Fn>
  void receive(Fn fn, int* err) {
    std::vector<char> buf(32768);
    for (;;) {
      ssize_t n = ::recv(fd_.get(), buf.data(), buf.size(), 0);
      if (n < 0) {
        if (errno == EINTR) continue;
        throw_errno("read an rtnetlink answer");
      }
      size_t left = static_cast<size_t>(n);
      for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left)) {
        if (h->nlmsg_seq != seq_) continue;
        if (h->nlmsg_type == NLMSG_DONE) return;
        if (h->nlmsg_type == NLMSG_ERROR) {
          *err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
          return;
        }
        fn(h);
      }
    }
  }

  UniqueFd fd_;
  uint32_t seq_ = 0;
};

// A permanent address of an interface, as the kernel reported it.
struct Address {
  ifaddrmsg head{};
  std::vector<std::pair<uint16_t, std::vector<char>>> attrs;  // IFA_ADDRESS, IFA_LOCAL, IFA_BROADCAST
};

std::vector<Address> permanent_addresses(Rtnl& nl, int index) {
  ifaddrmsg any{};
  Request r(RTM_GETADDR, NLM_F_DUMP, &any, sizeof any);
  std::vector<Address> out;
  nl.dump(r, [&](const nlmsghdr* h) {
    if (h->nlmsg_type != RTM_NEWADDR) return;
    const auto* ifa = static_cast<const ifaddrmsg*>(NLMSG_DATA(h));
    if (static_cast<int>(ifa->ifa_index) != index) return;
    Address a;
    a.head = *ifa;
    uint32_t flags = ifa->ifa_flags;
    int len = static_cast<int>(IFA_PAYLOAD(h));
    for (const rtattr* rta = IFA_RTA(ifa); RTA_OK(rta, len); rta = RTA_NEXT(rta, len)) {
      const char* data = static_cast<const char*>(RTA_DATA(rta));
      const size_t size = RTA_PAYLOAD(rta);
      if (rta->rta_type == IFA_FLAGS && size >= sizeof(uint32_t)) std::memcpy(&flags, data, sizeof flags);
      if (rta->rta_type == IFA_ADDRESS || rta->rta_type == IFA_LOCAL || rta->rta_type == IFA_BROADCAST)
        a.attrs.emplace_back(rta->rta_type, std::vector<char>(data, data + size));
    }
    if (flags & IFA_F_PERMANENT) out.push_back(std::move(a));
  });
  return out;
}

bool is_up(const std::string& name) {
  UniqueFd s(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  if (!s) throw_errno("open a socket for interface flags");
  ifreq ifr{};
  std::strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  if (::ioctl(s.get(), SIOCGIFFLAGS, &ifr) < 0) throw_errno("read the flags of interface " + quoted(name));
  return (ifr.ifr_flags & IFF_UP) != 0;
}

// Moves interface `from` of the namespace `source_fd` (-1: ours) into `target_fd`'s
// as `to`, then gives it back its permanent addresses and its up state there.
void move_one(const std::string& from, int source_fd, int target_fd, const std::string& to, const std::string& where) {
  const std::string what = "linux.netDevices: move " + quoted(from) + where + " as " + quoted(to);
  std::vector<Address> addrs;
  bool up = false;
  {
    InNetns in(source_fd);
    const int index = static_cast<int>(::if_nametoindex(from.c_str()));
    if (index == 0) throw_errno(what + ": no such interface");
    Rtnl nl;
    addrs = permanent_addresses(nl, index);
    up = is_up(from);
    ifinfomsg link{};
    link.ifi_family = AF_UNSPEC;
    link.ifi_index = index;
    Request r(RTM_NEWLINK, NLM_F_ACK, &link, sizeof link);
    const uint32_t fd = static_cast<uint32_t>(target_fd);
    r.attr(IFLA_NET_NS_FD, &fd, sizeof fd);
    r.attr(IFLA_IFNAME, to);
    if (int err = nl.call(r)) throw_errno(what, err);
  }
  InNetns in(target_fd);
  const int index = static_cast<int>(::if_nametoindex(to.c_str()));
  if (index == 0) throw_errno(what + ": not found after the move");
  Rtnl nl;
  for (Address& a : addrs) {
    a.head.ifa_index = static_cast<uint32_t>(index);
    Request r(RTM_NEWADDR, NLM_F_ACK | NLM_F_CREATE | NLM_F_REPLACE, &a.head, sizeof a.head);
    for (const auto& [type, data] : a.attrs) r.attr(type, data.data(), data.size());
    if (int err = nl.call(r)) throw_errno(what + ": restore an address", err);
  }
  if (up) {
    ifinfomsg link{};
    link.ifi_family = AF_UNSPEC;
    link.ifi_index = index;
    link.ifi_flags = IFF_UP;
    link.ifi_change = IFF_UP;
    Request r(RTM_NEWLINK, NLM_F_ACK, &link, sizeof link);
    if (int err = nl.call(r)) throw_errno(what + ": set it up", err);
  }
}

const std::string& inside_name(const std::string& host, const oci::NetDevice& d) {
  return d.name.empty() ? host : d.name;
}

UniqueFd own_netns() {
  UniqueFd fd(::open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC));
  if (!fd) throw_errno("open /proc/thread-self/ns/net");
  return fd;
}

}  // namespace

void require_net_devices(const std::map<std::string, oci::NetDevice>& devices) {
  for (const auto& [host, d] : devices)
    if (::if_nametoindex(host.c_str()) == 0)
      throw_errno("linux.netDevices: interface " + quoted(host) + " of the runtime's network namespace");
}

void move_net_devices_in(const std::map<std::string, oci::NetDevice>& devices, int netns_fd) {
  std::vector<std::pair<std::string, oci::NetDevice>> moved;
  try {
    for (const auto& [host, d] : devices) {
      move_one(host, -1, netns_fd, inside_name(host, d), " into the container's network namespace");
      moved.emplace_back(host, d);
    }
  } catch (...) {
    std::map<std::string, oci::NetDevice> back(moved.begin(), moved.end());
    (void)move_net_devices_back(back, netns_fd);
    throw;
  }
}

std::string move_net_devices_back(const std::map<std::string, oci::NetDevice>& devices, int netns_fd) {
  std::string failures;
  UniqueFd home;
  try {
    home = own_netns();
  } catch (const Error& e) {
    return e.what();
  }
  for (const auto& [host, d] : devices) {
    try {
      move_one(inside_name(host, d), netns_fd, home.get(), host, " back to the runtime's network namespace");
    } catch (const Error& e) {
      failures += (failures.empty() ? "" : "\n") + std::string(e.what());
    }
  }
  return failures;
}

}  // namespace berth::linux_
