// Errors shared by every module.
//
// Three tiers, as in the rest of headspa:
//  - HEADSPA_ASSERT: programmer error, checked in debug builds only;
//  - HEADSPA_CHECK: an always-on invariant, throws InternalError;
//  - InputError: bad user input (a file, a field, a request), with where and what was expected.
// The command line maps InputError to exit status 2 and prints what() on one line.
#pragma once

#include <cassert>
#include <stdexcept>
#include <string>

namespace headspa {

// Where in an input a problem was found. Empty fields are left out of the message.
struct InputLocation {
  std::string file;        // path as the user gave it
  int line = 0;            // 1-based; 0 = unknown
  int column = 0;          // 1-based; 0 = unknown
  std::string field_path;  // e.g. "steps[2].technique.radius_m"
};

// Bad user input. what() reads "file:line:column: field.path: message".
class InputError : public std::runtime_error {
 public:
  explicit InputError(const std::string& message);
  InputError(InputLocation where, const std::string& message);

  const InputLocation& where() const noexcept { return where_; }
  const std::string& message() const noexcept { return message_; }

 private:
  InputLocation where_;
  std::string message_;
};

// A broken invariant inside headspa (never the user's fault).
class InternalError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Formats an InputLocation as "file:line:column: field: " (parts that are unknown are omitted).
std::string format_location(const InputLocation& where);

}  // namespace headspa

#define HEADSPA_ASSERT(cond) assert(cond)

#define HEADSPA_CHECK(cond, msg)                                                              \
  do {                                                                                        \
    if (!(cond)) {                                                                            \
      throw ::headspa::InternalError(std::string(__FILE__) + ":" + std::to_string(__LINE__) + \
                                     ": check failed: " #cond ": " + (msg));                  \
    }                                                                                         \
  } while (false)
