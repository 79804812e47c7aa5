// The schema, as numbered migrations built into headspa. Append new ones; never edit one that
// has shipped.
#pragma once

#include <span>
#include <string_view>

namespace headspa::store::detail {

struct Migration {
  int version;                   // 1, 2, 3, ... in order
  std::string_view description;  // one line, stored with the version
  std::string_view sql;          // ${ID} and ${BLOB} are replaced by the backend's types
};

std::span<const Migration> migrations() noexcept;

// Tables in schema order, for status reports.
std::span<const std::string_view> record_tables() noexcept;

}  // namespace headspa::store::detail
