// The planner on the built-in head: timeline, safety checks, determinism, plan.json, and
// validation catching injected violations.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <string>

#include "headspa/anatomy/head.hpp"
#include "headspa/anatomy/regions.hpp"
#include "headspa/care/builtin.hpp"
#include "headspa/care/personalise.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/screening.hpp"
#include "headspa/core/error.hpp"
#include "headspa/geometry/mesh.hpp"
#include "headspa/geometry/surface_query.hpp"
#include "headspa/plan/plan_io.hpp"
#include "headspa/plan/planner.hpp"
#include "headspa/plan/validate.hpp"

namespace headspa::plan {
namespace {

struct Fixture {
  anatomy::Head head = anatomy::built_in_head({});
  PlanningSurface surface{head};
};

const Fixture& fixture() {
  static const Fixture f;
  return f;
}

care::PersonalisedProtocol personalised(const std::string& id, const care::Intake& intake = {}) {
  const care::ScreeningResult screening = care::screen(intake, nullptr, care::builtin_rules());
  return care::personalise(care::builtin_protocol(id), intake, screening, nullptr,
                           care::builtin_catalogue());
}

SessionPlan plan_of(const care::PersonalisedProtocol& p, std::uint64_t seed = 1) {
  PlanInputs in;
  in.protocol = &p;
  in.seed = seed;
  return make_plan_unvalidated(fixture().surface, in);
}

const CheckResult& check(const ValidationReport& r, const std::string& name) {
  for (const auto& c : r.checks) {
    if (c.check == name) return c;
  }
  throw std::runtime_error("no check " + name);
}

const SessionPlan& japanese() {
  static const SessionPlan p = plan_of(personalised("japanese-head-spa"));
  return p;
}

TEST(Planner, TimelineCoversTheWholeSessionInOrder) {
  const SessionPlan& p = japanese();
  const care::PersonalisedProtocol pp = personalised("japanese-head-spa");
  EXPECT_NEAR(p.duration_s, pp.total_duration_s(), 0.02);
  ASSERT_FALSE(p.segments.empty());
  EXPECT_DOUBLE_EQ(p.segments.front().start_s, 0.0);
  for (std::size_t i = 1; i < p.segments.size(); ++i) {
    EXPECT_LE(p.segments[i - 1].start_s, p.segments[i].start_s) << i;
  }
  int care = 0, massage = 0;
  for (const auto& s : p.segments) {
    care += s.kind == SegmentKind::kCare;
    massage += s.kind == SegmentKind::kMassage;
  }
  int care_steps = 0;
  for (const auto& st : pp.steps) care_steps += st.step.is_massage() ? 0 : 1;
  EXPECT_EQ(care, care_steps);
  EXPECT_GT(massage, 3);
}

TEST(Planner, SamplesAreAtTheSampleRateAndStrictlyIncreasing) {
  const SessionPlan& p = japanese();
  for (const auto& track : p.tracks) {
    ASSERT_GT(track.size(), 10000u);
    for (std::size_t i = 1; i < track.size(); ++i) {
      ASSERT_GT(track[i].t_s, track[i - 1].t_s);
      const double k = track[i].t_s * p.sample_rate_hz;
      ASSERT_NEAR(k, std::round(k), 1e-6);
    }
  }
}

TEST(Planner, SafetyChecksPassOnTheBuiltInHead) {
  const ValidationReport r = validate_plan(japanese(), fixture().surface);
  EXPECT_TRUE(check(r, "no_go").passed) << check(r, "no_go").worst;
  EXPECT_TRUE(check(r, "force_cap").passed) << check(r, "force_cap").worst;
  EXPECT_TRUE(check(r, "speed").passed) << check(r, "speed").worst;
  EXPECT_TRUE(check(r, "separation").passed) << check(r, "separation").worst;
  EXPECT_TRUE(check(r, "continuity").passed) << check(r, "continuity").worst;
  for (const Sample& s : japanese().tracks[0]) {
    if (s.phase != Phase::kContact) {
      EXPECT_EQ(s.force_n, 0.0);
    }
  }
}

TEST(Planner, ForceRisesSmoothly) {
  for (const auto& track : japanese().tracks) {
    for (std::size_t i = 1; i < track.size(); ++i) {
      if (track[i].t_s - track[i - 1].t_s > 0.015) continue;
      ASSERT_LT(std::abs(track[i].force_n - track[i - 1].force_n), 1.0) << track[i].t_s;
    }
  }
}

TEST(Planner, SameInputsAndSeedGiveTheSameBytes) {
  const care::PersonalisedProtocol p = personalised("japanese-head-spa");
  EXPECT_EQ(plan_to_json(plan_of(p, 7)), plan_to_json(plan_of(p, 7)));
}

TEST(Planner, PlanJsonReadsBackToTheSameBytes) {
  const std::string text = plan_to_json(japanese());
  const SessionPlan back = parse_plan_json(text, "plan.json");
  EXPECT_EQ(plan_to_json(back), text);
  EXPECT_EQ(back.tracks[0].size(), japanese().tracks[0].size());
}

TEST(Planner, BadPlanJsonNamesTheField) {
  std::string text = plan_to_json(japanese());
  const auto at = text.find("\"sample_rate_hz\": ");
  ASSERT_NE(at, std::string::npos);
  const auto comma = text.find(',', at);
  text.replace(at, comma - at, "\"sample_rate_hz\": \"x\"");
  try {
    parse_plan_json(text, "p.json");
    FAIL();
  } catch (const InputError& e) {
    EXPECT_NE(std::string(e.what()).find("sample_rate_hz"), std::string::npos) << e.what();
  }
  EXPECT_THROW(parse_plan_json("{", "p.json"), InputError);
}

TEST(Planner, RefusedProtocolIsAnError) {
  care::PersonalisedProtocol p = personalised("japanese-head-spa");
  p.decision = care::Decision::kRefused;
  p.refusal_reasons = {"severe psoriasis"};
  EXPECT_THROW(plan_of(p), InputError);
}

// Validation must see each injected violation.
class Injected : public ::testing::Test {
 protected:
  SessionPlan plan = japanese();
  std::size_t contact_sample() const {
    const auto& t = plan.tracks[0];
    for (std::size_t i = t.size() / 2; i < t.size(); ++i) {
      if (t[i].phase == Phase::kContact && t[i].force_n > 1.0) return i;
    }
    return 0;
  }
  // The position of the first vertex labelled as the left eye.
  static Eigen::Vector3d left_eye_vertex() {
    const anatomy::Head& head = fixture().head;
    for (std::size_t v = 0; v < head.mesh.vertices.size(); ++v) {
      if (head.regions.label[v] == anatomy::Region::kEyeLeft) return head.mesh.vertices[v];
    }
    return Eigen::Vector3d::Zero();
  }
};

// The least no-go distance over every sample of the plan, asked sample by sample.
double least_no_go_distance(const SessionPlan& plan) {
  double least = std::numeric_limits<double>::infinity();
  for (const auto& track : plan.tracks) {
    for (const Sample& smp : track) {
      least = std::min(least, fixture().surface.no_go_distance(smp.position_m));
    }
  }
  return least;
}

TEST_F(Injected, SampleInANoGoZone) {
  const Eigen::Vector3d eye = left_eye_vertex();
  plan.tracks[0][contact_sample()].position_m = eye;
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "no_go").passed);
}

