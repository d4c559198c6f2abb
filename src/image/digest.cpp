#include "berth/image/digest.hpp"

#include <openssl/evp.h>

#include <vector>

#include "berth/linux/process_attrs.hpp"
#include "berth/util/error.hpp"

namespace berth::image {

struct Sha256::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Sha256::Sha256() : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, EVP_sha256(), nullptr) != 1) throw Error("sha256: cannot initialise");
}
Sha256::~Sha256() = default;

void Sha256::update(const void* data, size_t n) {
  if (n && EVP_DigestUpdate(impl_->ctx, data, n) != 1) throw Error("sha256: update failed");
}

std::string Sha256::digest() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  if (EVP_DigestFinal_ex(impl_->ctx, md, &len) != 1) throw Error("sha256: final failed");
  static const char* hex = "0123456789abcdef";
  std::string out = "sha256:";
  for (unsigned i = 0; i < len; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

std::string sha256_digest(std::string_view data) {
  Sha256 h;
  h.update(data.data(), data.size());
  return h.digest();
}

std::string sha256_file(const std::string& path) {
  Sha256 h;
  std::vector<char> buf(1 << 16);
  linux_::read_chunks(path, buf, [&](std::string_view chunk) { h.update(chunk.data(), chunk.size()); });
  return h.digest();
}

bool valid_digest(std::string_view d) {
  if (d.size() != 71 || d.substr(0, 7) != "sha256:") return false;
  for (char c : d.substr(7)) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  }
  return true;
}

std::string digest_hex(std::string_view d) {
  if (!valid_digest(d)) throw Error("invalid digest \"" + std::string(d.substr(0, 100)) + "\": want sha256:<64 hex digits>");
  return std::string(d.substr(7));
}

}  // namespace berth::image
