#include "headspa/report/render.hpp"

#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <limits>

#include "headspa/core/error.hpp"

namespace headspa::report {
namespace {

using geometry::Vec3;

// The camera of one view: screen axes and the direction towards the camera.
struct Camera {
  Vec3 right, up, towards;
};

Camera camera_for(View view) {
  switch (view) {
    case View::kFront:
      return {Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)};
    case View::kLeft:
      return {Vec3(0, 0, -1), Vec3(0, 1, 0), Vec3(1, 0, 0)};
    case View::kBack:
      return {Vec3(-1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, -1)};
    case View::kRight:
      return {Vec3(0, 0, 1), Vec3(0, 1, 0), Vec3(-1, 0, 0)};
    case View::kTop:
      return {Vec3(-1, 0, 0), Vec3(0, 0, 1), Vec3(0, 1, 0)};
  }
  return {Vec3(1, 0, 0), Vec3(0, 1, 0), Vec3(0, 0, 1)};
}

void put_u32(std::string& out, std::uint32_t v) {
  out.push_back(static_cast<char>((v >> 24) & 0xff));
  out.push_back(static_cast<char>((v >> 16) & 0xff));
  out.push_back(static_cast<char>((v >> 8) & 0xff));
  out.push_back(static_cast<char>(v & 0xff));
}

void put_chunk(std::string& out, const char* type, const std::string& data) {
  put_u32(out, static_cast<std::uint32_t>(data.size()));
  const std::string body = std::string(type, 4) + data;
  out += body;
  const auto crc =
      crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
  put_u32(out, static_cast<std::uint32_t>(crc));
}

}  // namespace

std::string_view view_name(View view) noexcept {
  switch (view) {
    case View::kFront:
      return "front";
    case View::kLeft:
      return "left";
    case View::kBack:
      return "back";
    case View::kRight:
      return "right";
    case View::kTop:
      return "top";
  }
  return "front";
}