// Validation passes over samples whose no-go distance cannot have come down to its worst
// (see validate.cpp): a stretch of small steps drifting into the margin is still seen, and the
// worst distance it reports is the least over every sample.
TEST_F(Injected, SlowDriftIntoANoGoMargin) {
  const Eigen::Vector3d eye = left_eye_vertex();
  auto& t = plan.tracks[0];
  const std::size_t first = contact_sample();
  constexpr std::size_t kSteps = 301;  // to 5 mm of the eye and back, in steps under 1 mm
  ASSERT_LT(first + kSteps, t.size());
  const Eigen::Vector3d from = t[first].position_m;
  const Eigen::Vector3d near = eye + 0.005 * (from - eye).normalized();
  for (std::size_t k = 0; k < kSteps; ++k) {
    const double x = static_cast<double>(k) / static_cast<double>(kSteps - 1);
    const double w = 0.5 - 0.5 * std::cos(2.0 * 3.141592653589793 * x);
    t[first + k].position_m = from + w * (near - from);
  }
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(check(r, "no_go").passed);
  const double least = least_no_go_distance(plan);
  EXPECT_EQ(check(r, "no_go").worst, least);
  EXPECT_LT(least, 0.0051);
}

// The same on the plan as made: the worst no-go distance is the least over every sample.
TEST(Planner, ValidationReportsTheLeastNoGoDistanceOfAllSamples) {
  const ValidationReport r = validate_plan(japanese(), fixture().surface);
  EXPECT_EQ(check(r, "no_go").worst, least_no_go_distance(japanese()));
}

