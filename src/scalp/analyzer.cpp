// The scalp analyser: findings and measures from the working image's maps.
//
//  - flakes: patch model (see model.hpp) → image score; within the patches it marks, flake pixels
//    are bright bumps (large white top-hat) with little colour that are not hair;
//  - oily shine: patch model → image score; the oily area is the marked patches;
//  - redness: pixels whose hue is red to orange, whose chroma exceeds the image median by 12 and
//    whose a* exceeds the median a* by 6, grouped into blobs; elongated blobs (brown hair) are
//    dropped. The score is 0.5 when their area reaches options.redness_present_fraction;
//  - open lesion (suspected): one red blob that is large (lesion_min_area_fraction), strongly red
//    (mean a* excess >= lesion_min_a_excess), saturated (mean chroma >= lesion_min_chroma) and
//    compact (solidity >= lesion_min_solidity);
//  - hair: elongated dark blobs of the black top-hat; width = area / length.
#include "headspa/scalp/analyzer.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <utility>

#include "features.hpp"
#include "headspa/core/error.hpp"
#include "scoring.hpp"

namespace headspa::scalp {
namespace {

constexpr double kRedChromaExcess = 12.0;
constexpr double kRedAExcess = 6.0;
constexpr int kRedMinBlobPx = 3;
constexpr double kRedMaxElongation = 3.5;
constexpr int kFlakeMinBlobPx = 4;
constexpr int kHairMinBlobPx = 30;
constexpr double kHairMinElongation = 3.0;

// Moments and colour sums of one connected component.
struct Blob {
  double n = 0, sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  double a_excess = 0, chroma = 0;

  // Square root of the ratio of the principal variances (1 for a disc, large for a line).
  double elongation() const {
    if (n < 2) return 1.0;
    const double mx = sx / n, my = sy / n;
    const double cxx = sxx / n - mx * mx + 1.0 / 12.0, cyy = syy / n - my * my + 1.0 / 12.0;
    const double cxy = sxy / n - mx * my;
    const double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
    const double disc = std::sqrt(std::max(0.0, tr * tr / 4.0 - det));
    const double l1 = tr / 2.0 + disc, l2 = std::max(1e-9, tr / 2.0 - disc);
    return std::sqrt(l1 / l2);
  }
  // Length along the main axis, for a bar of uniform width.
  double length() const {
    if (n < 2) return 1.0;
    const double mx = sx / n, my = sy / n;
    const double cxx = sxx / n - mx * mx, cyy = syy / n - my * my, cxy = sxy / n - mx * my;
    const double tr = cxx + cyy, det = cxx * cyy - cxy * cxy;
    const double l1 = tr / 2.0 + std::sqrt(std::max(0.0, tr * tr / 4.0 - det));
    return std::max(1.0, std::sqrt(12.0 * l1));
  }
};

// Labels the components of `mask` and accumulates their moments (and colour when given).
int collect_blobs(const cv::Mat& mask, cv::Mat& labels, std::vector<Blob>& blobs,
                  const cv::Mat* a_excess = nullptr, const cv::Mat* chroma = nullptr) {
  const int count = cv::connectedComponents(mask, labels, 8, CV_32S);
  blobs.assign(static_cast<std::size_t>(std::max(count, 1)), Blob{});
  for (int y = 0; y < labels.rows; ++y) {
    const auto* lr = labels.ptr<int>(y);
    const float* ar = a_excess ? a_excess->ptr<float>(y) : nullptr;
    const float* cr = chroma ? chroma->ptr<float>(y) : nullptr;
    for (int x = 0; x < labels.cols; ++x) {
      const int id = lr[x];
      if (id == 0) continue;
      Blob& b = blobs[static_cast<std::size_t>(id)];
      const double fx = x, fy = y;
      b.n += 1;
      b.sx += fx;
      b.sy += fy;
      b.sxx += fx * fx;
      b.syy += fy * fy;
      b.sxy += fx * fy;
      if (ar) b.a_excess += static_cast<double>(ar[x]);
      if (cr) b.chroma += static_cast<double>(cr[x]);
    }
  }
  return count;
}

// Solidity (area / convex hull area) of component `id`.
double solidity(const cv::Mat& labels, int id) {
  cv::Mat m;
  cv::compare(labels, id, m, cv::CMP_EQ);
  std::vector<std::vector<cv::Point>> contours;
  cv::findContours(m, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
  if (contours.empty()) return 0.0;
  const auto& c =
      *std::max_element(contours.begin(), contours.end(),
                        [](const auto& p, const auto& q) { return p.size() < q.size(); });
  std::vector<cv::Point> hull;
  cv::convexHull(c, hull);
  const double hull_area =
      cv::contourArea(hull) + 0.5 * static_cast<double>(cv::arcLength(hull, true)) + 1.0;
  return std::min(1.0, static_cast<double>(cv::countNonZero(m)) / hull_area);
}

double sigmoid(double z) { return 1.0 / (1.0 + std::exp(-z)); }

}  // namespace

bool AnalyzerOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& msg) {
    if (why) *why = msg;
    return false;
  };
  if (!(um_per_px >= 0.0) || !std::isfinite(um_per_px)) {
    return fail("um_per_px must be 0 (unknown) or a positive number of micrometres per pixel");
  }
  if (working_pixels < 64 * 64 || working_pixels > 2048 * 2048) {
    return fail("working_pixels must be between 4096 and 4194304");
  }
  if (min_side_px < 8) return fail("min_side_px must be at least 8");
  if (!(redness_present_fraction > 0.0 && redness_present_fraction < 1.0)) {
    return fail("redness_present_fraction must be in (0, 1)");
  }
  if (!(lesion_min_area_fraction > 0.0 && lesion_min_area_fraction < 1.0)) {
    return fail("lesion_min_area_fraction must be in (0, 1)");
  }
  if (!(lesion_min_a_excess >= 0.0) || !(lesion_min_chroma >= 0.0)) {
    return fail("lesion_min_a_excess and lesion_min_chroma must be non-negative");
  }
  if (!(lesion_min_solidity >= 0.0 && lesion_min_solidity <= 1.0)) {
    return fail("lesion_min_solidity must be in [0, 1]");
  }
  return true;
}

