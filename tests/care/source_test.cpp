// Each built-in protocol against its source text: every element the source names (areas,
// techniques, directions, cues, steps, oils) is listed with the source's own words and checked
// in the protocol. When the seed texts are present (../shared/seeds), the quotes are checked to
// be in them, so the lists stay faithful to the sources.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <sstream>

#include "headspa/care/builtin.hpp"

namespace headspa::care {
namespace {

struct Element {
  std::string quote;  // the source's words
  std::function<bool(const Protocol&)> in_protocol;
};

bool any_massage(const Protocol& p, const std::function<bool(const MassageStep&)>& pred) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [&](const Step& s) { return s.is_massage() && pred(s.massage()); });
}

bool any_care(const Protocol& p, const std::function<bool(const CareStep&)>& pred) {
  return std::any_of(p.steps.begin(), p.steps.end(),
                     [&](const Step& s) { return !s.is_massage() && pred(s.care()); });
}

bool has(const std::vector<Region>& regions, Region r) {
  return std::find(regions.begin(), regions.end(), r) != regions.end();
}

bool cue_says(const MassageStep& m, std::string_view word) {
  std::string cue = m.cue;
  std::transform(cue.begin(), cue.end(), cue.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return cue.find(word) != std::string::npos;
}

// Index of the first massage step touching the region, or -1.
int first_step_on(const Protocol& p, Region r) {
  for (std::size_t i = 0; i < p.steps.size(); ++i) {
    if (p.steps[i].is_massage() && has(p.steps[i].massage().regions, r)) return static_cast<int>(i);
  }
  return -1;
}

std::string seed_text(const std::string& file) {
  const std::filesystem::path path =
      std::filesystem::path(HEADSPA_SOURCE_DIR) / ".." / "shared" / "seeds" / file;
  std::ifstream in(path);
  if (!in) return {};
  std::stringstream text;
  text << in.rdbuf();
  // Collapse runs of whitespace so quotes match across line breaks.
  std::string out;
  for (char c : text.str()) {
    const bool space = c == ' ' || c == '\n' || c == '\r' || c == '\t';
    if (space && !out.empty() && out.back() == ' ') continue;
    out.push_back(space ? ' ' : c);
  }
  return out;
}

void check(const std::string& id, const std::string& seed, const std::vector<Element>& elements) {
  const Protocol p = builtin_protocol(id);
  const std::string text = seed_text(seed);
  if (text.empty()) {
    std::printf("[ note ] seed %s not found; checking the protocol only\n", seed.c_str());
  }
  for (const auto& e : elements) {
    EXPECT_TRUE(e.in_protocol(p)) << id << " lacks: " << e.quote;
    if (!text.empty()) {
      EXPECT_NE(text.find(e.quote), std::string::npos) << "not in " << seed << ": " << e.quote;
    }
  }
}

using R = Region;
using T = Technique;
using D = Direction;

TEST(Source, HeadTherapyHasTheFiveKeyAreasInOrder) {
  const std::vector<Element> elements = {
      {"applying a generous amount of oil or massage cream to the scalp",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) {
           return c.kind == CareKind::kOil && has(c.regions, R::kScalpCrown) &&
                  std::count(c.products.begin(), c.products.end(), "cream_massage") == 1;
         });
       }},
      {"gently stroke the scalp in circular motions, starting from the front and working your way "
       "to the back",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kScalpFrontal) &&
                  m.direction == D::kFrontToBack && m.pressure == PressureLevel::kGentle;
         });
       }},
      {"Pay special attention to the areas of the scalp that are particularly tense or sore",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return has(m.regions, R::kScalpCrown) && m.dwell_on_tense_spots;
         });
       }},
      {"gently knead the scalp, applying firm but not painful pressure",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kKneading && has(m.regions, R::kScalpParietalLeft) &&
                  m.pressure == PressureLevel::kFirm && cue_says(m, "never painful");
         });
       }},
      {"Place your fingertips on the temples and gently press down",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && has(m.regions, R::kTempleLeft) &&
                  std::count(m.points.begin(), m.points.end(), PressurePoint::kTaiyang) == 1;
         });
       }},
      {"Use a circular motion to massage the temples, focusing on any knots",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kTempleRight) &&
                  m.dwell_on_tense_spots;
         });
       }},
      {"take deep breaths to relax your mind and muscles",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return has(m.regions, R::kTempleLeft) && cue_says(m, "deep breaths");
         });
       }},
      {"Gently press and release the muscles, focusing on the area just above the neck",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && has(m.regions, R::kSkullBase) &&
                  std::count(m.points.begin(), m.points.end(), PressurePoint::kGB20) == 1;
         });
       }},
      {"Use circular motions to work the muscles, and be sure to breathe deeply",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kSkullBase) &&
                  cue_says(m, "breathing deeply");
         });
       }},
      {"using your thumbs to release any knots",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && has(m.regions, R::kNeckBack) &&
                  m.dwell_on_tense_spots;
         });
       }},
      {"Slide your hands up the neck",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kSlideUp && has(m.regions, R::kNeckSideLeft) &&
                  m.direction == D::kUpwards;
         });
       }},
      {"work the muscles from the base of the skull to the shoulders",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return has(m.regions, R::kNeckBack) && m.direction == D::kSkullBaseToShoulders;
         });
       }},
      {"massage the cheeks, starting from the nose and working outwards",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kGlide && has(m.regions, R::kCheekLeft) &&
                  m.direction == D::kNoseOutwards && m.pressure == PressureLevel::kGentle;
         });
       }},
      {"jawline, using circular motions",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kJawLeft);
         });
       }},
      {"forehead, focusing on the area between the eyebrows and the temples",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return has(m.regions, R::kForehead) && has(m.regions, R::kGlabella) &&
                  has(m.regions, R::kTempleLeft);
         });
       }},
      {"Remember to breathe deeply and relax",
       [](const Protocol& p) {
         return any_massage(
             p, [](const MassageStep& m) { return cue_says(m, "breathe deeply and relax"); });
       }},
  };
  check("head-therapy", "000_0b80f654da7291b3.txt", elements);
  // The five areas come in the source's order.
  const Protocol p = builtin_protocol("head-therapy");
  const int scalp = first_step_on(p, R::kScalpCrown);
  const int temples = first_step_on(p, R::kTempleLeft);
  const int skull = first_step_on(p, R::kSkullBase);
  const int neck = first_step_on(p, R::kNeckBack);
  const int face = first_step_on(p, R::kCheekLeft);
  EXPECT_GE(scalp, 0);
  EXPECT_LT(scalp, temples);
  EXPECT_LT(temples, skull);
  EXPECT_LT(skull, neck);
  EXPECT_LT(neck, face);
}