RgbImage render_head(const geometry::TriangleMesh& mesh, const std::vector<Rgb>& vertex_colours,
                     View view, const RenderOptions& options) {
  if (vertex_colours.size() != mesh.vertices.size()) {
    throw InputError(InputLocation{"", 0, 0, "vertex_colours"},
                     "one colour per vertex expected (" + std::to_string(mesh.vertices.size()) +
                         "), got " + std::to_string(vertex_colours.size()));
  }
  if (options.size_px < 16 || options.size_px > 4096 || options.supersample < 1 ||
      options.supersample > 4 || options.margin < 0 || options.margin >= 0.5 ||
      options.ambient < 0 || options.ambient > 1) {
    throw InputError(InputLocation{"", 0, 0, "RenderOptions"},
                     "size 16-4096 px, supersample 1-4, margin 0-0.5 and ambient 0-1 expected");
  }
  const int ss = options.supersample;
  const int n = options.size_px * ss;  // the buffer is n x n samples
  std::vector<double> depth(static_cast<std::size_t>(n) * static_cast<std::size_t>(n),
                            -std::numeric_limits<double>::infinity());
  std::vector<double> colour(depth.size() * 3, 0.0);
  for (std::size_t i = 0; i < depth.size(); ++i) {
    for (std::size_t c = 0; c < 3; ++c) colour[3 * i + c] = options.background[c];
  }

  // One scale for every view: the sphere around the bounding box fills the picture.
  const geometry::Box3 box = geometry::bounding_box(mesh);
  const Vec3 centre = box.centre();
  double radius = 1e-9;
  for (const Vec3& v : mesh.vertices) radius = std::max(radius, (v - centre).norm());
  const double scale = 0.5 * n * (1.0 - 2.0 * options.margin) / radius;
  const Camera cam = camera_for(view);

  // Project every vertex and shade it (Lambert, light at the camera).
  const std::vector<Vec3> normals = geometry::vertex_normals(mesh);
  const std::size_t nv = mesh.vertices.size();
  std::vector<double> sx(nv), sy(nv), sz(nv);
  std::vector<std::array<double, 3>> shaded(nv);
  for (std::size_t i = 0; i < nv; ++i) {
    const Vec3 d = mesh.vertices[i] - centre;
    sx[i] = 0.5 * n + scale * d.dot(cam.right);
    sy[i] = 0.5 * n - scale * d.dot(cam.up);
    sz[i] = d.dot(cam.towards);
    const double lambert = std::abs(normals[i].dot(cam.towards));
    const double light = options.ambient + (1.0 - options.ambient) * lambert;
    for (std::size_t c = 0; c < 3; ++c) {
      shaded[i][c] = light * vertex_colours[i][c];
    }
  }

  // Rasterise each face with barycentric weights at sample centres; nearest depth wins.
  for (const auto& f : mesh.faces) {
    const auto a = static_cast<std::size_t>(f[0]), b = static_cast<std::size_t>(f[1]),
               c = static_cast<std::size_t>(f[2]);
    const double area = (sx[b] - sx[a]) * (sy[c] - sy[a]) - (sx[c] - sx[a]) * (sy[b] - sy[a]);
    if (std::abs(area) < 1e-12) continue;
    const int x0 = std::max(0, static_cast<int>(std::floor(std::min({sx[a], sx[b], sx[c]}))));
    const int x1 = std::min(n - 1, static_cast<int>(std::ceil(std::max({sx[a], sx[b], sx[c]}))));
    const int y0 = std::max(0, static_cast<int>(std::floor(std::min({sy[a], sy[b], sy[c]}))));
    const int y1 = std::min(n - 1, static_cast<int>(std::ceil(std::max({sy[a], sy[b], sy[c]}))));
    for (int y = y0; y <= y1; ++y) {
      const double py = y + 0.5;
      for (int x = x0; x <= x1; ++x) {
        const double px = x + 0.5;
        const double wa = ((sx[b] - px) * (sy[c] - py) - (sx[c] - px) * (sy[b] - py)) / area;
        const double wb = ((sx[c] - px) * (sy[a] - py) - (sx[a] - px) * (sy[c] - py)) / area;
        const double wc = 1.0 - wa - wb;
        if (wa < 0 || wb < 0 || wc < 0) continue;
        const double z = wa * sz[a] + wb * sz[b] + wc * sz[c];
        const std::size_t k =
            static_cast<std::size_t>(y) * static_cast<std::size_t>(n) + static_cast<std::size_t>(x);
        if (z <= depth[k]) continue;
        depth[k] = z;
        for (std::size_t ch = 0; ch < 3; ++ch) {
          colour[3 * k + ch] = wa * shaded[a][ch] + wb * shaded[b][ch] + wc * shaded[c][ch];
        }
      }
    }
  }

  // Average each pixel's samples.
  RgbImage out;
  out.width = out.height = options.size_px;
  out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 3);
  const double inv = 1.0 / (ss * ss);
  for (int y = 0; y < out.height; ++y) {
    for (int x = 0; x < out.width; ++x) {
      for (std::size_t ch = 0; ch < 3; ++ch) {
        double sum = 0;
        for (int j = 0; j < ss; ++j) {
          for (int i = 0; i < ss; ++i) {
            const std::size_t k =
                static_cast<std::size_t>(y * ss + j) * static_cast<std::size_t>(n) +
                static_cast<std::size_t>(x * ss + i);
            sum += colour[3 * k + ch];
          }
        }
        const double v = std::clamp(sum * inv, 0.0, 255.0);
        out.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) +
                    static_cast<std::size_t>(x)) *
                       3 +
                   ch] = static_cast<std::uint8_t>(std::lround(v));
      }
    }
  }
  return out;
}

