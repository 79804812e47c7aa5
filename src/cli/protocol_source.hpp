// The protocol a command names: a built-in protocol id, or else a protocol file (its products
// checked against the built-in catalogue). An unknown id throws InputError naming the known ids.
#pragma once

#include <filesystem>
#include <string>

#include "headspa/care/builtin.hpp"
#include "headspa/care/products.hpp"
#include "headspa/care/protocol.hpp"

namespace headspa::cli {

inline care::Protocol protocol_by_id_or_file(const std::string& id_or_path) {
  for (const auto& id : care::builtin_protocol_ids()) {
    if (id == id_or_path) return care::builtin_protocol(id);
  }
  if (std::filesystem::exists(id_or_path)) {
    care::Protocol p = care::load_protocol_file(id_or_path);
    care::check_protocol_products(p, care::builtin_catalogue());
    return p;
  }
  return care::builtin_protocol(id_or_path);
}

}  // namespace headspa::cli