TEST(Source, ScalpSelfGoesFromTheSkullBaseToTheCrownGently) {
  const std::vector<Element> elements = {
      {"Sit in a comfortable position",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) {
           return c.instruction.find("Sit in a comfortable position") != std::string::npos;
         });
       }},
      {"using your fingertips to gently massage your scalp in circular motions",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kScalpCrown);
         });
       }},
      {"Start from the base of your skull and work your way up towards the crown of your head",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return has(m.regions, R::kSkullBase) && has(m.regions, R::kScalpCrown) &&
                  m.direction == D::kSkullBaseToCrown;
         });
       }},
      {"apply gentle pressure to stimulate the scalp without causing discomfort",
       [](const Protocol& p) {
         return std::all_of(p.steps.begin(), p.steps.end(), [](const Step& s) {
           return !s.is_massage() || s.massage().pressure == PressureLevel::kGentle;
         });
       }},
      {"Pay close attention to any areas of tension",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) { return m.dwell_on_tense_spots; });
       }},
      {"gentle kneading",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) { return m.technique == T::kKneading; });
       }},
      {"Choose nourishing oils such as coconut or Ministestwo Raspberry Seed Oil",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) {
           return c.kind == CareKind::kOil &&
                  c.products == std::vector<std::string>{"oil_coconut", "oil_raspberry_seed"};
         });
       }},
      {"consider incorporating oils",
       [](const Protocol& p) {
         return std::any_of(p.steps.begin(), p.steps.end(), [](const Step& s) {
           return !s.is_massage() && s.care().kind == CareKind::kOil && s.optional;
         });
       }},
      {"Take Your Time",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return cue_says(m, "take your time") && m.params.frequency_hz &&
                  *m.params.frequency_hz <= 0.5;
         });
       }},
  };
  check("scalp-self", "001_d7144c5bcb59648d.txt", elements);
  const Protocol p = builtin_protocol("scalp-self");
  EXPECT_NE(p.title.find("seated"), std::string::npos);
  // Self-massage: nothing but the scalp and the skull base.
  for (const auto& s : p.steps) {
    if (!s.is_massage()) continue;
    for (Region r : s.massage().regions) EXPECT_TRUE(is_scalp(r) || r == R::kSkullBase);
  }
}