TEST_F(Injected, ForceOverCap) {
  Sample& s = plan.tracks[0][contact_sample()];
  s.force_n = anatomy::tissue(s.region).force_cap_n + 0.5;
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "force_cap").passed);
}

// The two contacts are checked side by side (validate.cpp) and their findings joined as if
// checked one after the other: the left contact's issues first, three listed per check in all,
// the rest counted, and the worst value the worst of both.
TEST_F(Injected, FailuresOfBothContactsAreListedLeftFirstAndCounted) {
  auto over_cap = [&](std::size_t c, int count) {
    auto& t = plan.tracks[c];
    int done = 0;
    for (std::size_t i = t.size() / 3; i < t.size() && done < count; i += 50) {
      if (t[i].phase != Phase::kContact || t[i].force_n < 1.0) continue;
      t[i].force_n = anatomy::tissue(t[i].region).force_cap_n + 0.5 + done;
      ++done;
    }
    ASSERT_EQ(done, count);
  };
  over_cap(0, 2);
  over_cap(1, 5);
  const ValidationReport r = validate_plan(plan, fixture().surface);
  std::vector<std::string> messages;
  for (const auto& issue : r.issues) {
    if (issue.check == "force_cap") messages.push_back(issue.message);
  }
  ASSERT_EQ(messages.size(), 4u);
  EXPECT_EQ(messages[0].rfind("left contact", 0), 0u) << messages[0];
  EXPECT_EQ(messages[1].rfind("left contact", 0), 0u) << messages[1];
  EXPECT_EQ(messages[2].rfind("right contact", 0), 0u) << messages[2];
  EXPECT_EQ(messages[3], "4 more samples fail this check");
  // The worst: the right contact's last, 4.5 N over its region's cap.
  EXPECT_GT(check(r, "force_cap").worst, 1.0);
  EXPECT_FALSE(check(r, "force_cap").passed);
}

// Coverage counts the skin within a pad of a pressing sample. With the crown's presses lifted
// (no force), only its edge stays covered by the presses beside it (about a quarter), and
// validation refuses the plan, naming the crown.
TEST_F(Injected, ARegionWithoutItsPressesIsNotCovered) {
  const ValidationReport before = validate_plan(plan, fixture().surface);
  ASSERT_TRUE(check(before, "coverage").passed);
  std::size_t lifted = 0;
  for (auto& track : plan.tracks) {
    for (Sample& s : track) {
      if (s.phase == Phase::kContact && s.region == anatomy::Region::kScalpCrown &&
          s.force_n > 0.0) {
        s.force_n = 0.0;
        ++lifted;
      }
    }
  }
  ASSERT_GT(lifted, 1000u);
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "coverage").passed);
  EXPECT_LT(check(r, "coverage").worst, 0.5);
  bool named = false;
  for (const auto& issue : r.issues) {
    if (issue.check == "coverage" && issue.message.find("crown") != std::string::npos) named = true;
  }
  EXPECT_TRUE(named);
}

// A pressing sample far off the head and one that is not a number: validation reports them
// (continuity) and still measures coverage, without gridding the space between.
TEST_F(Injected, FarAndNotANumberSamples) {
  auto& t = plan.tracks[0];
  const std::size_t i = contact_sample();
  t[i].position_m = Eigen::Vector3d(1000.0, -1000.0, 1000.0);
  t[i + 50].position_m.x() = std::numeric_limits<double>::quiet_NaN();
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "continuity").passed);
  EXPECT_TRUE(check(r, "coverage").passed);
}

TEST_F(Injected, JumpInPosition) {
  plan.tracks[0][contact_sample()].position_m += Eigen::Vector3d(0.0, 0.02, 0.0);
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "continuity").passed);
  EXPECT_FALSE(check(r, "speed").passed);
}

