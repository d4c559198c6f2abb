#include "berth/image/registries_conf.hpp"

#include <dirent.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdlib>
#include <sstream>
#include <toml++/toml.h>

#include "berth/image/store.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

namespace {

constexpr const char* kSystemConf = "/etc/containers/registries.conf";
constexpr const char* kSystemDropIns = "/etc/containers/registries.conf.d";

bool exists(const std::string& p) {
  struct stat st{};
  return ::stat(p.c_str(), &st) == 0;
}

std::string user_config_dir() {
  if (const char* x = std::getenv("XDG_CONFIG_HOME"); x && *x) return std::string(x) + "/containers";
  if (const char* h = std::getenv("HOME"); h && *h) return std::string(h) + "/.config/containers";
  return "";
}

// The host part of a location or prefix: "h:5000/a/b" -> "h:5000".
std::string host_of(const std::string& s) { return s.substr(0, s.find('/')); }

// A location or mirror location: host[:port][/path], no scheme, no tag or digest.
void check_location(const std::string& loc, const std::string& where) {
  if (loc.find("://") != std::string::npos) throw Error(where + ": \"" + loc + "\": no scheme allowed (mark the registry insecure for plain HTTP)");
  if (loc.empty() || loc.front() == '/' || loc.back() == '/') throw Error(where + ": \"" + loc + "\" is not HOST[:PORT][/PATH]");
  // It must read as a repository name (a path alone is a name too) once a tag is stripped.
  try {
    Reference r = parse_reference(loc);
    if (!r.digest.empty()) throw Error("a digest");
  } catch (const Error& e) {
    throw Error(where + ": \"" + loc + "\" is not HOST[:PORT][/PATH]: " + e.what());
  }
}

std::string where_of(const std::string& origin, const toml::source_region& src) {
  return origin + ":" + std::to_string(src.begin.line);
}

bool get_bool(const toml::table& t, std::string_view key, bool dflt, const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return dflt;
  if (auto b = n->value_exact<bool>()) return *b;
  throw Error(where_of(where, n->source()) + ": " + std::string(key) + " must be true or false");
}

std::string get_string(const toml::table& t, std::string_view key, const std::string& where) {
  const toml::node* n = t.get(key);
  if (!n) return "";
  if (auto s = n->value_exact<std::string>()) return *s;
  throw Error(where_of(where, n->source()) + ": " + std::string(key) + " must be a string");
}

std::vector<std::string> get_strings(const toml::node& n, const std::string& what, const std::string& origin) {
  const toml::array* a = n.as_array();
  if (!a) throw Error(where_of(origin, n.source()) + ": " + what + " must be an array of strings");
  std::vector<std::string> out;
  for (const auto& e : *a) {
    auto s = e.value_exact<std::string>();
    if (!s) throw Error(where_of(origin, e.source()) + ": " + what + " must be an array of strings");
    out.push_back(*s);
  }
  return out;
}

RegistryConf parse_registry(const toml::table& t, const std::string& origin) {
  std::string at = where_of(origin, t.source());
  RegistryConf r;
  r.prefix = get_string(t, "prefix", origin);
  r.location = get_string(t, "location", origin);
  r.insecure = get_bool(t, "insecure", false, origin);
  r.blocked = get_bool(t, "blocked", false, origin);
  r.mirror_by_digest_only = get_bool(t, "mirror-by-digest-only", false, origin);
  if (!r.location.empty()) check_location(r.location, at + ": location");
  if (r.prefix.empty()) r.prefix = r.location;
  if (r.prefix.empty()) throw Error(at + ": [[registry]] needs a location or a prefix");
  if (r.prefix.rfind("*.", 0) == 0) {
    // A wildcard names hosts: no path, and nothing to rewrite it to.
    if (r.prefix.find_first_of("/:@*", 2) != std::string::npos) throw Error(at + ": prefix \"" + r.prefix + "\": a wildcard prefix is *.DOMAIN only");
    if (!r.location.empty()) throw Error(at + ": prefix \"" + r.prefix + "\": a wildcard prefix takes no location");
  } else {
    check_location(r.prefix, at + ": prefix");
  }
  if (const toml::node* m = t.get("mirror")) {
    const toml::array* a = m->as_array();
    if (!a) throw Error(where_of(origin, m->source()) + ": mirror must be an array of tables ([[registry.mirror]])");
    for (const auto& e : *a) {
      const toml::table* mt = e.as_table();
      if (!mt) throw Error(where_of(origin, e.source()) + ": [[registry.mirror]] must be a table");
      MirrorConf mc;
      mc.location = get_string(*mt, "location", origin);
      mc.insecure = get_bool(*mt, "insecure", false, origin);
      check_location(mc.location, where_of(origin, mt->source()) + ": mirror location");
      r.mirrors.push_back(mc);
    }
  }
  return r;
}

void put_registry(RegistriesConf& conf, RegistryConf r) {
  for (auto& e : conf.registries) {
    if (e.prefix == r.prefix) {
      e = std::move(r);
      return;
    }
  }
  conf.registries.push_back(std::move(r));
}

// v1: [registries.search|insecure|block] registries = [...]
void merge_v1(RegistriesConf& conf, const toml::table& regs, const std::string& origin) {
  auto list = [&](const char* kind) -> std::vector<std::string> {
    const toml::node* n = regs.get(kind);
    if (!n) return {};
    const toml::table* t = n->as_table();
    if (!t) throw Error(where_of(origin, n->source()) + ": [registries." + kind + "] must be a table");
    const toml::node* l = t->get("registries");
    return l ? get_strings(*l, std::string("registries.") + kind + ".registries", origin) : std::vector<std::string>{};
  };
  auto entry = [&](const std::string& loc) -> RegistryConf& {
    for (auto& e : conf.registries) {
      if (e.prefix == loc) return e;
    }
    check_location(loc, origin);
    conf.registries.push_back(RegistryConf{loc, loc, false, false, false, {}});
    return conf.registries.back();
  };
  auto search = list("search");
  if (!search.empty()) conf.unqualified_search = search;
  for (const auto& l : list("insecure")) entry(l).insecure = true;
  for (const auto& l : list("block")) entry(l).blocked = true;
}

// Does NAME (domain/path) fall under PREFIX?  "a.io/x" covers "a.io/x" and "a.io/x/y", not "a.io/xy".
bool matches(const std::string& name, const std::string& prefix) {
  if (prefix.rfind("*.", 0) == 0) {
    std::string host = host_of(name);
    host = host.substr(0, host.find(':'));
    std::string suffix = prefix.substr(1);  // ".example.com"
    return host.size() > suffix.size() && host.compare(host.size() - suffix.size(), suffix.size(), suffix) == 0;
  }
  if (name.compare(0, prefix.size(), prefix) != 0) return false;
  return name.size() == prefix.size() || name[prefix.size()] == '/';
}

// REF with PREFIX replaced by LOCATION, keeping the tag and digest.
Reference rewrite(const Reference& ref, const std::string& prefix, const std::string& location) {
  if (location.empty() || prefix.rfind("*.", 0) == 0) return ref;
  std::string name = ref.name();
  std::string s = location + name.substr(prefix.size());
  // A location without a registry host would become docker.io: keep it explicit.
  Reference r = parse_reference(s + (ref.digest.empty() ? ":" + ref.tag : "@" + ref.digest));
  if (!ref.tag.empty() && !ref.digest.empty()) r.tag = ref.tag;
  return r;
}

void list_drop_ins(const std::string& dir, std::vector<std::string>& out) {
  DIR* d = ::opendir(dir.c_str());
  if (!d) return;
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) {
    std::string n = e->d_name;
    if (n.size() > 5 && n.compare(n.size() - 5, 5, ".conf") == 0) names.push_back(n);
  }
  ::closedir(d);
  std::sort(names.begin(), names.end());
  for (const auto& n : names) out.push_back(dir + "/" + n);
}

}  // namespace

