#include "flags.hpp"

#include "berth/util/error.hpp"

namespace berth::shim {

Flags parse_flags(const std::vector<std::string>& args) {
  Flags f;
  std::size_t i = 0;
  for (; i < args.size(); ++i) {
    const std::string& a = args[i];
    if (a == "--") {
      ++i;
      break;
    }
    if (a.size() < 2 || a[0] != '-') break;
    std::string name = a.substr(a[1] == '-' ? 2 : 1);
    if (name.empty() || name[0] == '-' || name[0] == '=') throw Error("bad flag syntax: " + a);
    std::string value;
    bool has_value = false;
    if (auto eq = name.find('='); eq != std::string::npos) {
      value = name.substr(eq + 1);
      name.resize(eq);
      has_value = true;
    }
    if (name == "debug" || name == "v") {
      bool b = true;
      if (has_value) {
        if (value == "true" || value == "1" || value == "t" || value == "T" || value == "TRUE" || value == "True") b = true;
        else if (value == "false" || value == "0" || value == "f" || value == "F" || value == "FALSE" || value == "False") b = false;
        else throw Error("invalid boolean value \"" + value + "\" for -" + name);
      }
      (name == "debug" ? f.debug : f.version) = b;
      continue;
    }
    std::string* target = nullptr;
    if (name == "namespace") target = &f.namespace_;
    else if (name == "address") target = &f.address;
    else if (name == "publish-binary") target = &f.publish_binary;
    else if (name == "id") target = &f.id;
    else if (name == "bundle") target = &f.bundle;
    else if (name == "socket") target = &f.socket;
    else throw Error("flag provided but not defined: -" + name);
    if (!has_value) {
      if (i + 1 >= args.size()) throw Error("flag needs an argument: -" + name);
      value = args[++i];
    }
    *target = value;
  }
  if (i < args.size()) f.action = args[i];
  return f;
}

}  // namespace berth::shim
