#include "store/connection.hpp"

#include <charconv>
#include <cstdlib>

#include "headspa/store/store.hpp"

namespace headspa::store::detail {

const std::string& Row::text(std::size_t i) const {
  const auto& cell = cells_.at(i);
  if (!cell) throw StoreError("unexpected NULL in column " + std::to_string(i));
  return *cell;
}

std::int64_t Row::int64(std::size_t i) const {
  const std::string& t = text(i);
  std::int64_t v = 0;
  const auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), v);
  if (ec != std::errc() || end != t.data() + t.size()) {
    throw StoreError("expected an integer in column " + std::to_string(i) + ", got '" +
                     t.substr(0, 40) + "'");
  }
  return v;
}

std::optional<std::int64_t> Row::opt_int64(std::size_t i) const {
  if (is_null(i)) return std::nullopt;
  return int64(i);
}

double Row::real(std::size_t i) const {
  const std::string& t = text(i);
  char* end = nullptr;
  const double v = std::strtod(t.c_str(), &end);
  if (t.empty() || end != t.c_str() + t.size()) {
    throw StoreError("expected a number in column " + std::to_string(i) + ", got '" +
                     t.substr(0, 40) + "'");
  }
  return v;
}

}  // namespace headspa::store::detail
