// Internal: turning patch features into patch probabilities and image scores, shared by the
// analyser and the trainer so that both compute exactly the same thing.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

#include "headspa/scalp/model.hpp"

namespace headspa::scalp::detail {

// Share of the most probable valid patches averaged into the first image input.
inline constexpr double kTopPatchShare = 0.03;

// Clamped logit, so that probabilities of exactly 0 or 1 stay finite.
double safe_logit(double p) noexcept;

// Standardises one patch's raw features into `out` (kPatchFeatureCount values).
void standardise(const double* raw, const ScalpModel& model, double* out) noexcept;

// Patch probabilities for `n` patches of raw features (row-major, kPatchFeatureCount each);
// invalid patches get 0.
void patch_probabilities(const double* raw, const std::uint8_t* valid, int n,
                         const ScalpModel& model, const LogisticModel& patch,
                         std::vector<double>& probs);

// The image decisions' inputs (kImageInputCount, see model.hpp): for the flake patch
// probabilities, then the oil ones, the logits of the mean of the top kTopPatchShare valid
// probabilities, of the top 15 % and of all valid ones; then the image context features (patch
// features 15..19, the same for every patch).
std::array<double, kImageInputCount> image_inputs(const std::vector<double>& flake_probs,
                                                  const std::vector<double>& oil_probs,
                                                  const std::uint8_t* valid,
                                                  const double* raw_features);

}  // namespace headspa::scalp::detail
