// Seeded randomness. There is no default seed: every generator in headspa is built from an
// explicit one, so the same inputs and seed give the same results bit for bit.
#pragma once

#include <cstdint>

namespace headspa {

// splitmix64-seeded xoshiro256** generator: fast, small, identical on every platform
// (unlike std::uniform_real_distribution, whose output is implementation-defined).
class Rng {
 public:
  explicit Rng(std::uint64_t seed) noexcept;

  std::uint64_t next_u64() noexcept;
  // Uniform in [0, 1) with 53 random bits.
  double uniform() noexcept;
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) noexcept;
  // Standard normal (Box-Muller; no cached second value, so the stream depends only on calls).
  double normal() noexcept;
  // Uniform integer in [0, n); n > 0.
  std::uint64_t below(std::uint64_t n) noexcept;
  // A new generator whose stream is independent of this one's (for sub-tasks).
  Rng fork(std::uint64_t stream) const noexcept;

 private:
  std::uint64_t s_[4];
};

}  // namespace headspa
