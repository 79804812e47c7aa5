// An HTTP error answer: status, message and, for bad input, the field it concerns.
#pragma once

#include <stdexcept>
#include <string>

namespace headspa::server {

class ApiError : public std::runtime_error {
 public:
  ApiError(int status, const std::string& message, std::string field = {})
      : std::runtime_error(message), status_(status), field_(std::move(field)) {}
  int status() const noexcept { return status_; }
  const std::string& field() const noexcept { return field_; }

 private:
  int status_;
  std::string field_;
};

}  // namespace headspa::server