struct ScalpAnalyzer::Impl {
  AnalyzerOptions options;
  ScalpModel model;
  detail::Workspace ws;
  std::vector<double> p_flakes, p_oil;
  cv::Mat flake_region, oil_region, flake_mask, red_mask, red_kept, labels, blur_lab;
  cv::Mat red_a_excess, red_chroma, angle, tmp, tmp2;
  std::vector<Blob> blobs;
  std::array<double, 256> log10_lut{};

  Impl(AnalyzerOptions o, ScalpModel m) : options(std::move(o)), model(std::move(m)) {
    std::string why;
    if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "options"}, why);
    if (!model.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "model"}, why);
    for (std::size_t v = 0; v < log10_lut.size(); ++v) {
      log10_lut[v] = std::log10(static_cast<double>(v) + 1.0);
    }
  }

  // Patch decisions → working-size region mask.
  void region_from_patches(const std::vector<double>& probs, double threshold, cv::Mat& out) {
    detail::Workspace& w = ws;
    cv::Mat grid(w.rows, w.cols, CV_8U);
    for (int i = 0; i < w.rows * w.cols; ++i) {
      grid.data[i] =
          (w.patch_valid.data[i] && probs[static_cast<std::size_t>(i)] >= threshold) ? 255 : 0;
    }
    cv::resize(grid, out, w.l.size(), 0, 0, cv::INTER_NEAREST);
  }

  ImageAnalysis run(const ImageView& view, const std::string& path, Overlay* overlay);
  void measure_redness(ImageAnalysis& out);
  void measure_hair(ImageAnalysis& out);
  void draw(const ImageView& view, const ImageAnalysis& result, Overlay& overlay);
};

