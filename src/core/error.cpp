#include "headspa/core/error.hpp"

#include <utility>

namespace headspa {

std::string format_location(const InputLocation& where) {
  std::string out;
  if (!where.file.empty()) {
    out.append(where.file);
    if (where.line > 0) {
      out.append(":").append(std::to_string(where.line));
      if (where.column > 0) out.append(":").append(std::to_string(where.column));
    }
    out.append(": ");
  }
  if (!where.field_path.empty()) out.append(where.field_path).append(": ");
  return out;
}

InputError::InputError(const std::string& message)
    : std::runtime_error(message), message_(message) {}

InputError::InputError(InputLocation where, const std::string& message)
    : std::runtime_error(format_location(where) + message),
      where_(std::move(where)),
      message_(message) {}

}  // namespace headspa
