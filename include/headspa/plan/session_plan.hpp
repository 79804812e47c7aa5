// The SessionPlan: what a robot executes and a person follows. A timeline of segments (massage,
// transitions, care actions) and, for each of the two contacts, samples at a fixed rate with the
// position on the skin, the surface normal, the tangential velocity and the target normal force.
//
// Conventions: head frame (origin between the tragions, +X to the person's left, +Y up, +Z out
// of the face), metres, seconds, newtons. The left contact works on the person's left side
// (+X), the right contact on the right side.
//
// Samples are stored only while a contact is in use (approaching, in contact, lifting or
// travelling). Between those stretches, and during care segments, the contact waits at its park
// position (`park_position`). Sample times are multiples of 1 / sample_rate_hz.
//
// Example:
//   const SessionPlan plan = read_plan_json_file("plan.json");
//   for (double t = 0; t < plan.duration_s; t += 0.001) {
//     const auto s = plan.sample_at(Contact::kLeft, t);  // nullopt: parked
//   }
#pragma once

#include <Eigen/Core>
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/anatomy/regions.hpp"
#include "headspa/care/protocol.hpp"
#include "headspa/care/vocabulary.hpp"

namespace headspa::plan {

inline constexpr int kContactCount = 2;

// The two contacts (robot fingertip pads, or a person's two hands in guide mode).
enum class Contact : std::uint8_t { kLeft, kRight };
std::string_view contact_name(Contact contact) noexcept;  // "left", "right"

// A sample's normal also says how the pad is held: a robot keeps the pad's centre a pad radius
// out along it. At the park position the normal points away from the head's side (+X for the
// left contact, -X for the right), so a pad's centre moves without a jump when it leaves or
// reaches its park position.
inline Eigen::Vector3d park_normal(Contact contact) noexcept {
  return contact == Contact::kLeft ? Eigen::Vector3d::UnitX() : Eigen::Vector3d(-1.0, 0.0, 0.0);
}

// What a contact is doing at a sample.
enum class Phase : std::uint8_t {
  kApproach,  // moving towards the surface along its normal; no force
  kContact,   // on the surface with a target normal force (which may be small during ramps)
  kLift,      // leaving the surface along its normal; no force
  kTravel,    // in the air, clear of the surface; no force
  kHold,      // in the air, waiting (the other contact works); no force
};
std::string_view phase_name(Phase phase) noexcept;
std::optional<Phase> parse_phase(std::string_view name) noexcept;

// One sample of one contact.
struct Sample {
  double t_s = 0.0;                                      // session time. Unit: [s]
  Eigen::Vector3d position_m = Eigen::Vector3d::Zero();  // pad centre; on the skin in contact
  Eigen::Vector3d normal = Eigen::Vector3d::UnitY();     // outward unit normal of the nearest skin
  Eigen::Vector3d tangential_velocity_m_per_s = Eigen::Vector3d::Zero();  // along the skin
  double force_n = 0.0;  // target normal force (0 unless in contact). Unit: [N]
  anatomy::Region region = anatomy::Region::kOther;  // region under the pad; kOther in the air
  Phase phase = Phase::kTravel;
  int segment = -1;  // index into SessionPlan::segments
};

enum class SegmentKind : std::uint8_t {
  kMassage,     // contacts on the skin doing a technique
  kTransition,  // lift, travel clear of the surface, approach
  kCare,        // a device action (cleanse, steam, rinse ...); both contacts parked
};
std::string_view segment_kind_name(SegmentKind kind) noexcept;

// A named number the planner chose or took from the protocol, e.g. {"radius_m", 0.012}.
struct Parameter {
  std::string name;  // carries its unit as a suffix (_m, _s, _hz, _n, _m_per_s) or none
  double value = 0.0;
};

// Which samples of one contact belong to a segment: [first, end) in SessionPlan::tracks[c].
struct SampleRange {
  std::size_t first = 0;
  std::size_t end = 0;
  bool empty() const noexcept { return first == end; }
};

// One piece of the timeline.
struct Segment {
  SegmentKind kind = SegmentKind::kMassage;
  std::string step_id;   // the protocol step it belongs to
  std::string title;     // for people
  double start_s = 0.0;  // Unit: [s]
  double end_s = 0.0;    // Unit: [s]
  // Massage segments.
  care::Technique technique = care::Technique::kCircularFriction;
  std::vector<anatomy::Region> regions;  // regions worked in this segment
  std::optional<care::Direction> direction;
  std::optional<anatomy::Acupoint> point;  // press-and-release: the point held
  bool bilateral = false;
  std::vector<Parameter> parameters;
  std::string cue;  // said to the client
  // Care segments.
  std::optional<care::CareKind> care_kind;
  care::DeviceSettings device;
  std::string product_id;
  std::string instruction;
  bool needs_confirmation = false;  // the operator confirms before it starts
  // Samples of each contact in this segment (empty: the contact is parked or holds).
  std::array<SampleRange, kContactCount> samples{};
};

// Time, coverage and force per region.
struct RegionSummary {
  anatomy::Region region = anatomy::Region::kOther;
  bool targeted = false;          // a coverage step named this region
  double contact_time_s = 0.0;    // summed over both contacts. Unit: [s]
  double coverage = 0.0;          // fraction (0-1) of the workable area touched by a pad
  double workable_area_m2 = 0.0;  // region area at least the no-go margin from a no-go zone
  double peak_force_n = 0.0;
  double cap_n = 0.0;  // the tissue map's cap
};

// Limits the validator checks (and the planner plans within).
struct PlanLimits {
  double no_go_margin_m = 0.01;    // no sample in contact closer to a no-go zone
  double max_speed_m_per_s = 0.3;  // any sample, in contact or in the air
  double max_acceleration_m_per_s2 = 4.0;
  double max_jerk_m_per_s3 = 400.0;
  double surface_tolerance_m = 0.0005;     // in contact: distance from the skin
  double min_coverage = 0.9;               // each targeted region
  double min_contact_separation_m = 0.08;  // a hand's width, between the two contacts
  double max_sample_gap_s = 0.0105;        // consecutive samples of one stretch
  double max_position_step_m = 0.004;      // between consecutive samples (0.4 m/s at 100 Hz)
};

// One failed check.
struct ValidationIssue {
  std::string check;    // "no_go", "force_cap", "speed", "acceleration", "jerk", "surface",
                        // "coverage", "separation", "continuity"
  std::string message;  // what and where, e.g. "left contact at t=12.34 s is 0.6 cm from eye_left"
};

// The outcome of validation: each check with its worst value and limit.
struct CheckResult {
  std::string check;
  bool passed = true;
  double worst = 0.0;  // the worst value seen (distance, ratio, speed ...)
  double limit = 0.0;
  std::string unit;  // "m", "N/cap", "m/s", ...
};

struct ValidationReport {
  bool ok = true;
  std::vector<CheckResult> checks;
  std::vector<ValidationIssue> issues;  // at most a few per check
};

// SHA-256 (hex) of the inputs the plan was made from.
struct InputHashes {
  std::string protocol;  // the personalised protocol's JSON
  std::string intake;    // empty when planned without intake
  std::string head;      // mesh vertices and faces
  std::string scalp_report;
  std::uint64_t seed = 0;
};

struct SessionPlan {
  std::string format = "headspa/plan@1";
  std::string protocol_id;
  std::string title;
  double duration_s = 0.0;  // Unit: [s]
  double sample_rate_hz = 100.0;
  std::vector<Segment> segments;                          // in time order, covering [0, duration_s]
  std::array<std::vector<Sample>, kContactCount> tracks;  // in time order per contact
  std::array<Eigen::Vector3d, kContactCount> park_position{Eigen::Vector3d::Zero(),
                                                           Eigen::Vector3d::Zero()};
  std::vector<RegionSummary> regions;  // one per massage region the plan touches or targets
  PlanLimits limits;
  ValidationReport validation;
  InputHashes inputs;
  std::vector<std::string> notes;  // what the planner adapted, e.g. a point moved off a margin

  // The sample of `contact` at time t (linear between samples), or nullopt while it is parked.
  std::optional<Sample> sample_at(Contact contact, double t_s) const;
  // The segment under time t (the last one at duration_s), or nullptr outside [0, duration_s].
  const Segment* segment_at(double t_s) const;
};

}  // namespace headspa::plan
