// Pictures for the session report, drawn by headspa itself: the head mesh seen from one side
// with a colour per vertex (a small z-buffered software rasteriser), PNG encoding and data URIs.
//
//   const report::RgbImage picture = report::render_head(head.mesh, colours, report::View::kLeft);
//   const std::string uri = report::png_data_uri(picture);  // "data:image/png;base64,..."
#pragma once

#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "headspa/geometry/mesh.hpp"

namespace headspa::report {

// An 8-bit RGB picture, rows top to bottom, three bytes per pixel.
struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width * height * 3
};

using Rgb = std::array<std::uint8_t, 3>;

// Where the camera looks from, in the head frame (+X left, +Y up, +Z forward).
enum class View : std::uint8_t { kFront, kLeft, kBack, kRight, kTop };
std::string_view view_name(View view) noexcept;  // "front", "left", ...

struct RenderOptions {
  int size_px = 320;              // the picture is square
  int supersample = 2;            // samples per pixel along each axis (1-4)
  Rgb background{255, 255, 255};  // where no surface is seen
  double margin = 0.06;           // empty border, as a fraction of the picture
  double ambient = 0.35;          // light that reaches every surface, 0-1
};

// An orthographic picture of `mesh` from `view`, each vertex coloured by `vertex_colours` (one per
// vertex; colours are interpolated across faces) and lit from the camera. Every view of one mesh
// uses the same scale, so pictures of the same head line up. InputError when the colours do not
// match the vertices or the options are out of range.
RgbImage render_head(const geometry::TriangleMesh& mesh, const std::vector<Rgb>& vertex_colours,
                     View view, const RenderOptions& options = {});

// A PNG file's bytes (8-bit RGB, zlib-compressed).
std::string encode_png(const RgbImage& image);

// Standard base64 (RFC 4648) with padding.
std::string base64(std::string_view bytes);

// "data:image/png;base64,..." for embedding in HTML.
std::string png_data_uri(const RgbImage& image);

// A smaller copy (area average); `max_side_px` bounds the longer side. Returns a copy when the
// image is already small enough.
RgbImage downscale(const RgbImage& image, int max_side_px);

}  // namespace headspa::report