TEST(Source, FaceAndScalpStrokesUpwardsAndKneadsTheScalp) {
  const std::vector<Element> elements = {
      {"steady, rhythmic pressure in certain areas of the face",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && has(m.regions, R::kCheekLeft);
         });
       }},
      {"by rubbing in an upward motion",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kGlide && has(m.regions, R::kCheekRight) &&
                  has(m.regions, R::kForehead) && m.direction == D::kUpwards;
         });
       }},
      {"lymphatic drainage",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.direction == D::kUpwards && cue_says(m, "lymph");
         });
       }},
      {"Kneading during a scalp massage warms the skin",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kKneading && has(m.regions, R::kScalpCrown) &&
                  cue_says(m, "warms");
         });
       }},
      {"reduce dry scalp and dandruff",
       [](const Protocol& p) {
         return std::any_of(p.steps.begin(), p.steps.end(), [](const Step& s) {
           return std::count(s.serves.begin(), s.serves.end(), Goal::kDandruff) == 1 &&
                  std::count(s.serves.begin(), s.serves.end(), Goal::kDryScalp) == 1;
         });
       }},
  };
  check("face-and-scalp", "002_a49519cf96896180.txt", elements);
  // An add-on: short enough to come out of a longer session.
  const Protocol p = builtin_protocol("face-and-scalp");
  EXPECT_LE(p.nominal_duration_s(), 900.0);
  EXPECT_LE(p.duration.min_s, 300.0);
}

TEST(Source, JapaneseHeadSpaHasTheSixStepsAndLastsAboutFortyMinutes) {
  const std::vector<Element> elements = {
      {"Step 1: Scalp Analysis",
       [](const Protocol& p) {
         return p.steps.front().care().kind == CareKind::kAnalysis &&
                p.steps.front().care().device.magnification.has_value();
       }},
      {"dryness, oiliness, or buildup",
       [](const Protocol& p) {
         const auto& i = p.steps.front().care().instruction;
         return i.find("dryness") != std::string::npos && i.find("oiliness") != std::string::npos &&
                i.find("build-up") != std::string::npos;
       }},
      {"Step 2: Deep Cleansing",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) {
           return c.kind == CareKind::kCleanse && c.device.water_temp_c.has_value();
         });
       }},
      {"gentle cleanser or exfoliant to remove dead skin cells",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) { return c.kind == CareKind::kExfoliate; });
       }},
      {"Step 3: Steam Therapy",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) {
           return c.kind == CareKind::kSteam && c.device.steam_time_s && c.device.steam_distance_m;
         });
       }},
      {"rhythmic circular motions",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kCircularFriction && has(m.regions, R::kScalpCrown);
         });
       }},
      {"kneading",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) { return m.technique == T::kKneading; });
       }},
      {"pressure-point stimulation",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && m.points.size() >= 4 &&
                  std::count(m.points.begin(), m.points.end(), PressurePoint::kGV20) == 1;
         });
       }},
      {"applying gentle pressure to specific points",
       [](const Protocol& p) {
         return any_massage(p, [](const MassageStep& m) {
           return m.technique == T::kPressRelease && m.pressure == PressureLevel::kGentle;
         });
       }},
      {"Step 5: Nourishment and Hydration",
       [](const Protocol& p) {
         return any_care(p, [](const CareStep& c) { return c.kind == CareKind::kSerumOrMask; });
       }},
      {"Step 6: Rinse and Styling",
       [](const Protocol& p) {
         return p.steps[p.steps.size() - 2].care().kind == CareKind::kRinse &&
                p.steps.back().care().kind == CareKind::kDryAndStyle;
       }},
  };
  check("japanese-head-spa", "003_a0709101c00d9024.txt", elements);
  const Protocol p = builtin_protocol("japanese-head-spa");
  // The six steps in order: analysis, cleansing, steam, massage, nourishment, rinse and style.
  std::vector<std::string> phases;
  for (const auto& s : p.steps) {
    std::string phase = s.is_massage() ? "massage" : std::string(to_string(s.care().kind));
    if (phase == "exfoliate") phase = "cleanse";
    if (phase == "dry_and_style") phase = "rinse";
    if (phases.empty() || phases.back() != phase) phases.push_back(phase);
  }
  EXPECT_EQ(phases, (std::vector<std::string>{"analysis", "cleanse", "steam", "massage",
                                              "serum_or_mask", "rinse"}));
  // A standard session: about 40 minutes, within the standard 30–40 min.
  EXPECT_NEAR(p.nominal_duration_s(), 2400.0, 120.0);
  EXPECT_GE(p.duration.min_s, 1800.0);
  EXPECT_LE(p.duration.max_s, 2400.0);
  // Water for wet steps stays 36–40 °C with the hard stop at 42 °C.
  for (const auto& s : p.steps) {
    if (s.is_massage() || !s.care().device.water_temp_c) continue;
    EXPECT_GE(*s.care().device.water_temp_c, 36.0);
    EXPECT_LE(*s.care().device.water_temp_c, 40.0);
    EXPECT_LE(s.care().device.water_hard_stop_c, 42.0);
  }
}

}  // namespace
}  // namespace headspa::care
