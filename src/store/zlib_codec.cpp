#include "store/zlib_codec.hpp"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "headspa/store/store.hpp"

namespace headspa::store::detail {
namespace {

// zlib counts in uInt: feed and drain it in pieces no larger than that.
constexpr std::size_t kStep = std::size_t{1} << 30;

Bytef* bytes_of(std::string_view s) {
  // zlib's next_in is not const-qualified but is only read.
  return reinterpret_cast<Bytef*>(const_cast<char*>(s.data()));
}

}  // namespace

std::string zlib_compress(std::string_view bytes) {
  z_stream z{};
  if (deflateInit(&z, Z_BEST_SPEED) != Z_OK) throw StoreError("zlib: cannot start compressing");
  std::string out;
  out.resize(std::min<std::size_t>(
      deflateBound(&z, static_cast<uLong>(std::min(bytes.size(), kStep))) + 64, kStep));
  std::size_t in_at = 0, out_at = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (out_at == out.size()) out.resize(out.size() + std::min(out.size(), kStep));
    const std::size_t in_n = std::min(bytes.size() - in_at, kStep);
    const std::size_t out_n = std::min(out.size() - out_at, kStep);
    z.next_in = bytes_of(bytes.substr(in_at));
    z.avail_in = static_cast<uInt>(in_n);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + out_at);
    z.avail_out = static_cast<uInt>(out_n);
    const bool last = in_at + in_n == bytes.size();
    rc = deflate(&z, last ? Z_FINISH : Z_NO_FLUSH);
    in_at += in_n - z.avail_in;
    out_at += out_n - z.avail_out;
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
      deflateEnd(&z);
      throw StoreError("zlib: compressing failed");
    }
  }
  deflateEnd(&z);
  out.resize(out_at);
  return out;
}

std::string zlib_decompress(std::string_view packed, std::size_t max_bytes) {
  z_stream z{};
  if (inflateInit(&z) != Z_OK) throw StoreError("zlib: cannot start decompressing");
  std::string out;
  out.resize(std::min<std::size_t>(std::max<std::size_t>(4 * packed.size(), 4096), max_bytes));
  std::size_t in_at = 0, out_at = 0;
  int rc = Z_OK;
  const auto fail = [&z](const std::string& why) {
    inflateEnd(&z);
    throw StoreError("zlib: " + why);
  };
  while (rc != Z_STREAM_END) {
    if (out_at == out.size()) {
      if (out.size() >= max_bytes) fail("the document inflates to more than its limit");
      out.resize(std::min(out.size() + std::min(out.size(), kStep), max_bytes));
    }
    const std::size_t in_n = std::min(packed.size() - in_at, kStep);
    const std::size_t out_n = std::min(out.size() - out_at, kStep);
    z.next_in = bytes_of(packed.substr(in_at));
    z.avail_in = static_cast<uInt>(in_n);
    z.next_out = reinterpret_cast<Bytef*>(out.data() + out_at);
    z.avail_out = static_cast<uInt>(out_n);
    rc = inflate(&z, Z_NO_FLUSH);
    in_at += in_n - z.avail_in;
    out_at += out_n - z.avail_out;
    if (rc == Z_NEED_DICT || rc == Z_DATA_ERROR || rc == Z_MEM_ERROR) {
      fail("the stored document is damaged");
    }
    // No progress with all input used: the stream ends early.
    if (rc == Z_BUF_ERROR && in_at == packed.size() && z.avail_out > 0) {
      fail("the stored document is truncated");
    }
  }
  if (in_at != packed.size()) fail("bytes after the end of the stored document");
  inflateEnd(&z);
  out.resize(out_at);
  return out;
}

}  // namespace headspa::store::detail