std::string encode_png(const RgbImage& image) {
  if (image.width <= 0 || image.height <= 0 ||
      image.pixels.size() !=
          static_cast<std::size_t>(image.width) * static_cast<std::size_t>(image.height) * 3) {
    throw InputError(InputLocation{"", 0, 0, "RgbImage"},
                     "width * height * 3 bytes of pixels expected");
  }
  // Each row: filter type 1 (Sub), then each byte minus the byte one pixel to its left.
  const std::size_t row = static_cast<std::size_t>(image.width) * 3;
  std::string raw;
  raw.reserve((row + 1) * static_cast<std::size_t>(image.height));
  for (int y = 0; y < image.height; ++y) {
    const std::uint8_t* p = image.pixels.data() + static_cast<std::size_t>(y) * row;
    raw.push_back(1);
    for (std::size_t i = 0; i < row; ++i) {
      const std::uint8_t left = i >= 3 ? p[i - 3] : 0;
      raw.push_back(static_cast<char>(static_cast<std::uint8_t>(p[i] - left)));
    }
  }
  uLongf packed_size = compressBound(static_cast<uLong>(raw.size()));
  std::string packed(packed_size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(packed.data()), &packed_size,
                reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()),
                Z_DEFAULT_COMPRESSION) != Z_OK) {
    throw InternalError("png: zlib could not compress the picture");
  }
  packed.resize(packed_size);

  std::string out("\x89PNG\r\n\x1a\n", 8);
  std::string header;
  put_u32(header, static_cast<std::uint32_t>(image.width));
  put_u32(header, static_cast<std::uint32_t>(image.height));
  header += std::string("\x08\x02\x00\x00\x00", 5);  // 8 bits, RGB, deflate, no interlace
  put_chunk(out, "IHDR", header);
  put_chunk(out, "IDAT", packed);
  put_chunk(out, "IEND", "");
  return out;
}

std::string base64(std::string_view bytes) {
  static constexpr char kDigits[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    const std::uint32_t v = (static_cast<std::uint8_t>(bytes[i]) << 16) |
                            (static_cast<std::uint8_t>(bytes[i + 1]) << 8) |
                            static_cast<std::uint8_t>(bytes[i + 2]);
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(kDigits[(v >> 6) & 63]);
    out.push_back(kDigits[v & 63]);
  }
  const std::size_t rest = bytes.size() - i;
  if (rest > 0) {
    std::uint32_t v = static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i])) << 16;
    if (rest == 2) v |= static_cast<std::uint32_t>(static_cast<std::uint8_t>(bytes[i + 1])) << 8;
    out.push_back(kDigits[(v >> 18) & 63]);
    out.push_back(kDigits[(v >> 12) & 63]);
    out.push_back(rest == 2 ? kDigits[(v >> 6) & 63] : '=');
    out.push_back('=');
  }
  return out;
}

std::string png_data_uri(const RgbImage& image) {
  return "data:image/png;base64," + base64(encode_png(image));
}

RgbImage downscale(const RgbImage& image, int max_side_px) {
  const int longest = std::max(image.width, image.height);
  if (max_side_px <= 0 || longest <= max_side_px) return image;
  const double f = static_cast<double>(longest) / max_side_px;
  RgbImage out;
  out.width = std::max(1, static_cast<int>(image.width / f));
  out.height = std::max(1, static_cast<int>(image.height / f));
  out.pixels.resize(static_cast<std::size_t>(out.width) * static_cast<std::size_t>(out.height) * 3);
  for (int y = 0; y < out.height; ++y) {
    const int ya = static_cast<int>(y * f), yb = std::max(ya + 1, static_cast<int>((y + 1) * f));
    for (int x = 0; x < out.width; ++x) {
      const int xa = static_cast<int>(x * f), xb = std::max(xa + 1, static_cast<int>((x + 1) * f));
      std::array<double, 3> sum{0, 0, 0};
      int count = 0;
      for (int j = ya; j < std::min(yb, image.height); ++j) {
        for (int i = xa; i < std::min(xb, image.width); ++i) {
          const std::size_t k =
              (static_cast<std::size_t>(j) * static_cast<std::size_t>(image.width) +
               static_cast<std::size_t>(i)) *
              3;
          for (std::size_t c = 0; c < 3; ++c) sum[c] += image.pixels[k + c];
          ++count;
        }
      }
      for (std::size_t c = 0; c < 3; ++c) {
        out.pixels[(static_cast<std::size_t>(y) * static_cast<std::size_t>(out.width) +
                    static_cast<std::size_t>(x)) *
                       3 +
                   c] = static_cast<std::uint8_t>(std::lround(sum[c] / std::max(1, count)));
      }
    }
  }
  return out;
}

}  // namespace headspa::report