TEST_F(Injected, ContactsTooClose) {
  const std::size_t i = contact_sample();
  auto& right = plan.tracks[1];
  const auto it = std::find_if(right.begin(), right.end(), [&](const Sample& s) {
    return std::abs(s.t_s - plan.tracks[0][i].t_s) < 1e-6;
  });
  ASSERT_NE(it, right.end());
  it->position_m = plan.tracks[0][i].position_m + Eigen::Vector3d(0.0, 0.0, 0.01);
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(check(r, "separation").passed);
}

TEST_F(Injected, TravelGrazingTheSkin) {
  // A sample of a move through the air put 1 mm above the skin it passes over.
  auto& t = plan.tracks[0];
  const auto it = std::find_if(t.begin() + static_cast<std::ptrdiff_t>(t.size() / 2), t.end(),
                               [](const Sample& s) { return s.phase == Phase::kTravel; });
  ASSERT_NE(it, t.end());
  const auto& V = fixture().head.mesh.vertices;
  std::size_t nearest = 0;
  for (std::size_t v = 1; v < V.size(); ++v) {
    if ((V[v] - it->position_m).norm() < (V[nearest] - it->position_m).norm()) nearest = v;
  }
  Eigen::Vector3d centroid = Eigen::Vector3d::Zero();
  for (const auto& v : V) centroid += v;
  centroid /= static_cast<double>(V.size());
  const Eigen::Vector3d out = (V[nearest] - centroid).normalized();
  it->position_m = V[nearest] + 0.001 * out;
  it->normal = out;
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r.ok);
  EXPECT_FALSE(check(r, "clearance").passed);
}

TEST_F(Injected, PadPressingBesideTheEar) {
  // A pressing sample moved onto the massaged skin where a resting pad's ball comes nearest to
  // unlabelled skin (the ear stands out beside the temple and the cheek).
  const anatomy::Head& head = fixture().surface.head();
  const auto& V = head.mesh.vertices;
  const std::vector<Eigen::Vector3d> N = geometry::vertex_normals(head.mesh);
  const double r = 0.0075;  // the pad radius the planner plans for
  std::vector<std::size_t> other;
  for (std::size_t v = 0; v < V.size(); ++v) {
    const anatomy::Region g = head.regions.label[v];
    if (!anatomy::is_massage_region(g) && !anatomy::is_no_go(g)) other.push_back(v);
  }
  ASSERT_FALSE(other.empty()) << "the built-in head has unlabelled skin (its ears)";
  std::size_t worst = 0;
  double worst_gap = std::numeric_limits<double>::infinity();
  for (std::size_t v = 0; v < V.size(); ++v) {
    if (!anatomy::is_massage_region(head.regions.label[v])) continue;
    const Eigen::Vector3d centre = V[v] + r * N[v];
    for (const std::size_t u : other) {
      const double gap = (V[u] - centre).norm() - r;
      if (gap < worst_gap) {
        worst_gap = gap;
        worst = v;
      }
    }
  }
  ASSERT_LT(worst_gap, 0.0) << "some resting pad would touch unlabelled skin";
  Sample& s = plan.tracks[0][contact_sample()];
  s.position_m = V[worst];
  s.normal = N[worst];
  s.region = head.regions.label[worst];
  s.force_n = 0.5;
  const ValidationReport r2 = validate_plan(plan, fixture().surface);
  EXPECT_FALSE(r2.ok);
  EXPECT_FALSE(check(r2, "other_skin").passed);
}

// The same plan validates with the check in it: no pressing pad comes near unlabelled skin.
TEST(Planner, NoPressingPadTouchesUnlabelledSkin) {
  const ValidationReport r = validate_plan(japanese(), fixture().surface);
  EXPECT_TRUE(check(r, "other_skin").passed) << check(r, "other_skin").worst;
  EXPECT_GE(check(r, "other_skin").worst, 0.0);
}

TEST(Planner, SameBytesInAFreshProcessState) {
  // Strokes and spots are laid out from sums that must start at zero: two plans of a routine
  // with strokes, made after other work has dirtied the heap, must agree.
  const care::PersonalisedProtocol p = personalised("head-therapy");
  const std::string first = plan_to_json(plan_of(p, 3));
  std::vector<std::vector<double>> noise;
  for (int i = 0; i < 64; ++i) noise.emplace_back(1000 + i, 1e300);
  noise.clear();
  EXPECT_EQ(first, plan_to_json(plan_of(p, 3)));
}

