// Private: JSON forms of the care types (nlohmann::ordered_json keeps field order, so output is
// deterministic and reads in the same order as the files).
#pragma once

#include <nlohmann/json.hpp>

#include <vector>

#include "headspa/care/intake.hpp"
#include "headspa/care/protocol.hpp"

namespace headspa::care::detail {

using Json = nlohmann::ordered_json;

// A list of enumerators as their spellings.
template <typename E>
Json names_json(const std::vector<E>& values) {
  Json out = Json::array();
  for (E v : values) out.push_back(std::string(to_string(v)));
  return out;
}

// One step in the file format's shape.
Json step_json(const Step& step);
// A protocol in the file format's shape (headspa/protocol@1).
Json protocol_json(const Protocol& protocol);
// An intake in the file format's shape (headspa/intake@1).
Json intake_json(const Intake& intake);

}  // namespace headspa::care::detail
