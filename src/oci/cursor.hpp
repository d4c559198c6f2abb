// Internal to src/oci: a read-only cursor into a JSON document that knows its
// own path, so every parse error can say exactly where it happened:
//   config.json: linux.namespaces[2].type: unknown namespace "foo"
// All type checks go through here; no nlohmann exception may escape parsing.
#pragma once
#include <cstdint>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace berth::oci::detail {

using nlohmann::json;

// `v` described for "expected X, got <describe(v)>": a type name, or the
// number itself when the type was right but the value was not.
std::string describe(const json& v);
// `s` as a JSON string literal (quoted, escaped), for error messages.
std::string quote(std::string_view s);

class Cursor {
 public:
  // The whole document; `doc` must outlive every cursor derived from it.
  static Cursor root(const json& j, const std::string& doc) { return Cursor(&j, &doc, ""); }

  // A value that is absent and one that is JSON null are the same thing, as in
  // Go's encoding/json which produced most config.json files.
  bool present() const { return v_ != nullptr && !v_->is_null(); }
  explicit operator bool() const { return present(); }
  const json& value() const { return *v_; }
  const std::string& path() const { return path_; }

  // Member `key`; fails unless this is an object. Absent members give an
  // absent cursor that still knows its path (for "required" errors). As Go's
  // encoding/json matches struct fields (what runc reads config.json with), a
  // key that differs only in ASCII case is taken when the exact one is absent:
  // `pagesize` for `pageSize` works under runc, and is not silently ignored here.
  Cursor operator[](std::string_view key) const;
  // Elements of an array / members of an object; fail on any other type.
  std::vector<Cursor> items() const;
  std::vector<std::pair<std::string, Cursor>> members() const;
  // Fails unless the value is an object.
  void require_object() const;

  [[noreturn]] void fail(const std::string& problem) const;

  // Typed reads; each fails with "required" when absent and with
  // "expected <type>, got <what>" on a type mismatch.
  std::string str() const;
  bool boolean() const;
  std::vector<std::string> strings() const;
  std::map<std::string, std::string> string_map() const;
  template <class T>
  T integer() const;

 private:
  Cursor(const json* v, const std::string* doc, std::string path) : v_(v), doc_(doc), path_(std::move(path)) {}
  Cursor child(const json* v, std::string_view key) const;
  Cursor element(const json* v, size_t index) const;
  [[noreturn]] void expected(const char* type) const;
  [[noreturn]] void out_of_range(const std::string& lo, const std::string& hi) const;

  const json* v_;
  const std::string* doc_;
  std::string path_;
};

template <class T>
T Cursor::integer() const {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  constexpr const char* kType = std::is_signed_v<T> ? "integer" : "unsigned integer";
  if (v_ == nullptr) fail("required");
  if (!v_->is_number_integer()) expected(kType);
  using Lim = std::numeric_limits<T>;
  if (v_->is_number_unsigned()) {
    const auto u = v_->get<uint64_t>();
    if (!std::in_range<T>(u)) out_of_range(std::to_string(Lim::min()), std::to_string(Lim::max()));
    return static_cast<T>(u);
  }
  const auto i = v_->get<int64_t>();
  if (std::is_unsigned_v<T> && i < 0) expected(kType);
  if (!std::in_range<T>(i)) out_of_range(std::to_string(Lim::min()), std::to_string(Lim::max()));
  return static_cast<T>(i);
}

// ---- small readers over an object cursor ----

template <class T>
T read(const Cursor& c) {
  if constexpr (std::is_same_v<T, std::string>) {
    return c.str();
  } else if constexpr (std::is_same_v<T, bool>) {
    return c.boolean();
  } else if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    return c.strings();
  } else if constexpr (std::is_same_v<T, std::map<std::string, std::string>>) {
    return c.string_map();
  } else {
    return c.integer<T>();
  }
}

// Sets `out` from obj[key] when that member is present; leaves it otherwise.
template <class T>
void optional_member(const Cursor& obj, std::string_view key, T& out) {
  if (const Cursor c = obj[key]) out = read<T>(c);
}
template <class T>
void optional_member(const Cursor& obj, std::string_view key, std::optional<T>& out) {
  if (const Cursor c = obj[key]) out = read<T>(c);
}
// obj[key], failing with "<path>: required" when absent.
template <class T>
T required_member(const Cursor& obj, std::string_view key) {
  return read<T>(obj[key]);
}

}  // namespace berth::oci::detail
