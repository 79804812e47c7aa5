#include "store/trace_codec.hpp"

#include <bit>
#include <cstdint>
#include <cstring>

#include "headspa/store/store.hpp"

namespace headspa::store::detail {
namespace {

static_assert(std::endian::native == std::endian::little ||
              std::endian::native == std::endian::big);

template <typename T>
void put(std::string& out, T value) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, &value, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  out.append(bytes, sizeof(T));
}

template <typename T>
T get(const char* p) {
  char bytes[sizeof(T)];
  std::memcpy(bytes, p, sizeof(T));
  if constexpr (std::endian::native == std::endian::big) {
    for (std::size_t i = 0; i < sizeof(T) / 2; ++i) std::swap(bytes[i], bytes[sizeof(T) - 1 - i]);
  }
  T value;
  std::memcpy(&value, bytes, sizeof(T));
  return value;
}

}  // namespace

std::string encode_trace(std::span<const TraceSample> samples) {
  std::string out;
  out.reserve(samples.size() * kTraceSampleBytes);
  for (const TraceSample& s : samples) {
    put(out, s.t_s);
    put(out, s.contact);
    put(out, s.commanded_force_n);
    put(out, s.measured_force_n);
    for (const double v : s.commanded_position_m) put(out, v);
    for (const double v : s.measured_position_m) put(out, v);
  }
  return out;
}

void decode_trace(const std::string& blob, std::size_t count, std::vector<TraceSample>& out) {
  if (blob.size() != count * kTraceSampleBytes) {
    throw StoreError("trace chunk of " + std::to_string(blob.size()) + " bytes does not hold " +
                     std::to_string(count) + " samples of " + std::to_string(kTraceSampleBytes) +
                     " bytes");
  }
  out.reserve(out.size() + count);
  const char* p = blob.data();
  for (std::size_t i = 0; i < count; ++i) {
    TraceSample s;
    s.t_s = get<double>(p);
    s.contact = get<std::uint32_t>(p + 8);
    s.commanded_force_n = get<double>(p + 12);
    s.measured_force_n = get<double>(p + 20);
    for (std::size_t k = 0; k < 3; ++k) s.commanded_position_m[k] = get<double>(p + 28 + 8 * k);
    for (std::size_t k = 0; k < 3; ++k) s.measured_position_m[k] = get<double>(p + 52 + 8 * k);
    out.push_back(s);
    p += kTraceSampleBytes;
  }
}

}  // namespace headspa::store::detail