const RegistryConf* RegistriesConf::find(const Reference& ref) const {
  const RegistryConf* best = nullptr;
  std::string name = ref.name();
  for (const auto& r : registries) {
    if (!matches(name, r.prefix)) continue;
    // An exact prefix beats a wildcard; a longer one beats a shorter one.
    auto rank = [](const RegistryConf& c) { return c.prefix.rfind("*.", 0) == 0 ? 0 : c.prefix.size() + 1000; };
    if (!best || rank(r) > rank(*best)) best = &r;
  }
  return best;
}

void merge_registries_conf(RegistriesConf& conf, const std::string& text, const std::string& origin) {
  toml::table t;
  try {
    t = toml::parse(text, origin);
  } catch (const toml::parse_error& e) {
    std::ostringstream m;
    m << origin << ":" << e.source().begin.line << ":" << e.source().begin.column << ": " << e.description();
    throw Error(m.str());
  }
  const toml::node* v1 = t.get("registries");
  const toml::node* v2 = t.get("registry");
  if (v1 && v2) throw Error(origin + ": mixes the v1 [registries.*] tables with v2 [[registry]] entries");
  if (v1) {
    const toml::table* regs = v1->as_table();
    if (!regs) throw Error(where_of(origin, v1->source()) + ": registries must be a table");
    merge_v1(conf, *regs, origin);
  }
  if (const toml::node* s = t.get("unqualified-search-registries")) {
    conf.unqualified_search = get_strings(*s, "unqualified-search-registries", origin);
    for (const auto& r : conf.unqualified_search) check_location(r, where_of(origin, s->source()) + ": unqualified-search-registries");
  }
  if (v2) {
    const toml::array* a = v2->as_array();
    if (!a) throw Error(where_of(origin, v2->source()) + ": registry must be an array of tables ([[registry]])");
    for (const auto& e : *a) {
      const toml::table* rt = e.as_table();
      if (!rt) throw Error(where_of(origin, e.source()) + ": [[registry]] must be a table");
      put_registry(conf, parse_registry(*rt, origin));
    }
  }
  conf.files.push_back(origin);
}

