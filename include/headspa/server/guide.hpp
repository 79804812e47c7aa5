// Guide mode: a routine as step cards a person can follow with their own hands, in plain words,
// with a duration per step and a breathing rhythm. The terminal (`headspa guide`) and the web
// page's guide view show the same cards.
#pragma once

#include <string>
#include <vector>

#include "headspa/care/personalise.hpp"

namespace headspa::server {

// A slow breathing rhythm to follow during a step.
struct BreathingCue {
  double inhale_s = 4.0;  // Unit: [s]
  double exhale_s = 6.0;  // Unit: [s]
  std::string words;      // e.g. "breathe in for 4, out for 6"
};

// One step, as a person reads it.
struct GuideCard {
  int number = 1;  // 1-based
  std::string step_id;
  std::string title;
  bool massage = true;
  double duration_s = 0.0;           // Unit: [s]
  std::vector<std::string> regions;  // snake_case region names
  std::string technique;             // snake_case technique name ("" for a care step)
  std::string where;                 // "the back of the head and the crown"
  std::string how;                   // what the fingers do, in plain words
  std::string pressure;              // "gentle: ..." in plain words
  std::vector<std::string> points;   // pressure point codes, press-and-release only
  std::string cue;                   // the protocol's own words to the person
  BreathingCue breathing;
};

// The cards of a personalised routine, in order (refused: none).
std::vector<GuideCard> guide_cards(const care::PersonalisedProtocol& routine);

// The cards as JSON (format headspa/guide@1).
std::string guide_to_json(const care::PersonalisedProtocol& routine,
                          const std::vector<GuideCard>& cards);

// "3 min 20 s", "45 s".
std::string format_duration(double seconds);

}  // namespace headspa::server
