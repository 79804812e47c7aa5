#include "headspa/server/guide.hpp"

#include "headspa/care/products.hpp"

#include <nlohmann/json.hpp>

#include <cmath>
#include <cstdio>
#include <string_view>

namespace headspa::server {
namespace {

// Plain words for a region, as a person names the part of their own head.
std::string_view region_words(care::Region r) {
  switch (r) {
    case care::Region::kScalpFrontal:
      return "the front of the scalp, above the hairline";
    case care::Region::kScalpParietalLeft:
      return "the left side of the scalp";
    case care::Region::kScalpParietalRight:
      return "the right side of the scalp";
    case care::Region::kScalpCrown:
      return "the crown";
    case care::Region::kScalpOccipital:
      return "the back of the head";
    case care::Region::kTempleLeft:
      return "the left temple";
    case care::Region::kTempleRight:
      return "the right temple";
    case care::Region::kSkullBase:
      return "the base of the skull";
    case care::Region::kNeckBack:
      return "the back of the neck";
    case care::Region::kNeckSideLeft:
      return "the left side of the neck";
    case care::Region::kNeckSideRight:
      return "the right side of the neck";
    case care::Region::kForehead:
      return "the forehead";
    case care::Region::kGlabella:
      return "the spot between the eyebrows";
    case care::Region::kCheekLeft:
      return "the left cheek";
    case care::Region::kCheekRight:
      return "the right cheek";
    case care::Region::kJawLeft:
      return "the left jaw";
    case care::Region::kJawRight:
      return "the right jaw";
  }
  return "the head";
}

std::string join_words(const std::vector<std::string>& parts) {
  std::string out;
  for (std::size_t i = 0; i < parts.size(); ++i) {
    if (i > 0) out += i + 1 == parts.size() ? " and " : ", ";
    out += parts[i];
  }
  return out;
}

std::string where_words(const std::vector<care::Region>& regions) {
  std::vector<std::string> parts;
  for (care::Region r : regions) parts.emplace_back(region_words(r));
  return parts.empty() ? std::string("the scalp") : join_words(parts);
}

std::string direction_words(const std::optional<care::Direction>& d) {
  if (!d) return "";
  switch (*d) {
    case care::Direction::kFrontToBack:
      return " Work from the front of the head towards the back.";
    case care::Direction::kSkullBaseToCrown:
      return " Start at the base of the skull and work up to the crown.";
    case care::Direction::kNoseOutwards:
      return " Move from beside the nose outwards towards the ears.";
    case care::Direction::kUpwards:
      return " Always stroke upwards.";
    case care::Direction::kSkullBaseToShoulders:
      return " Stroke from the base of the skull down towards the shoulders.";
  }
  return "";
}

std::string how_words(const care::MassageStep& m) {
  char buf[400];
  std::string out;
  switch (m.technique) {
    case care::Technique::kCircularFriction: {
      const double r_cm = 100.0 * m.params.radius_m.value_or(0.01);
      const double hz = m.params.frequency_hz.value_or(1.0);
      std::snprintf(buf, sizeof buf,
                    "Place the pads of your fingertips on the skin and make small circles about "
                    "%.0f cm across, moving the skin over the bone rather than sliding over it, "
                    "about %.0f circles every 10 seconds.",
                    2.0 * r_cm, 10.0 * hz);
      out = buf;
      break;
    }
    case care::Technique::kKneading: {
      const double a_mm = 1000.0 * m.params.amplitude_m.value_or(0.006);
      std::snprintf(buf, sizeof buf,
                    "Spread your fingers, press the pads in gently and knead: squeeze the skin "
                    "together and let it go, moving it about %.0f mm each way.",
                    a_mm);
      out = buf;
      break;
    }
    case care::Technique::kPressRelease: {
      const double hold = m.params.hold_s.value_or(5.0);
      std::snprintf(buf, sizeof buf,
                    "Rest one fingertip on each point, press in slowly, hold still for about "
                    "%.0f seconds, then let go just as slowly.",
                    hold);
      out = buf;
      break;
    }
    case care::Technique::kGlide:
      out =
          "Lay your fingers flat and glide them over the skin in long, even strokes, lifting "
          "them at the end of each stroke and starting again.";
      break;
    case care::Technique::kSlideUp:
      out = "With flat fingers, slide slowly up along the skin, keeping an even, light pressure.";
      break;
  }
  if (m.bilateral) out += " Use both hands at once, one on each side.";
  out += direction_words(m.direction);
  return out;
}

std::string pressure_words(care::PressureLevel level) {
  switch (level) {
    case care::PressureLevel::kGentle:
      return "gentle: as if pressing a ripe peach without bruising it";
    case care::PressureLevel::kMedium:
      return "medium: firm enough to move the skin, never painful";
    case care::PressureLevel::kFirm:
      return "firm: deep and steady, stop at once if anything hurts";
  }
  return "gentle";
}

// Slower breathing for holds and gentle work, a little quicker for brisk steps.
BreathingCue breathing_for(const care::Step& step) {
  BreathingCue b;
  if (step.is_massage()) {
    const auto& m = step.massage();
    if (m.technique == care::Technique::kPressRelease) {
      b.inhale_s = 4.0;
      b.exhale_s = 8.0;
    } else if (m.pressure == care::PressureLevel::kFirm) {
      b.inhale_s = 4.0;
      b.exhale_s = 4.0;
    }
  } else {
    b.inhale_s = 5.0;
    b.exhale_s = 5.0;
  }
  char buf[96];
  std::snprintf(buf, sizeof buf, "breathe in for %.0f, out for %.0f", b.inhale_s, b.exhale_s);
  b.words = buf;
  return b;
}

}  // namespace

std::string format_duration(double seconds) {
  const long s = std::lround(std::max(0.0, seconds));
  char buf[48];
  if (s >= 60 && s % 60 != 0) {
    std::snprintf(buf, sizeof buf, "%ld min %ld s", s / 60, s % 60);
  } else if (s >= 60) {
    std::snprintf(buf, sizeof buf, "%ld min", s / 60);
  } else {
    std::snprintf(buf, sizeof buf, "%ld s", s);
  }
  return buf;
}

std::vector<GuideCard> guide_cards(const care::PersonalisedProtocol& routine) {
  std::vector<GuideCard> cards;
  int number = 1;
  for (const auto& ps : routine.steps) {
    const care::Step& step = ps.step;
    GuideCard c;
    c.number = number++;
    c.step_id = step.id;
    c.title = step.title;
    c.massage = step.is_massage();
    c.duration_s = step.duration_s;
    c.breathing = breathing_for(step);
    if (c.massage) {
      const auto& m = step.massage();
      for (care::Region r : m.regions) c.regions.emplace_back(care::to_string(r));
      c.technique = std::string(care::to_string(m.technique));
      c.where = where_words(m.regions);
      c.how = how_words(m);
      c.pressure = pressure_words(m.pressure);
      for (care::PressurePoint p : m.points) c.points.emplace_back(care::to_string(p));
      c.cue = m.cue;
    } else {
      const auto& care_step = step.care();
      for (care::Region r : care_step.regions) c.regions.emplace_back(care::to_string(r));
      c.where = where_words(care_step.regions);
      c.how = care_step.instruction;
      if (!ps.product_id.empty()) {
        const care::Product* product = care::builtin_catalogue().find(ps.product_id);
        c.how += " Use: " + (product ? product->name : ps.product_id) + ".";
      }
      c.pressure = "no pressure";
    }
    cards.push_back(std::move(c));
  }
  return cards;
}

std::string guide_to_json(const care::PersonalisedProtocol& routine,
                          const std::vector<GuideCard>& cards) {
  nlohmann::ordered_json j;
  j["format"] = "headspa/guide@1";
  j["protocol_id"] = routine.protocol_id;
  j["title"] = routine.title;
  j["decision"] = std::string(care::to_string(routine.decision));
  j["refusal_reasons"] = routine.refusal_reasons;
  j["total_duration_s"] = routine.total_duration_s();
  auto& arr = j["cards"] = nlohmann::ordered_json::array();
  for (const auto& c : cards) {
    arr.push_back({{"number", c.number},
                   {"step_id", c.step_id},
                   {"title", c.title},
                   {"massage", c.massage},
                   {"duration_s", c.duration_s},
                   {"regions", c.regions},
                   {"technique", c.technique},
                   {"where", c.where},
                   {"how", c.how},
                   {"pressure", c.pressure},
                   {"points", c.points},
                   {"cue", c.cue},
                   {"breathing",
                    {{"inhale_s", c.breathing.inhale_s},
                     {"exhale_s", c.breathing.exhale_s},
                     {"words", c.breathing.words}}}});
  }
  return j.dump(2) + "\n";
}

}  // namespace headspa::server
