// Documents kept compressed in the database (a zlib stream, RFC 1950): plans, whose JSON runs to
// tens of megabytes for a long routine, are stored this way since schema version 2.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace headspa::store::detail {

// The bytes compressed at zlib's fastest level (a real 40-minute plan: 18.3 MB -> 3.4 MB).
std::string zlib_compress(std::string_view bytes);
// The bytes back; StoreError when the stream is damaged, truncated, or would inflate to more than
// max_bytes.
std::string zlib_decompress(std::string_view packed, std::size_t max_bytes);

}  // namespace headspa::store::detail
