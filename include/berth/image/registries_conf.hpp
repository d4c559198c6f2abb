// registries.conf as the containers tools (containers-registries.conf(5)) read it, the subset
// berth-build applies: [[registry]] prefix / location / insecure / blocked /
// mirror-by-digest-only, [[registry.mirror]] location / insecure, and
// unqualified-search-registries; the old v1 tables [registries.search|insecure|block] too.
// Other keys ([aliases], short-name-mode, credential-helpers...) are accepted and ignored.
//
// Which files: the --registries-conf file, else $CONTAINERS_REGISTRIES_CONF, else
// ~/.config/containers/registries.conf when it exists, else /etc/containers/registries.conf;
// then the drop-ins (*.conf, in name order) of /etc/containers/registries.conf.d and
// ~/.config/containers/registries.conf.d (only the user's when the user's main file is used),
// a drop-in's [[registry]] replacing the entry of the same prefix.
#pragma once
#include <string>
#include <vector>

#include "berth/image/reference.hpp"

namespace berth::image {

struct MirrorConf {
  std::string location;  // "host[:port][/path]"
  bool insecure = false;
};

struct RegistryConf {
  std::string prefix;    // what it applies to: "docker.io", "example.com/team", "*.example.com"
  std::string location;  // where that lives: the prefix is rewritten to it (empty for "*." prefixes)
  bool insecure = false;
  bool blocked = false;
  bool mirror_by_digest_only = false;
  std::vector<MirrorConf> mirrors;
};

struct RegistriesConf {
  std::vector<std::string> files;  // what was read, for messages
  std::vector<std::string> unqualified_search;
  std::vector<RegistryConf> registries;

  // The entry with the longest prefix matching REF's name, or nullptr.
  const RegistryConf* find(const Reference& ref) const;
};

// Parses one file's text (ORIGIN names it in errors) and merges it into CONF.
void merge_registries_conf(RegistriesConf& conf, const std::string& text, const std::string& origin);

// Reads the files named above. EXPLICIT (the flag) and $CONTAINERS_REGISTRIES_CONF must exist;
// the default files may be missing.
RegistriesConf load_registries_conf(const std::string& explicit_path);

// Where to pull REF from, in order: the mirrors, then the location (the prefix rewritten).
struct PullSource {
  Reference ref;          // the reference at that source
  Reference name;         // what the image is called once pulled (REF, or a search registry's name for it)
  bool insecure = false;  // plain HTTP / unverified TLS allowed there
  bool mirror = false;
};
// Throws berth::Error when REF is blocked.
std::vector<PullSource> pull_sources(const RegistriesConf& conf, const Reference& ref);

// Where to push REF: its rewritten location (no mirrors); throws when blocked.
PullSource push_destination(const RegistriesConf& conf, const Reference& ref);

}  // namespace berth::image
