// Structural checks on mesh bytes before they reach the parser (private to geometry).
// Binary formats carry counts and lengths that a parser trusts; these checks make sure the bytes
// hold what the header promises, so that a truncated or inconsistent file is rejected with a
// message instead of being read past its end.
#pragma once

#include <string>
#include <string_view>

namespace headspa::geometry::detail {

// Throws InputError (naming `name`) when the bytes cannot be a valid file of that extension.
void validate_mesh_bytes(std::string_view bytes, std::string_view extension,
                         const std::string& name);

}  // namespace headspa::geometry::detail
