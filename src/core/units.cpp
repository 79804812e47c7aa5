#include "headspa/core/units.hpp"

namespace headspa {

double metres_per_unit(LengthUnit unit) noexcept {
  switch (unit) {
    case LengthUnit::kMetre:
      return 1.0;
    case LengthUnit::kDecimetre:
      return 0.1;
    case LengthUnit::kCentimetre:
      return 0.01;
    case LengthUnit::kMillimetre:
      return 0.001;
    case LengthUnit::kInch:
      return 0.0254;
  }
  return 1.0;
}

std::string_view unit_symbol(LengthUnit unit) noexcept {
  switch (unit) {
    case LengthUnit::kMetre:
      return "m";
    case LengthUnit::kDecimetre:
      return "dm";
    case LengthUnit::kCentimetre:
      return "cm";
    case LengthUnit::kMillimetre:
      return "mm";
    case LengthUnit::kInch:
      return "in";
  }
  return "m";
}

std::optional<LengthUnit> parse_length_unit(std::string_view symbol) noexcept {
  for (LengthUnit u : kAllLengthUnits) {
    if (unit_symbol(u) == symbol) return u;
  }
  return std::nullopt;
}

}  // namespace headspa
