#include "cursor.hpp"

#include <algorithm>
#include <cctype>

#include "berth/util/error.hpp"

namespace berth::oci::detail {

namespace {

// Keys that read well after a dot ("linux.sysctl"); anything else is shown
// bracketed and quoted so the path stays unambiguous (sysctl["net.ipv4.ip_forward"]).
bool is_identifier(std::string_view key) {
  if (key.empty()) return false;
  for (size_t i = 0; i < key.size(); ++i) {
    const char c = key[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
    const bool digit = c >= '0' && c <= '9';
    if (!alpha && !(digit && i > 0)) return false;
  }
  return true;
}

const char* type_name(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
      return "null";
    case json::value_t::boolean:
      return "boolean";
    case json::value_t::string:
      return "string";
    case json::value_t::array:
      return "array";
    case json::value_t::object:
      return "object";
    case json::value_t::binary:
      return "binary";
    default:
      return "number";
  }
}

}  // namespace

std::string describe(const json& v) {
  // A number of the wrong kind (negative, fractional) is clearer shown as itself.
  if (v.is_number()) return v.dump();
  return type_name(v);
}

std::string quote(std::string_view s) {
  // Replace rather than throw on invalid UTF-8: an error message must not fail.
  return json(std::string(s)).dump(-1, ' ', false, json::error_handler_t::replace);
}

Cursor Cursor::child(const json* v, std::string_view key) const {
  std::string p = path_;
  if (is_identifier(key)) {
    if (!p.empty()) p += '.';
    p += key;
  } else {
    p += '[' + quote(key) + ']';
  }
  return Cursor(v, doc_, std::move(p));
}

Cursor Cursor::element(const json* v, size_t index) const {
  return Cursor(v, doc_, path_ + '[' + std::to_string(index) + ']');
}

void Cursor::fail(const std::string& problem) const {
  std::string msg = *doc_ + ": ";
  if (!path_.empty()) msg += path_ + ": ";
  throw Error(msg + problem);
}

void Cursor::expected(const char* type) const { fail(std::string("expected ") + type + ", got " + describe(*v_)); }

void Cursor::out_of_range(const std::string& lo, const std::string& hi) const {
  fail("out of range: " + v_->dump() + " (must be " + lo + ".." + hi + ")");
}

void Cursor::require_object() const {
  if (v_ == nullptr) fail("required");
  if (!v_->is_object()) expected("object");
}

Cursor Cursor::operator[](std::string_view key) const {
  require_object();
  auto it = v_->find(key);
  if (it == v_->end()) {
    auto same_but_case = [key](const std::string& k) {
      return k.size() == key.size() && std::equal(k.begin(), k.end(), key.begin(), [](char a, char b) {
               return std::tolower(static_cast<unsigned char>(a)) == std::tolower(static_cast<unsigned char>(b));
             });
    };
    for (auto m = v_->begin(); m != v_->end(); ++m)
      if (same_but_case(m.key())) return child(&*m, key);
  }
  return child(it == v_->end() ? nullptr : &*it, key);
}

std::vector<Cursor> Cursor::items() const {
  if (v_ == nullptr) fail("required");
  if (!v_->is_array()) expected("array");
  std::vector<Cursor> out;
  out.reserve(v_->size());
  for (size_t i = 0; i < v_->size(); ++i) out.push_back(element(&(*v_)[i], i));
  return out;
}

std::vector<std::pair<std::string, Cursor>> Cursor::members() const {
  require_object();
  std::vector<std::pair<std::string, Cursor>> out;
  for (const auto& [k, v] : v_->items()) out.emplace_back(k, child(&v, k));
  return out;
}

std::string Cursor::str() const {
  if (v_ == nullptr) fail("required");
  if (!v_->is_string()) expected("string");
  return v_->get<std::string>();
}

bool Cursor::boolean() const {
  if (v_ == nullptr) fail("required");
  if (!v_->is_boolean()) expected("boolean");
  return v_->get<bool>();
}

std::vector<std::string> Cursor::strings() const {
  std::vector<std::string> out;
  for (const Cursor& c : items()) out.push_back(c.str());
  return out;
}

std::map<std::string, std::string> Cursor::string_map() const {
  std::map<std::string, std::string> out;
  for (const auto& [k, c] : members()) {
    if (k.empty()) c.fail("key must not be empty");
    out.emplace(k, c.str());
  }
  return out;
}

}  // namespace berth::oci::detail
