#include "headspa/server/server.hpp"

namespace headspa::server {

std::string default_web_root() { return HEADSPA_WEB_DIR; }

}  // namespace headspa::server
