// Pictures of the head: the rasteriser's orientation and shading, PNG bytes, base64.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstring>

#include "headspa/anatomy/head.hpp"
#include "headspa/core/error.hpp"
#include "headspa/report/render.hpp"
#include "report/small_head.hpp"

namespace headspa::report {
namespace {

std::uint32_t be32(const std::string& s, std::size_t at) {
  return (static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at])) << 24) |
         (static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at + 1])) << 16) |
         (static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at + 2])) << 8) |
         static_cast<std::uint32_t>(static_cast<std::uint8_t>(s[at + 3]));
}

// Decodes what encode_png writes (8-bit RGB, one IDAT, filters 0-4), checking every CRC.
RgbImage decode_png(const std::string& png) {
  RgbImage img;
  EXPECT_EQ(png.substr(0, 8), std::string("\x89PNG\r\n\x1a\n", 8));
  std::string idat;
  std::size_t at = 8;
  while (at + 12 <= png.size()) {
    const std::uint32_t len = be32(png, at);
    const std::string type = png.substr(at + 4, 4);
    const std::string body = png.substr(at + 4, 4 + len);
    const auto crc =
        crc32(0L, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()));
    EXPECT_EQ(be32(png, at + 8 + len), static_cast<std::uint32_t>(crc)) << type;
    if (type == "IHDR") {
      img.width = static_cast<int>(be32(png, at + 8));
      img.height = static_cast<int>(be32(png, at + 12));
      EXPECT_EQ(png[at + 16], 8);  // bit depth
      EXPECT_EQ(png[at + 17], 2);  // RGB
    } else if (type == "IDAT") {
      idat += png.substr(at + 8, len);
    }
    at += 12 + len;
  }
  const std::size_t row = static_cast<std::size_t>(img.width) * 3;
  std::string raw((row + 1) * static_cast<std::size_t>(img.height), '\0');
  uLongf raw_size = static_cast<uLongf>(raw.size());
  EXPECT_EQ(
      uncompress(reinterpret_cast<Bytef*>(raw.data()), &raw_size,
                 reinterpret_cast<const Bytef*>(idat.data()), static_cast<uLong>(idat.size())),
      Z_OK);
  img.pixels.resize(row * static_cast<std::size_t>(img.height));
  for (std::size_t y = 0; y < static_cast<std::size_t>(img.height); ++y) {
    const auto filter = static_cast<std::uint8_t>(raw[y * (row + 1)]);
    EXPECT_EQ(filter, 1);  // Sub
    for (std::size_t i = 0; i < row; ++i) {
      const std::uint8_t left = i >= 3 ? img.pixels[y * row + i - 3] : 0;
      img.pixels[y * row + i] =
          static_cast<std::uint8_t>(static_cast<std::uint8_t>(raw[y * (row + 1) + 1 + i]) + left);
    }
  }
  return img;
}

using testing::small_head;

Rgb pixel(const RgbImage& img, int x, int y) {
  const std::size_t k = (static_cast<std::size_t>(y) * static_cast<std::size_t>(img.width) +
                         static_cast<std::size_t>(x)) *
                        3;
  return {img.pixels[k], img.pixels[k + 1], img.pixels[k + 2]};
}

bool is_red(const Rgb& c) { return c[0] > 60 && c[0] > 2 * c[2] && c[0] > 2 * c[1]; }
bool is_blue(const Rgb& c) { return c[2] > 60 && c[2] > 2 * c[0] && c[2] > 2 * c[1]; }

TEST(Png, DecodesToTheSamePixels) {
  RgbImage img;
  img.width = 37;
  img.height = 11;
  for (int i = 0; i < img.width * img.height * 3; ++i) {
    img.pixels.push_back(static_cast<std::uint8_t>((i * 7919) % 251));
  }
  const RgbImage back = decode_png(encode_png(img));
  EXPECT_EQ(back.width, 37);
  EXPECT_EQ(back.height, 11);
  EXPECT_EQ(back.pixels, img.pixels);
  EXPECT_THROW(encode_png(RgbImage{2, 2, {1, 2, 3}}), InputError);
}

TEST(Base64, MatchesTheStandardsVectors) {
  EXPECT_EQ(base64(""), "");
  EXPECT_EQ(base64("f"), "Zg==");
  EXPECT_EQ(base64("fo"), "Zm8=");
  EXPECT_EQ(base64("foo"), "Zm9v");
  EXPECT_EQ(base64("foob"), "Zm9vYg==");
  EXPECT_EQ(base64("fooba"), "Zm9vYmE=");
  EXPECT_EQ(base64("foobar"), "Zm9vYmFy");
  EXPECT_EQ(base64(std::string("\xff\xfe\x00", 3)), "//4A");
}

