// Length units accepted on input. Inside headspa every length is in metres.
#pragma once

#include <optional>
#include <string>
#include <string_view>

namespace headspa {

enum class LengthUnit { kMetre, kDecimetre, kCentimetre, kMillimetre, kInch };

// Metres per unit, e.g. 0.01 for centimetres.
double metres_per_unit(LengthUnit unit) noexcept;

// "m", "dm", "cm", "mm", "in".
std::string_view unit_symbol(LengthUnit unit) noexcept;

// Parses a unit symbol; nullopt when it is not one of unit_symbol()'s values.
std::optional<LengthUnit> parse_length_unit(std::string_view symbol) noexcept;

// Every unit, in the order units are tried when inferring one from a size.
inline constexpr LengthUnit kAllLengthUnits[] = {LengthUnit::kMetre, LengthUnit::kDecimetre,
                                                 LengthUnit::kCentimetre, LengthUnit::kMillimetre,
                                                 LengthUnit::kInch};

}  // namespace headspa
