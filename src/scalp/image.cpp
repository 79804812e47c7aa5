// Decoding photographs into 8-bit pixel buffers, refusing what cannot be analysed.
#include "headspa/scalp/image.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cstring>
#include <fstream>
#include <iterator>
#include <optional>

#include "headspa/core/error.hpp"

namespace headspa::scalp {
namespace {

// Largest image accepted, so that a small file cannot claim gigabytes of pixels.
constexpr std::int64_t kMaxPixels = 40'000'000;
constexpr std::int64_t kMaxSide = 20'000;

struct Header {
  std::string format;
  std::int64_t width = 0;
  std::int64_t height = 0;
};

std::uint32_t be16(const std::uint8_t* p) { return (std::uint32_t{p[0]} << 8) | p[1]; }
std::uint32_t be32(const std::uint8_t* p) { return (be16(p) << 16) | be16(p + 2); }
std::int64_t le32s(const std::uint8_t* p) {
  const std::uint32_t u = std::uint32_t{p[0]} | (std::uint32_t{p[1]} << 8) |
                          (std::uint32_t{p[2]} << 16) | (std::uint32_t{p[3]} << 24);
  std::int32_t s = 0;
  std::memcpy(&s, &u, sizeof s);
  return s;
}

// Reads the image size from a JPEG's frame header (SOFn).
std::optional<Header> jpeg_header(std::span<const std::uint8_t> b) {
  std::size_t i = 2;
  while (i + 4 <= b.size()) {
    if (b[i] != 0xFF) return std::nullopt;
    const std::uint8_t marker = b[i + 1];
    if (marker == 0xFF) {  // fill byte
      ++i;
      continue;
    }
    if (marker == 0xD8 || (marker >= 0xD0 && marker <= 0xD7) || marker == 0x01) {
      i += 2;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return std::nullopt;  // scan or end before a frame
    const std::size_t len = be16(&b[i + 2]);
    const bool sof =
        marker >= 0xC0 && marker <= 0xCF && marker != 0xC4 && marker != 0xC8 && marker != 0xCC;
    if (sof) {
      if (i + 9 > b.size()) return std::nullopt;
      return Header{"JPEG", be16(&b[i + 7]), be16(&b[i + 5])};
    }
    if (len < 2) return std::nullopt;
    i += 2 + len;
  }
  return std::nullopt;
}

// Identifies the format and reads the declared size; nullopt when it is not a format we accept.
std::optional<Header> sniff(std::span<const std::uint8_t> b, std::string* why) {
  static constexpr std::uint8_t kPng[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (b.size() >= 24 && std::memcmp(b.data(), kPng, 8) == 0) {
    if (std::memcmp(b.data() + 12, "IHDR", 4) != 0) {
      *why = "PNG without a header chunk";
      return std::nullopt;
    }
    return Header{"PNG", be32(b.data() + 16), be32(b.data() + 20)};
  }
  if (b.size() >= 4 && b[0] == 0xFF && b[1] == 0xD8 && b[2] == 0xFF) {
    auto h = jpeg_header(b);
    if (!h) *why = "JPEG without a readable frame header";
    return h;
  }
  if (b.size() >= 26 && b[0] == 'B' && b[1] == 'M') {
    const std::int64_t h = le32s(b.data() + 22);
    return Header{"BMP", le32s(b.data() + 18), h < 0 ? -h : h};
  }
  *why = "not a JPEG, PNG or BMP image";
  return std::nullopt;
}

// A JPEG whose data does not end with the end-of-image marker was cut short.
bool jpeg_looks_truncated(std::span<const std::uint8_t> b) {
  std::size_t end = b.size();
  while (end > 2 && b[end - 1] == 0x00) --end;  // some writers pad with zeros
  return end < 4 || b[end - 2] != 0xFF || b[end - 1] != 0xD9;
}

}  // namespace

int channel_count(PixelOrder order) noexcept {
  switch (order) {
    case PixelOrder::kGray:
      return 1;
    case PixelOrder::kBgr:
    case PixelOrder::kRgb:
      return 3;
    case PixelOrder::kBgra:
    case PixelOrder::kRgba:
      return 4;
  }
  return 3;
}

bool ImageView::IsValid(std::string* why) const {
  auto fail = [&](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  if (data == nullptr) return fail("no pixel data");
  if (width <= 0 || height <= 0) return fail("empty image (width and height must be positive)");
  if (static_cast<std::int64_t>(width) * height > kMaxPixels) {
    return fail("image too large (more than 40 million pixels)");
  }
  const std::size_t row =
      static_cast<std::size_t>(width) * static_cast<std::size_t>(channel_count(order));
  if (stride_bytes != 0 && stride_bytes < row) return fail("row stride shorter than a row");
  return true;
}

ImageView Image::view() const noexcept { return ImageView{pixels.data(), width, height, order, 0}; }

Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name) {
  const InputLocation where{name, 0, 0, {}};
  if (bytes.empty()) throw InputError(where, "empty file: expected a JPEG, PNG or BMP image");
  std::string why;
  const auto header = sniff(bytes, &why);
  if (!header) throw InputError(where, why);
  if (header->width <= 0 || header->height <= 0 || header->width > kMaxSide ||
      header->height > kMaxSide || header->width * header->height > kMaxPixels) {
    throw InputError(where, header->format + " declares " + std::to_string(header->width) + "x" +
                                std::to_string(header->height) +
                                " pixels; expected 1 to 20000 pixels per side and at most 40 "
                                "million pixels");
  }

  Image out;
  cv::Mat m;
  try {
    const cv::Mat buf(1, static_cast<int>(bytes.size()), CV_8U,
                      const_cast<std::uint8_t*>(bytes.data()));
    m = cv::imdecode(buf, cv::IMREAD_UNCHANGED);
  } catch (const cv::Exception& e) {
    throw InputError(where, "cannot decode " + header->format + " data: " + e.msg);
  }
  if (m.empty()) throw InputError(where, "cannot decode " + header->format + " data");
  if (header->format == "JPEG" && jpeg_looks_truncated(bytes)) {
    out.warnings.push_back("JPEG data ends early: part of the image may be missing");
  }

  // Depth: reduce to 8 bits.
  if (m.depth() == CV_16U) {
    m.convertTo(m, CV_8U, 1.0 / 257.0);
    out.warnings.push_back("16-bit image reduced to 8 bits");
  } else if (m.depth() != CV_8U) {
    cv::Mat f;
    m.convertTo(f, CV_64F);
    double lo = 0.0, hi = 0.0;
    cv::minMaxLoc(f.reshape(1), &lo, &hi);
    const double span = hi > lo ? hi - lo : 1.0;
    f.convertTo(m, CV_8U, 255.0 / span, -lo * 255.0 / span);
    out.warnings.push_back("image with non-8-bit samples rescaled to 8 bits");
  }
  switch (m.channels()) {
    case 1:
      out.order = PixelOrder::kGray;
      out.warnings.push_back(
          "grayscale image: redness not assessed, flake and oil scores less reliable");
      break;
    case 3:
      out.order = PixelOrder::kBgr;
      break;
    case 4:
      cv::cvtColor(m, m, cv::COLOR_BGRA2BGR);
      out.order = PixelOrder::kBgr;
      break;
    default:
      throw InputError(
          where, "image with " + std::to_string(m.channels()) + " channels; expected 1, 3 or 4");
  }
  if (!m.isContinuous()) m = m.clone();
  out.width = m.cols;
  out.height = m.rows;
  out.pixels.assign(m.data, m.data + m.total() * m.elemSize());
  return out;
}

Image load_image(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError(InputLocation{path, 0, 0, {}}, "cannot open the file");
  const std::vector<std::uint8_t> bytes((std::istreambuf_iterator<char>(in)),
                                        std::istreambuf_iterator<char>());
  if (in.bad()) throw InputError(InputLocation{path, 0, 0, {}}, "cannot read the file");
  return decode_image(bytes, path);
}

void write_png(const std::string& path, const Image& image) {
  std::string why;
  if (!image.view().IsValid(&why)) throw InputError(InputLocation{path, 0, 0, {}}, why);
  const int ch = channel_count(image.order);
  cv::Mat m(image.height, image.width, CV_8UC(ch), const_cast<std::uint8_t*>(image.pixels.data()));
  cv::Mat bgr;
  switch (image.order) {
    case PixelOrder::kRgb:
      cv::cvtColor(m, bgr, cv::COLOR_RGB2BGR);
      break;
    case PixelOrder::kRgba:
      cv::cvtColor(m, bgr, cv::COLOR_RGBA2BGRA);
      break;
    default:
      bgr = m;
      break;
  }
  std::vector<std::uint8_t> encoded;
  try {
    cv::imencode(".png", bgr, encoded);
  } catch (const cv::Exception& e) {
    throw InputError(InputLocation{path, 0, 0, {}}, "cannot encode PNG: " + e.msg);
  }
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(encoded.data()),
            static_cast<std::streamsize>(encoded.size()));
  if (!out) throw InputError(InputLocation{path, 0, 0, {}}, "cannot write the file");
}

}  // namespace headspa::scalp