RegistriesConf load_registries_conf(const std::string& explicit_path) {
  RegistriesConf conf;
  std::string main = explicit_path;
  bool must_exist = !main.empty();
  if (main.empty()) {
    if (const char* e = std::getenv("CONTAINERS_REGISTRIES_CONF"); e && *e) {
      main = e;
      must_exist = true;
    }
  }
  std::string user = user_config_dir();
  std::vector<std::string> drop_in_dirs;
  if (main.empty() && !user.empty() && exists(user + "/registries.conf")) {
    main = user + "/registries.conf";
    drop_in_dirs = {user + "/registries.conf.d"};
  } else {
    if (main.empty()) main = kSystemConf;
    drop_in_dirs = {kSystemDropIns};
    if (!user.empty()) drop_in_dirs.push_back(user + "/registries.conf.d");
  }
  if (must_exist || exists(main)) {
    std::string text;
    try {
      text = read_file(main);
    } catch (const Error& e) {
      throw Error(std::string("registries.conf: ") + e.what());
    }
    merge_registries_conf(conf, text, main);
  }
  std::vector<std::string> drop_ins;
  for (const auto& d : drop_in_dirs) list_drop_ins(d, drop_ins);
  for (const auto& f : drop_ins) merge_registries_conf(conf, read_file(f), f);
  return conf;
}

std::vector<PullSource> pull_sources(const RegistriesConf& conf, const Reference& ref) {
  std::vector<Reference> candidates;
  if (ref.short_name && !conf.unqualified_search.empty()) {
    // A short name: each search registry in turn, as podman and buildah do.
    for (const auto& reg : conf.unqualified_search) {
      std::string path = ref.path;
      if (path.rfind("library/", 0) == 0 && path.find('/', 8) == std::string::npos) path = path.substr(8);
      std::string s = reg + "/" + path + (ref.digest.empty() ? ":" + ref.tag : "@" + ref.digest);
      candidates.push_back(parse_reference(s));
    }
  } else {
    candidates.push_back(ref);
  }
  std::vector<PullSource> out;
  std::string blocked;
  for (const auto& c : candidates) {
    const RegistryConf* r = conf.find(c);
    if (!r) {
      out.push_back({c, c, false, false});
      continue;
    }
    if (r->blocked) {
      blocked = c.name() + " is blocked by registries.conf ([[registry]] prefix \"" + r->prefix + "\")";
      continue;
    }
    if (!r->mirror_by_digest_only || !c.digest.empty()) {
      for (const auto& m : r->mirrors) out.push_back({rewrite(c, r->prefix, m.location), c, m.insecure, true});
    }
    out.push_back({rewrite(c, r->prefix, r->location), c, r->insecure, false});
  }
  if (out.empty()) throw Error(blocked);
  return out;
}

PullSource push_destination(const RegistriesConf& conf, const Reference& ref) {
  const RegistryConf* r = conf.find(ref);
  if (!r) return {ref, ref, false, false};
  if (r->blocked) throw Error(ref.name() + " is blocked by registries.conf ([[registry]] prefix \"" + r->prefix + "\")");
  return {rewrite(ref, r->prefix, r->location), ref, r->insecure, false};
}

}  // namespace berth::image