ImageAnalysis ScalpAnalyzer::Impl::run(const ImageView& view, const std::string& path,
                                       Overlay* overlay) {
  detail::prepare(view, options, ws);
  ImageAnalysis out;
  out.path = path;
  out.width = view.width;
  out.height = view.height;
  const double valid_px = std::max(1, ws.stats.valid_pixels);
  if (ws.stats.valid_pixels < ws.l.rows * ws.l.cols / 2) {
    out.warnings.push_back("more than half of the image is flat border; measured the rest");
  }
  if (ws.stats.l_sd < 4.0) {
    out.warnings.push_back("image has almost no contrast: findings are unreliable");
  }

  // Flakes and oil: patch models.
  const int n = ws.rows * ws.cols;
  const double* raw = ws.features.ptr<double>(0);
  detail::patch_probabilities(raw, ws.patch_valid.data, n, model, model.flakes.patch, p_flakes);
  detail::patch_probabilities(raw, ws.patch_valid.data, n, model, model.oil.patch, p_oil);
  const auto inputs =
      detail::image_inputs(p_flakes, p_oil, ws.patch_valid.data, ws.features.ptr<double>(0));
  const double flake_score = model.flakes.image.probability(inputs.data());
  const double oil_score = model.oil.image.probability(inputs.data());

  region_from_patches(p_flakes, model.flakes.patch_threshold, flake_region);
  cv::compare(ws.tophat_large, 10, flake_mask, cv::CMP_GT);
  cv::compare(ws.chroma8, ws.stats.chroma_median + 6.0, tmp, cv::CMP_LE);
  cv::bitwise_and(flake_mask, tmp, flake_mask);
  cv::bitwise_and(flake_mask, flake_region, flake_mask);
  flake_mask.setTo(0, ws.hair_mask);
  out.flakes.area_fraction = cv::countNonZero(flake_mask) / valid_px;
  {
    const int count = collect_blobs(flake_mask, labels, blobs);
    for (int id = 1; id < count; ++id) {
      if (blobs[static_cast<std::size_t>(id)].n >= kFlakeMinBlobPx) ++out.flakes.count;
    }
  }

  region_from_patches(p_oil, model.oil.patch_threshold, oil_region);
  out.oil.area_fraction = cv::countNonZero(oil_region) / valid_px;

  measure_redness(out);
  measure_hair(out);

  // Findings.
  double red_score = 0.0;
  if (!ws.grayscale) {
    const double frac = std::max(out.redness.area_fraction, 1e-7);
    red_score = sigmoid(2.0 * std::log(frac / options.redness_present_fraction));
  }
  auto finding = [](std::string_view name, double score) {
    return Finding{std::string(name), score, score >= 0.5};
  };
  out.findings.push_back(finding(kFindingFlakyDry, flake_score));
  out.findings.push_back(finding(kFindingOily, oil_score));
  out.findings.push_back(finding(kFindingRedSensitive, red_score));
  const double worst = std::max({flake_score, oil_score, red_score});
  out.findings.push_back(finding(kFindingNormal, 1.0 - worst));
  if (out.suspected_open_lesion) {
    out.warnings.push_back(
        "compact, strongly red patch: possible open lesion; confirm before any scalp work");
  }

  if (overlay) draw(view, out, *overlay);
  return out;
}

