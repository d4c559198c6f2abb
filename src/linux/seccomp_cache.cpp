#include "berth/linux/seccomp_cache.hpp"

#include "berth/linux/exe_seal.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <seccomp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <memory>

#include "berth/oci/parse.hpp"
#include "berth/util/error.hpp"
#include "berth/util/fd.hpp"
#include "berth/util/log.hpp"

namespace berth::linux_ {
namespace {

constexpr const char* kMagic = "berth-seccomp-cache 1\n";
constexpr int kMaxEntries = 256;  // distinct profiles kept; beyond that, compile without caching

// FNV-1a, 64 bit: a file name only (the key inside the file decides).
std::string hash_name(const std::string& key) {
  uint64_t h = 1469598103934665603ULL;
  for (unsigned char c : key) {
    h ^= c;
    h *= 1099511628211ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

// Our directory: a real directory, ours, writable by nobody else.
bool trusted_dir(const struct stat& st) {
  return S_ISDIR(st.st_mode) && st.st_uid == ::geteuid() && (st.st_mode & 022) == 0;
}

UniqueFd open_cache_dir(const std::string& dir) {
  if (::mkdir(dir.c_str(), 0700) < 0 && errno != EEXIST) return {};
  UniqueFd fd(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  struct stat st {};
  if (!fd || ::fstat(fd.get(), &st) < 0 || !trusted_dir(st)) return {};
  return fd;
}

bool read_all(int fd, std::string& out) {
  char buf[16384];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return false;
    if (n == 0) return true;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > (4u << 20)) return false;
  }
}

std::optional<SeccompFilter> lookup(int dirfd, const std::string& name, const std::string& key) {
  UniqueFd fd(::openat(dirfd, name.c_str(), O_RDONLY | O_NOFOLLOW | O_CLOEXEC));
  if (!fd) return std::nullopt;
  struct stat st {};
  if (::fstat(fd.get(), &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != ::geteuid() || (st.st_mode & 022))
    return std::nullopt;
  std::string data;
  if (!read_all(fd.get(), data)) return std::nullopt;
  // kMagic, the key's length, newline, the key, then the filter's bytes.
  std::string_view v = data;
  std::string_view magic = kMagic;
  if (v.substr(0, magic.size()) != magic) return std::nullopt;
  v.remove_prefix(magic.size());
  size_t nl = v.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  size_t len = 0;
  if (std::sscanf(std::string(v.substr(0, nl)).c_str(), "%zu", &len) != 1) return std::nullopt;
  v.remove_prefix(nl + 1);
  if (v.size() < len || v.substr(0, len) != key) return std::nullopt;
  return SeccompFilter::from_bytes(v.substr(len));
}

void store(int dirfd, const std::string& name, const std::string& key, const SeccompFilter& f) {
  {
    // Bounded: a host with many distinct profiles stops adding files.
    UniqueFd dup(::fcntl(dirfd, F_DUPFD_CLOEXEC, 0));
    DIR* d = dup ? ::fdopendir(dup.release()) : nullptr;
    if (!d) return;
    std::unique_ptr<DIR, int (*)(DIR*)> guard(d, ::closedir);
    int n = 0;
    while (::readdir(d)) ++n;
    if (n >= kMaxEntries + 2) return;
  }
  std::string data = std::string(kMagic) + std::to_string(key.size()) + "\n" + key + f.to_bytes();
  std::string tmp = name + "." + std::to_string(::getpid()) + ".tmp";
  UniqueFd fd(::openat(dirfd, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (!fd) return;
  bool ok = ::write(fd.get(), data.data(), data.size()) == static_cast<ssize_t>(data.size());
  fd.reset();
  // rename: a reader sees the old file, the new one, or none; never half of one.
  if (!ok || ::renameat(dirfd, tmp.c_str(), dirfd, name.c_str()) < 0) ::unlinkat(dirfd, tmp.c_str(), 0);
}

}  // namespace

std::string seccomp_cache_key(const oci::Seccomp& cfg) {
  const scmp_version* v = seccomp_version();
  // The berth binary on disk (a rebuilt or upgraded berth may compile differently
  // under the same version number); the same when running from its sealed copy.
  std::string binary = berth_binary_identity();
  return std::string("berth ") + BERTH_VERSION + " " + binary + "\nlibseccomp " + std::to_string(v->major) + "." +
         std::to_string(v->minor) + "." + std::to_string(v->micro) + "\napi " +
         std::to_string(seccomp_api_get()) + "\narch " + std::to_string(seccomp_arch_native()) + "\n" +
         oci::to_json(cfg).dump() + "\n";
}

SeccompFilter compile_seccomp_cached(const oci::Seccomp& cfg, const std::string& cache_dir) {
  UniqueFd dir = open_cache_dir(cache_dir);
  if (!dir) {
    log::debug("seccomp cache " + cache_dir + " not usable: compiling");
    return compile_seccomp(cfg);
  }
  std::string key = seccomp_cache_key(cfg);
  std::string name = hash_name(key);
  if (auto hit = lookup(dir.get(), name, key)) return std::move(*hit);
  SeccompFilter f = compile_seccomp(cfg);  // throws on a bad profile: nothing stored
  store(dir.get(), name, key, f);
  return f;
}

}  // namespace berth::linux_
