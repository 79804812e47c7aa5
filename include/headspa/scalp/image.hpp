// Scalp photographs as plain pixel buffers, and decoding them from files or bytes.
//
// The scalp module never exposes OpenCV types: images cross its boundary as an ImageView (a
// borrowed 8-bit buffer) or an Image (an owned one).
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace headspa::scalp {

/// Channel order of an 8-bit interleaved pixel buffer.
enum class PixelOrder {
  kGray,  ///< one channel
  kBgr,   ///< three channels, blue first (OpenCV's order)
  kRgb,   ///< three channels, red first
  kBgra,  ///< four channels, blue first; alpha is ignored
  kRgba,  ///< four channels, red first; alpha is ignored
};

/// Number of channels of a PixelOrder (1, 3 or 4).
int channel_count(PixelOrder order) noexcept;

/// A borrowed, 8-bit, row-major interleaved image. `stride_bytes` 0 means tightly packed.
struct ImageView {
  const std::uint8_t* data = nullptr;  ///< first byte of the first row
  int width = 0;                       ///< pixels per row
  int height = 0;                      ///< rows
  PixelOrder order = PixelOrder::kBgr;
  std::size_t stride_bytes = 0;  ///< bytes from one row to the next; 0 = width * channels

  /// True when the view is non-empty and its buffer description is self-consistent.
  bool IsValid(std::string* why) const;
};

/// An owned, tightly packed 8-bit image with the notes made while decoding it.
struct Image {
  std::vector<std::uint8_t> pixels;  ///< row-major, `channel_count(order)` bytes per pixel
  int width = 0;                     ///< pixels per row
  int height = 0;                    ///< rows
  PixelOrder order = PixelOrder::kBgr;
  std::vector<std::string> warnings;  ///< e.g. "16-bit image reduced to 8 bits"

  /// A view of the pixels (valid while this Image lives and is not resized).
  ImageView view() const noexcept;
};

/// Decodes an encoded image (JPEG, PNG, BMP, TIFF, ...) held in memory.
/// 16-bit images are reduced to 8 bits and grayscale images are kept as one channel, each with a
/// warning. Throws headspa::InputError (naming `name`) when the bytes are not a decodable image.
Image decode_image(std::span<const std::uint8_t> bytes, const std::string& name = "<memory>");

/// Reads and decodes an image file. Throws headspa::InputError when the file cannot be read or
/// is not a decodable image.
Image load_image(const std::string& path);

/// Writes an image as PNG. Throws headspa::InputError when the file cannot be written.
void write_png(const std::string& path, const Image& image);

}  // namespace headspa::scalp