void ScalpAnalyzer::Impl::measure_redness(ImageAnalysis& out) {
  const double valid_px = std::max(1, ws.stats.valid_pixels);
  if (ws.grayscale) {
    red_kept = cv::Mat::zeros(ws.l.size(), CV_8U);
    return;
  }
  // Colour after a 3×3 mean, so that single noisy pixels do not count.
  cv::blur(ws.lab, blur_lab, {3, 3}, {-1, -1}, cv::BORDER_REPLICATE);
  cv::Mat planes[3];
  cv::split(blur_lab, planes);
  cv::Mat af, bf;
  planes[1].convertTo(af, CV_32F, 1.0, -128.0);
  planes[2].convertTo(bf, CV_32F, 1.0, -128.0);
  cv::magnitude(af, bf, red_chroma);
  cv::phase(af, bf, angle, true);
  cv::subtract(af, cv::Scalar(ws.stats.a_median), red_a_excess);

  // Red to orange hue, clearly more colourful and redder than the image as a whole.
  cv::compare(angle, 75.0, red_mask, cv::CMP_LE);
  cv::compare(angle, 330.0, tmp, cv::CMP_GE);
  cv::bitwise_or(red_mask, tmp, red_mask);
  cv::compare(red_chroma, ws.stats.chroma_median + kRedChromaExcess, tmp, cv::CMP_GT);
  cv::bitwise_and(red_mask, tmp, red_mask);
  cv::compare(red_a_excess, kRedAExcess, tmp, cv::CMP_GT);
  cv::bitwise_and(red_mask, tmp, red_mask);
  cv::bitwise_and(red_mask, ws.valid, red_mask);

  const int count = collect_blobs(red_mask, labels, blobs, &red_a_excess, &red_chroma);
  red_kept = cv::Mat::zeros(ws.l.size(), CV_8U);
  std::vector<std::uint8_t> keep(static_cast<std::size_t>(std::max(count, 1)), 0);
  double kept_px = 0.0;
  for (int id = 1; id < count; ++id) {
    const Blob& b = blobs[static_cast<std::size_t>(id)];
    if (b.n < kRedMinBlobPx || b.elongation() > kRedMaxElongation) continue;
    keep[static_cast<std::size_t>(id)] = 1;
    kept_px += b.n;
    const bool large = b.n / valid_px >= options.lesion_min_area_fraction;
    if (large && b.a_excess / b.n >= options.lesion_min_a_excess &&
        b.chroma / b.n >= options.lesion_min_chroma &&
        solidity(labels, id) >= options.lesion_min_solidity) {
      out.suspected_open_lesion = true;
    }
  }
  for (int y = 0; y < labels.rows; ++y) {
    const auto* lr = labels.ptr<int>(y);
    auto* kr = red_kept.ptr<std::uint8_t>(y);
    for (int x = 0; x < labels.cols; ++x) kr[x] = keep[static_cast<std::size_t>(lr[x])] ? 255 : 0;
  }
  out.redness.area_fraction = kept_px / valid_px;

  // Erythema index over skin (valid, not hair) pixels: 100 * log10(R / G).
  double sum = 0.0;
  int skin = 0;
  for (int y = 0; y < ws.bgr.rows; ++y) {
    const auto* px = ws.bgr.ptr<cv::Vec3b>(y);
    const auto* vr = ws.valid.ptr<std::uint8_t>(y);
    const auto* hr = ws.hair_mask.ptr<std::uint8_t>(y);
    for (int x = 0; x < ws.bgr.cols; ++x) {
      if (!vr[x] || hr[x]) continue;
      sum += log10_lut[px[x][2]] - log10_lut[px[x][1]];
      ++skin;
    }
  }
  out.redness.erythema_index = skin > 0 ? 100.0 * sum / skin : 0.0;
}

void ScalpAnalyzer::Impl::measure_hair(ImageAnalysis& out) {
  const int count = collect_blobs(ws.hair_mask, labels, blobs);
  double total_width = 0.0;
  for (int id = 1; id < count; ++id) {
    const Blob& b = blobs[static_cast<std::size_t>(id)];
    if (b.n < kHairMinBlobPx || b.elongation() < kHairMinElongation) continue;
    ++out.hair.count;
    total_width += b.n / b.length();
  }
  if (options.um_per_px > 0.0) {
    // Working pixels → input pixels → micrometres.
    const double um_per_working_px = options.um_per_px / ws.scale;
    const double area_cm2 = ws.stats.valid_pixels * um_per_working_px * um_per_working_px * 1e-8;
    out.hair.density_per_cm2 = area_cm2 > 0.0 ? out.hair.count / area_cm2 : 0.0;
    out.hair.mean_shaft_width_um =
        out.hair.count > 0 ? total_width / out.hair.count * um_per_working_px : 0.0;
  }
}