// plan.json keeps to docs/schemas/plan.schema.json: every required key is there and no key
// appears that the schema does not name, at each level the schema closes.
void expect_keys_follow(const nlohmann::json& value, const nlohmann::json& schema,
                        const nlohmann::json& defs, const std::string& where) {
  const nlohmann::json* s = &schema;
  if (s->contains("$ref")) {
    const std::string ref = (*s)["$ref"].get<std::string>();
    s = &defs.at(ref.substr(ref.rfind('/') + 1));
  }
  if (value.is_object() && s->contains("properties")) {
    for (const auto& key : s->value("required", nlohmann::json::array())) {
      EXPECT_TRUE(value.contains(key.get<std::string>())) << where << " lacks " << key;
    }
    for (const auto& [key, child] : value.items()) {
      const auto& props = (*s)["properties"];
      if (!props.contains(key)) {
        EXPECT_FALSE(s->value("additionalProperties", true)) << where << " has " << key;
        continue;
      }
      expect_keys_follow(child, props[key], defs, where + "." + key);
    }
  } else if (value.is_array() && s->contains("items") && !value.empty()) {
    expect_keys_follow(value.front(), (*s)["items"], defs, where + "[0]");
  }
}

TEST(Planner, PlanJsonFollowsItsSchema) {
  std::ifstream in(std::string(HEADSPA_SOURCE_DIR) + "/docs/schemas/plan.schema.json");
  ASSERT_TRUE(in) << "docs/schemas/plan.schema.json";
  const nlohmann::json schema = nlohmann::json::parse(in);
  const nlohmann::json plan = nlohmann::json::parse(plan_to_json(japanese()));
  expect_keys_follow(plan, schema, schema["$defs"], "plan");
  for (const auto& seg : plan["segments"]) {
    expect_keys_follow(seg, schema["properties"]["segments"]["items"], schema["$defs"],
                       "segment " + seg["step"].get<std::string>());
  }
  for (const auto& check : plan["validation"]["checks"]) {
    const auto& names = schema["properties"]["validation"]["properties"]["checks"]["items"]
                              ["properties"]["check"]["enum"];
    EXPECT_NE(std::find(names.begin(), names.end(), check["check"]), names.end()) << check;
  }
}

}  // namespace
}  // namespace headspa::plan

