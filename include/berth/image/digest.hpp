// sha256 digests as the image-spec writes them: "sha256:<64 lower-case hex>".
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace berth::image {

class Sha256 {
 public:
  Sha256();
  ~Sha256();
  Sha256(const Sha256&) = delete;
  Sha256& operator=(const Sha256&) = delete;
  void update(const void* data, size_t n);
  // "sha256:hex"; the hasher cannot be used afterwards.
  std::string digest();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

std::string sha256_digest(std::string_view data);
// Digest of a file's content. Throws berth::Error naming the file.
std::string sha256_file(const std::string& path);
// True for "sha256:" + 64 lower-case hex digits (the only algorithm the store accepts).
bool valid_digest(std::string_view d);
// The 64 hex digits of a valid digest; throws berth::Error for anything else.
std::string digest_hex(std::string_view d);

}  // namespace berth::image
