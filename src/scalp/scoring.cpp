#include "scoring.hpp"

#include <algorithm>
#include <cmath>
#include <functional>

namespace headspa::scalp::detail {

double safe_logit(double p) noexcept {
  const double q = std::clamp(p, 1e-4, 1.0 - 1e-4);
  return std::log(q / (1.0 - q));
}

void standardise(const double* raw, const ScalpModel& model, double* out) noexcept {
  for (int i = 0; i < kPatchFeatureCount; ++i) {
    const auto k = static_cast<std::size_t>(i);
    out[i] = (raw[i] - model.feature_mean[k]) / model.feature_scale[k];
  }
}

void patch_probabilities(const double* raw, const std::uint8_t* valid, int n,
                         const ScalpModel& model, const LogisticModel& patch,
                         std::vector<double>& probs) {
  probs.assign(static_cast<std::size_t>(n), 0.0);
  double x[kPatchFeatureCount];
  for (int i = 0; i < n; ++i) {
    if (!valid[i]) continue;
    standardise(raw + static_cast<std::ptrdiff_t>(i) * kPatchFeatureCount, model, x);
    probs[static_cast<std::size_t>(i)] = patch.probability(x);
  }
}

namespace {

// Writes the three summaries of `probs` over valid patches to out[0..2].
void summarise(const std::vector<double>& probs, const std::uint8_t* valid, double* out) {
  std::vector<double> v;
  v.reserve(probs.size());
  double sum = 0.0;
  for (std::size_t i = 0; i < probs.size(); ++i) {
    if (!valid[i]) continue;
    v.push_back(probs[i]);
    sum += probs[i];
  }
  if (v.empty()) {
    out[0] = out[1] = out[2] = safe_logit(0.0);
    return;
  }
  std::sort(v.begin(), v.end(), std::greater<>());
  auto top_mean = [&](double share) {
    const auto k = std::max<std::size_t>(
        1, static_cast<std::size_t>(std::lround(share * static_cast<double>(v.size()))));
    double top = 0.0;
    for (std::size_t i = 0; i < k; ++i) top += v[i];
    return top / static_cast<double>(k);
  };
  out[0] = safe_logit(top_mean(kTopPatchShare));
  out[1] = safe_logit(top_mean(0.15));
  out[2] = safe_logit(sum / static_cast<double>(v.size()));
}

}  // namespace

std::array<double, kImageInputCount> image_inputs(const std::vector<double>& flake_probs,
                                                  const std::vector<double>& oil_probs,
                                                  const std::uint8_t* valid,
                                                  const double* raw_features) {
  std::array<double, kImageInputCount> out{};
  summarise(flake_probs, valid, out.data());
  summarise(oil_probs, valid, out.data() + 3);
  std::size_t first_valid = flake_probs.size();
  for (std::size_t i = 0; i < flake_probs.size(); ++i) {
    if (valid[i]) {
      first_valid = i;
      break;
    }
  }
  if (first_valid == flake_probs.size()) return out;  // context stays 0
  const double* ctx = raw_features + static_cast<std::ptrdiff_t>(first_valid) * kPatchFeatureCount;
  for (int k = 0; k < 5; ++k) out[static_cast<std::size_t>(6 + k)] = ctx[15 + k];
  return out;
}

}  // namespace headspa::scalp::detail
