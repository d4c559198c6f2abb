// linux.netDevices (runtime-spec 1.2): host network interfaces moved into the
// container's network namespace under the name it asks for, with their
// permanent addresses and their up/down state, and moved back (under their
// host names) when the container is deleted. rtnetlink, spoken directly: a
// few small messages (RTM_NEWLINK with IFLA_NET_NS_FD + IFLA_IFNAME moves and
// renames in one step, RTM_GETADDR/RTM_NEWADDR carry the addresses over).
#pragma once
#include <map>
#include <string>

#include "berth/oci/spec.hpp"

namespace berth::linux_ {

// Each host interface exists in berth's own network namespace (checked at
// create, before anything is made).
void require_net_devices(const std::map<std::string, oci::NetDevice>& devices);

// Moves every device from berth's network namespace into `netns_fd`'s. On a
// failure the devices already moved are moved back, then it throws.
void move_net_devices_in(const std::map<std::string, oci::NetDevice>& devices, int netns_fd);
// Moves every device still in `netns_fd`'s namespace back into berth's, under
// its host name. Best effort: returns the failures, one line each ("" if none).
std::string move_net_devices_back(const std::map<std::string, oci::NetDevice>& devices, int netns_fd);

}  // namespace berth::linux_
