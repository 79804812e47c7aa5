// Trace chunks: samples packed as a compact little-endian blob (format headspa/trace@1).
//
// Each sample is 76 bytes: t_s (f64), contact (u32), commanded_force_n, measured_force_n,
// commanded_position_m[3], measured_position_m[3] (f64 each), in that order.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <vector>

#include "headspa/store/records.hpp"

namespace headspa::store::detail {

inline constexpr std::size_t kTraceSampleBytes = 76;

std::string encode_trace(std::span<const TraceSample> samples);
// Appends the decoded samples to out; StoreError when the blob is not count whole samples.
void decode_trace(const std::string& blob, std::size_t count, std::vector<TraceSample>& out);

}  // namespace headspa::store::detail
