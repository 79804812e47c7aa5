// The routines built into headspa, one per source text (DOMAIN.md §1). Their YAML lives in
// src/care/protocols/ and is compiled into the library.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "headspa/care/protocol.hpp"

namespace headspa::care {

// Ids of the built-in protocols: head-therapy, scalp-self, face-and-scalp, japanese-head-spa.
std::vector<std::string> builtin_protocol_ids();

// The built-in protocol with this id; InputError naming the known ids when there is none.
Protocol builtin_protocol(std::string_view id);

// The YAML text of a built-in protocol (as compiled in); InputError when unknown.
std::string_view builtin_protocol_text(std::string_view id);

}  // namespace headspa::care
