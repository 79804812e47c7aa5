#include "headspa/care/builtin.hpp"

#include "embedded.hpp"

namespace headspa::care {
namespace {

constexpr std::string_view kIds[] = {"head-therapy", "scalp-self", "face-and-scalp",
                                     "japanese-head-spa"};

std::string known_ids() {
  std::string out;
  for (std::string_view id : kIds) out.append(out.empty() ? "" : ", ").append(id);
  return out;
}

}  // namespace

std::vector<std::string> builtin_protocol_ids() {
  return std::vector<std::string>(std::begin(kIds), std::end(kIds));
}

std::string_view builtin_protocol_text(std::string_view id) {
  for (std::string_view known : kIds) {
    if (known == id) {
      return detail::embedded_text("protocols/" + std::string(id) + ".yaml");
    }
  }
  throw InputError(
      InputLocation{{}, 0, 0, "protocol"},
      "unknown protocol '" + std::string(id) + "' (expected one of: " + known_ids() + ")");
}

Protocol builtin_protocol(std::string_view id) {
  const std::string_view text = builtin_protocol_text(id);
  return parse_protocol(text, "builtin:protocols/" + std::string(id) + ".yaml");
}

}  // namespace headspa::care