namespace headspa::plan {
namespace {

bool has_note(const SessionPlan& p, const std::string& part) {
  return std::any_of(p.notes.begin(), p.notes.end(),
                     [&](const std::string& n) { return n.find(part) != std::string::npos; });
}

// Scalp-self's short kneading and circles steps cannot work every spot one by one in their
// time: they work the pattern along lanes, and the plan still validates.
TEST(Planner, AShortStepWorksItsPatternAlongLanes) {
  const SessionPlan p = plan_of(personalised("scalp-self"));
  EXPECT_TRUE(has_note(p, "worked along lanes")) << "no step was worked along lanes";
  const ValidationReport r = validate_plan(p, fixture().surface);
  EXPECT_TRUE(r.ok);
  for (const ValidationIssue& i : r.issues) ADD_FAILURE() << i.check << ": " << i.message;
}

// On the largest female head, for an arm that travels at two thirds of the default pace,
// face-and-scalp's 240 s of kneading and 180 s of strokes are too short: those steps take
// longer, within their longest, and the plan validates. With a time budget that leaves nothing
// spare, no step grows.
TEST(Planner, ALargerHeadGetsLongerStepsWithinTheirLongestAndTheBudget) {
  PlanOptions slower;
  slower.travel_speed_m_per_s = 0.12;
  anatomy::DefaultHeadOptions o;
  o.percentile = 95;
  const anatomy::Head head = anatomy::built_in_head(o);
  const PlanningSurface surface(head);
  const care::PersonalisedProtocol p = personalised("face-and-scalp");
  PlanInputs in;
  in.protocol = &p;
  in.seed = 1;
  const SessionPlan plan = make_plan_unvalidated(surface, in, slower);
  EXPECT_TRUE(has_note(plan, "lengthened from"));
  double longest = 0.0;
  for (const auto& s : p.steps) longest += s.step.max_duration_s;
  EXPECT_GT(plan.duration_s, p.total_duration_s() + 1.0);
  EXPECT_LE(plan.duration_s, longest + 1e-6);
  EXPECT_TRUE(validate_plan(plan, surface).ok);

  care::Intake intake;
  intake.time_budget_s = p.total_duration_s();
  const care::PersonalisedProtocol budgeted = personalised("face-and-scalp", intake);
  in.protocol = &budgeted;
  in.intake = &intake;
  try {
    const SessionPlan within = make_plan_unvalidated(surface, in, slower);
    EXPECT_FALSE(has_note(within, "lengthened from"));
    EXPECT_LE(within.duration_s, *intake.time_budget_s + 1e-6);
  } catch (const PlanRejected& e) {
    SUCCEED() << "rejected within the budget: " << e.what();
  }
}

// A coarse mesh (the built-in head at 2000 vertices, edges of about 6 mm) is planned on its
// triangles split in four: the surface keeps the head as given, the plan says so, every contact
// sample lies on the head as given, and no sample presses on skin the head as given does not
// massage (the new vertices between a massage region and other skin belong to the other skin).
TEST(Planner, ACoarseHeadIsPlannedOnSplitTrianglesOfTheSameSurface) {
  anatomy::DefaultHeadOptions o;
  o.target_vertices = 2000;
  const anatomy::Head head = anatomy::built_in_head(o);
  const PlanningSurface surface(head);
  EXPECT_EQ(&surface.head(), &head);
  const care::PersonalisedProtocol p = personalised("scalp-self");
  PlanInputs in;
  in.protocol = &p;
  in.seed = 1;
  const SessionPlan plan = make_plan_unvalidated(surface, in);
  EXPECT_TRUE(has_note(plan, "split at their midpoints"));
  const geometry::SurfaceQuery query(head.mesh);
  int pressing = 0;
  for (const auto& track : plan.tracks) {
    for (const Sample& s : track) {
      if (s.phase != Phase::kContact || s.force_n <= 1.0) continue;
      ++pressing;
      const auto c = query.closest_point(s.position_m);
      ASSERT_TRUE(c.has_value());
      // On the head as given: the split triangles lie in its faces, and a path smoothed on the
      // skin is held within 0.6 of validation's 0.5 mm (smooth_on_skin).
      ASSERT_LE(c->distance, 0.6 * plan.limits.surface_tolerance_m + 1e-9) << "t = " << s.t_s;
      // The corner of the original face nearest the sample is massage skin.
      const auto& face = head.mesh.faces[static_cast<std::size_t>(c->point.face)];
      int k = 0;
      c->point.barycentric.maxCoeff(&k);
      EXPECT_TRUE(anatomy::is_massage_region(head.regions[face[static_cast<std::size_t>(k)]]))
          << "t = " << s.t_s;
    }
  }
  EXPECT_GT(pressing, 1000);
}

// Head therapy in 20 minutes: every step is near its shortest, and the forehead's strokes do not
// finish their first round (between the eyebrows short of 90%). The presses give some of their
// time to it, the session stays within the budget, and the plan validates.
TEST(Planner, WithNoSpareTimeInTheBudgetThePressesGiveTimeToAStepShortOfCoverage) {
  care::Intake intake;
  intake.time_budget_s = 1200.0;
  const care::PersonalisedProtocol p = personalised("head-therapy", intake);
  PlanInputs in;
  in.protocol = &p;
  in.intake = &intake;
  in.seed = 1;
  const SessionPlan plan = make_plan_unvalidated(fixture().surface, in);
  EXPECT_TRUE(has_note(plan, "shortened from")) << "no step gave time";
  EXPECT_TRUE(has_note(plan, "step forehead-outwards: lengthened from"));
  EXPECT_LE(plan.duration_s, 1200.0 + 1e-6);
  // Each step keeps at least its shortest.
  for (const care::PersonalisedStep& step : p.steps) {
    if (!step.step.is_massage()) continue;
    double span = 0.0;
    for (const Segment& seg : plan.segments) {
      if (seg.step_id == step.step.id) span += seg.end_s - seg.start_s;
    }
    EXPECT_GE(span, step.step.min_duration_s - 0.02) << step.step.id;
  }
  const ValidationReport r = validate_plan(plan, fixture().surface);
  EXPECT_TRUE(r.ok);
  for (const ValidationIssue& i : r.issues) ADD_FAILURE() << i.check << ": " << i.message;
}

}  // namespace
}  // namespace headspa::plan