TEST(Render, ThePersonsLeftIsOnTheRightOfTheFrontView) {
  const auto& head = small_head();
  // The person's left (+X) red, the right blue.
  std::vector<Rgb> colours;
  for (const auto& v : head.mesh.vertices) {
    colours.push_back(v.x() > 0 ? Rgb{230, 20, 20} : Rgb{20, 20, 230});
  }
  const RgbImage front = render_head(head.mesh, colours, View::kFront, {.size_px = 96});
  ASSERT_EQ(front.width, 96);
  int red_right = 0, red_left = 0, blue_left = 0, blue_right = 0;
  for (int y = 0; y < 96; ++y) {
    for (int x = 0; x < 96; ++x) {
      const Rgb c = pixel(front, x, y);
      (x >= 48 ? red_right : red_left) += is_red(c) ? 1 : 0;
      (x < 48 ? blue_left : blue_right) += is_blue(c) ? 1 : 0;
    }
  }
  EXPECT_GT(red_right, 500);
  EXPECT_GT(blue_left, 500);
  EXPECT_LT(red_left, red_right / 20);
  EXPECT_LT(blue_right, blue_left / 20);
  // Corners show the background; the middle shows the head.
  EXPECT_EQ(pixel(front, 0, 0), (Rgb{255, 255, 255}));
  EXPECT_EQ(pixel(front, 95, 95), (Rgb{255, 255, 255}));
  // Seen from the left, only the left (red) side shows; from the right, only blue.
  const RgbImage left = render_head(head.mesh, colours, View::kLeft, {.size_px = 96});
  const RgbImage right = render_head(head.mesh, colours, View::kRight, {.size_px = 96});
  int left_red = 0, left_blue = 0, right_red = 0, right_blue = 0;
  for (int y = 0; y < 96; ++y) {
    for (int x = 0; x < 96; ++x) {
      left_red += is_red(pixel(left, x, y)) ? 1 : 0;
      left_blue += is_blue(pixel(left, x, y)) ? 1 : 0;
      right_red += is_red(pixel(right, x, y)) ? 1 : 0;
      right_blue += is_blue(pixel(right, x, y)) ? 1 : 0;
    }
  }
  EXPECT_GT(left_red, 1500);
  EXPECT_LT(left_blue, left_red / 20);
  EXPECT_GT(right_blue, 1500);
  EXPECT_LT(right_red, right_blue / 20);
}

TEST(Render, TheFaceIsOnTheLeftOfTheLeftViewAndAtTheTopOfTheTopView) {
  const auto& head = small_head();
  // The front half (+Z) red, the back blue.
  std::vector<Rgb> colours;
  for (const auto& v : head.mesh.vertices) {
    colours.push_back(v.z() > 0.02 ? Rgb{230, 20, 20} : Rgb{20, 20, 230});
  }
  const auto centroid_x = [](const RgbImage& img, bool (*want)(const Rgb&), bool rows) {
    double sum = 0;
    int n = 0;
    for (int y = 0; y < img.height; ++y) {
      for (int x = 0; x < img.width; ++x) {
        if (!want(pixel(img, x, y))) continue;
        sum += rows ? y : x;
        ++n;
      }
    }
    return n > 0 ? sum / n : -1.0;
  };
  const RgbImage left = render_head(head.mesh, colours, View::kLeft, {.size_px = 96});
  EXPECT_LT(centroid_x(left, is_red, false), centroid_x(left, is_blue, false));
  const RgbImage top = render_head(head.mesh, colours, View::kTop, {.size_px = 96});
  EXPECT_LT(centroid_x(top, is_red, true), centroid_x(top, is_blue, true));
}

TEST(Render, RejectsMismatchedColoursAndBadOptions) {
  const auto& head = small_head();
  EXPECT_THROW(render_head(head.mesh, {Rgb{1, 2, 3}}, View::kFront), InputError);
  const std::vector<Rgb> colours(head.mesh.vertices.size(), Rgb{200, 200, 200});
  EXPECT_THROW(render_head(head.mesh, colours, View::kFront, {.size_px = 4}), InputError);
  EXPECT_THROW(render_head(head.mesh, colours, View::kFront, {.supersample = 9}), InputError);
}

TEST(Downscale, AveragesBlocks) {
  RgbImage img{4, 2, {}};
  for (int i = 0; i < 8; ++i) {
    const std::uint8_t v = i % 2 == 0 ? 0 : 200;
    img.pixels.insert(img.pixels.end(), {v, v, v});
  }
  const RgbImage half = downscale(img, 2);
  ASSERT_EQ(half.width, 2);
  ASSERT_EQ(half.height, 1);
  for (std::uint8_t v : half.pixels) EXPECT_EQ(v, 100);
  EXPECT_EQ(downscale(img, 10).pixels, img.pixels);
}

}  // namespace
}  // namespace headspa::report
