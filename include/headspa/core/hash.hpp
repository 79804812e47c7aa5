// Content hashes for recording which inputs produced an output.
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>

namespace headspa {

// SHA-256 of the bytes, as 64 lowercase hex digits.
std::string sha256_hex(std::string_view bytes);

// SHA-256 of a file's contents; throws InputError naming the file when it cannot be read.
std::string sha256_file_hex(const std::string& path);

// Incremental SHA-256 (FIPS 180-4).
class Sha256 {
 public:
  Sha256() noexcept;
  void update(std::string_view bytes) noexcept;
  std::array<std::uint8_t, 32> finish() noexcept;

 private:
  void block(const std::uint8_t* p) noexcept;
  std::uint32_t h_[8];
  std::uint8_t buf_[64];
  std::uint64_t total_bytes_ = 0;
  std::size_t buf_len_ = 0;
};

}  // namespace headspa