void ScalpAnalyzer::Impl::draw(const ImageView& view, const ImageAnalysis& result,
                               Overlay& overlay) {
  cv::Mat canvas;
  detail::to_bgr(view, canvas);
  const cv::Size full = canvas.size();
  cv::Mat up;
  auto upscale = [&](const cv::Mat& m) {
    cv::resize(m, up, full, 0, 0, cv::INTER_NEAREST);
    return up;
  };
  // Hair: blue tint.
  canvas.setTo(cv::Scalar(200, 90, 40), upscale(ws.hair_mask));
  // Oily shine: green diagonal hatching over the oily patches.
  {
    cv::Mat hatch(full, CV_8U);
    for (int y = 0; y < full.height; ++y) {
      auto* r = hatch.ptr<std::uint8_t>(y);
      for (int x = 0; x < full.width; ++x) r[x] = ((x + y) % 12 < 2) ? 255 : 0;
    }
    cv::bitwise_and(hatch, upscale(oil_region), hatch);
    canvas.setTo(cv::Scalar(60, 220, 60), hatch);
  }
  // Flakes: cyan fill.
  canvas.setTo(cv::Scalar(255, 255, 0), upscale(flake_mask));
  // Redness: red outlines.
  {
    std::vector<std::vector<cv::Point>> contours;
    cv::findContours(red_kept, contours, cv::RETR_EXTERNAL, cv::CHAIN_APPROX_SIMPLE);
    const double sx = static_cast<double>(full.width) / ws.l.cols;
    const double sy = static_cast<double>(full.height) / ws.l.rows;
    for (auto& c : contours) {
      for (auto& p : c) {
        p.x = static_cast<int>(std::lround((p.x + 0.5) * sx));
        p.y = static_cast<int>(std::lround((p.y + 0.5) * sy));
      }
    }
    const int thickness = std::max(1, full.width / 320);
    cv::drawContours(canvas, contours, -1, cv::Scalar(0, 0, 255), thickness);
  }
  // Legend.
  char text[160];
  std::snprintf(text, sizeof text, "flaky %.2f  oily %.2f  red %.2f  hair %d%s",
                result.findings[0].score, result.findings[1].score, result.findings[2].score,
                result.hair.count, result.suspected_open_lesion ? "  LESION?" : "");
  const double font = std::max(0.3, full.width / 1400.0);
  cv::putText(canvas, text, {6, static_cast<int>(18 * font / 0.45)}, cv::FONT_HERSHEY_SIMPLEX, font,
              cv::Scalar(0, 0, 0), 3);
  cv::putText(canvas, text, {6, static_cast<int>(18 * font / 0.45)}, cv::FONT_HERSHEY_SIMPLEX, font,
              cv::Scalar(255, 255, 255), 1);

  overlay.image.width = canvas.cols;
  overlay.image.height = canvas.rows;
  overlay.image.order = PixelOrder::kBgr;
  overlay.image.warnings.clear();
  overlay.image.pixels.assign(canvas.data, canvas.data + canvas.total() * canvas.elemSize());
}

ScalpAnalyzer::ScalpAnalyzer(AnalyzerOptions options)
    : ScalpAnalyzer(std::move(options), default_scalp_model()) {}

ScalpAnalyzer::ScalpAnalyzer(AnalyzerOptions options, ScalpModel model)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(model))) {}

ScalpAnalyzer::~ScalpAnalyzer() = default;
ScalpAnalyzer::ScalpAnalyzer(ScalpAnalyzer&&) noexcept = default;
ScalpAnalyzer& ScalpAnalyzer::operator=(ScalpAnalyzer&&) noexcept = default;

ImageAnalysis ScalpAnalyzer::analyze(const ImageView& image, const std::string& path,
                                     Overlay* overlay) {
  if (image.order == PixelOrder::kGray) {
    ImageAnalysis out = impl_->run(image, path, overlay);
    out.warnings.insert(
        out.warnings.begin(),
        "grayscale image: redness not assessed, flake and oil scores less reliable");
    return out;
  }
  return impl_->run(image, path, overlay);
}

ImageAnalysis ScalpAnalyzer::analyze_file(const std::string& path, Overlay* overlay) {
  const Image img = load_image(path);
  ImageAnalysis out = analyze(img.view(), path, overlay);
  // Decoding notes first; the grayscale note is already there once.
  for (auto it = img.warnings.rbegin(); it != img.warnings.rend(); ++it) {
    if (std::find(out.warnings.begin(), out.warnings.end(), *it) == out.warnings.end()) {
      out.warnings.insert(out.warnings.begin(), *it);
    }
  }
  return out;
}

ImageAnalysis ScalpAnalyzer::analyze_encoded(const void* bytes, std::size_t size,
                                             const std::string& name, Overlay* overlay) {
  const Image img =
      decode_image(std::span<const std::uint8_t>(static_cast<const std::uint8_t*>(bytes), size),
                   name.empty() ? std::string("<memory>") : name);
  ImageAnalysis out = analyze(img.view(), name, overlay);
  for (auto it = img.warnings.rbegin(); it != img.warnings.rend(); ++it) {
    if (std::find(out.warnings.begin(), out.warnings.end(), *it) == out.warnings.end()) {
      out.warnings.insert(out.warnings.begin(), *it);
    }
  }
  return out;
}

const AnalyzerOptions& ScalpAnalyzer::options() const noexcept { return impl_->options; }
const ScalpModel& ScalpAnalyzer::model() const noexcept { return impl_->model; }

}  // namespace headspa::scalp
