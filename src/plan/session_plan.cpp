#include "headspa/plan/session_plan.hpp"

#include <algorithm>
#include <array>

namespace headspa::plan {

namespace {

constexpr std::array<std::string_view, 5> kPhaseNames = {"approach", "contact", "lift", "travel",
                                                         "hold"};

}  // namespace

std::string_view contact_name(Contact contact) noexcept {
  return contact == Contact::kLeft ? "left" : "right";
}

std::string_view phase_name(Phase phase) noexcept {
  return kPhaseNames[static_cast<std::size_t>(phase)];
}

std::optional<Phase> parse_phase(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kPhaseNames.size(); ++i) {
    if (kPhaseNames[i] == name) return static_cast<Phase>(i);
  }
  return std::nullopt;
}

std::string_view segment_kind_name(SegmentKind kind) noexcept {
  switch (kind) {
    case SegmentKind::kMassage:
      return "massage";
    case SegmentKind::kTransition:
      return "transition";
    case SegmentKind::kCare:
      return "care";
  }
  return "massage";
}

std::optional<Sample> SessionPlan::sample_at(Contact contact, double t_s) const {
  const std::vector<Sample>& track = tracks[static_cast<std::size_t>(contact)];
  if (track.empty() || t_s < track.front().t_s || t_s > track.back().t_s) return std::nullopt;
  const auto it = std::lower_bound(track.begin(), track.end(), t_s,
                                   [](const Sample& s, double t) { return s.t_s < t; });
  if (it == track.begin()) return *it;
  const Sample& b = *it;
  const Sample& a = *(it - 1);
  const double gap = b.t_s - a.t_s;
  // Samples of one stretch are one period apart; a longer gap means the contact was parked.
  if (gap > 1.5 / sample_rate_hz) return std::nullopt;
  const double w = gap > 0.0 ? (t_s - a.t_s) / gap : 0.0;
  Sample s = w < 0.5 ? a : b;
  s.t_s = t_s;
  s.position_m = a.position_m + w * (b.position_m - a.position_m);
  const Eigen::Vector3d n = a.normal + w * (b.normal - a.normal);
  if (n.norm() > 0.0) s.normal = n.normalized();
  s.tangential_velocity_m_per_s =
      a.tangential_velocity_m_per_s +
      w * (b.tangential_velocity_m_per_s - a.tangential_velocity_m_per_s);
  s.force_n = a.force_n + w * (b.force_n - a.force_n);
  return s;
}

const Segment* SessionPlan::segment_at(double t_s) const {
  if (segments.empty() || t_s < 0.0 || t_s > duration_s) return nullptr;
  const auto it = std::upper_bound(segments.begin(), segments.end(), t_s,
                                   [](double t, const Segment& s) { return t < s.start_s; });
  if (it == segments.begin()) return &segments.front();
  return &*(it - 1);
}

}  // namespace headspa::plan
