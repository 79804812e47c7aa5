// Fitting the patch models and image calibrations (Newton's method on a ridge-penalised
// logistic loss; deterministic).
#include "headspa/scalp/training.hpp"

#include <opencv2/core.hpp>
#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <sstream>

#include "features.hpp"
#include "headspa/core/error.hpp"
#include "scoring.hpp"

namespace headspa::scalp {
namespace {

constexpr int kInnerFolds = 5;

// Fits p = σ(b + w·x) to targets y (rows of x: d values) by Newton's method.
LogisticModel fit_logistic(const std::vector<double>& x, const std::vector<double>& y, int d,
                           double l2, int iterations) {
  const std::size_t n = y.size();
  const int dim = d + 1;  // last coefficient is the bias
  std::vector<double> beta(static_cast<std::size_t>(dim), 0.0);
  // Start the bias at the base rate.
  const double base = std::clamp(
      std::accumulate(y.begin(), y.end(), 0.0) / std::max<std::size_t>(n, 1), 1e-4, 1.0 - 1e-4);
  beta.back() = std::log(base / (1.0 - base));
  cv::Mat h(dim, dim, CV_64F), g(dim, 1, CV_64F), step;
  std::vector<double> row(static_cast<std::size_t>(dim));
  for (int it = 0; it < iterations; ++it) {
    h.setTo(0);
    g.setTo(0);
    auto* hp = h.ptr<double>(0);
    auto* gp = g.ptr<double>(0);
    for (std::size_t i = 0; i < n; ++i) {
      const double* xi = x.data() + i * static_cast<std::size_t>(d);
      std::copy(xi, xi + d, row.begin());
      row.back() = 1.0;
      double z = 0.0;
      for (int k = 0; k < dim; ++k)
        z += beta[static_cast<std::size_t>(k)] * row[static_cast<std::size_t>(k)];
      const double p = 1.0 / (1.0 + std::exp(-z));
      const double r = p - y[i];
      const double wgt = std::max(p * (1.0 - p), 1e-9);
      for (int a = 0; a < dim; ++a) {
        const double ra = row[static_cast<std::size_t>(a)];
        gp[a] += r * ra;
        const double wa = wgt * ra;
        for (int b = 0; b <= a; ++b) hp[a * dim + b] += wa * row[static_cast<std::size_t>(b)];
      }
    }
    for (int a = 0; a < dim; ++a) {
      for (int b = 0; b < a; ++b) hp[b * dim + a] = hp[a * dim + b];
      if (a < d) {  // the bias is not penalised
        hp[a * dim + a] += l2 * static_cast<double>(n);
        gp[a] += l2 * static_cast<double>(n) * beta[static_cast<std::size_t>(a)];
      } else {
        hp[a * dim + a] += 1e-9;
      }
    }
    if (!cv::solve(h, g, step, cv::DECOMP_CHOLESKY)) cv::solve(h, g, step, cv::DECOMP_SVD);
    double change = 0.0;
    for (int k = 0; k < dim; ++k) {
      beta[static_cast<std::size_t>(k)] -= step.at<double>(k);
      change = std::max(change, std::abs(step.at<double>(k)));
    }
    if (change < 1e-8) break;
  }
  LogisticModel m;
  m.weights.assign(beta.begin(), beta.end() - 1);
  m.bias = beta.back();
  return m;
}

// Standardised features and targets of the valid patches of `images` (subset `which`).
void patch_examples(const std::vector<TrainingImage>& images, const std::vector<int>& which,
                    const ScalpModel& model, bool flakes, double positive_cover,
                    std::vector<double>& x, std::vector<double>& y) {
  x.clear();
  y.clear();
  double z[kPatchFeatureCount];
  for (int idx : which) {
    const TrainingImage& t = images[static_cast<std::size_t>(idx)];
    const auto& cover = flakes ? t.flake_cover : t.oil_cover;
    const int n = t.table.cols * t.table.rows;
    for (int i = 0; i < n; ++i) {
      if (!t.table.valid[static_cast<std::size_t>(i)]) continue;
      detail::standardise(
          t.table.features.data() + static_cast<std::ptrdiff_t>(i) * kPatchFeatureCount, model, z);
      x.insert(x.end(), z, z + kPatchFeatureCount);
      y.push_back(cover[static_cast<std::size_t>(i)] >= positive_cover ? 1.0 : 0.0);
    }
  }
}

std::array<double, kImageInputCount> inputs_for(const TrainingImage& t, const ScalpModel& model,
                                                const LogisticModel& flake_patch,
                                                const LogisticModel& oil_patch) {
  std::vector<double> flake_probs, oil_probs;
  const int n = t.table.cols * t.table.rows;
  detail::patch_probabilities(t.table.features.data(), t.table.valid.data(), n, model, flake_patch,
                              flake_probs);
  detail::patch_probabilities(t.table.features.data(), t.table.valid.data(), n, model, oil_patch,
                              oil_probs);
  return detail::image_inputs(flake_probs, oil_probs, t.table.valid.data(),
                              t.table.features.data());
}

// The threshold on `scores` that maximises F1 (middle of the best run).
double best_f1_threshold(const std::vector<double>& scores, const std::vector<bool>& labels) {
  std::vector<std::size_t> order(scores.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](std::size_t a, std::size_t b) { return scores[a] > scores[b]; });
  const int positives = static_cast<int>(std::count(labels.begin(), labels.end(), true));
  int tp = 0, fp = 0;
  double best = -1.0;
  std::vector<double> best_thresholds;
  for (std::size_t k = 0; k < order.size(); ++k) {
    if (labels[order[k]])
      ++tp;
    else
      ++fp;
    // Threshold between this score and the next lower one.
    if (k + 1 < order.size() && scores[order[k + 1]] == scores[order[k]]) continue;
    const double next = k + 1 < order.size() ? scores[order[k + 1]] : scores[order[k]] - 1e-3;
    const double thr = 0.5 * (scores[order[k]] + next);
    const double f1 = 2.0 * tp / std::max(1, tp + fp + positives);
    if (f1 > best + 1e-12) {
      best = f1;
      best_thresholds.assign(1, thr);
    } else if (std::abs(f1 - best) <= 1e-12) {
      best_thresholds.push_back(thr);
    }
  }
  if (best_thresholds.empty()) return 0.5;
  return best_thresholds[best_thresholds.size() / 2];
}

// Fits the patch model of one finding on the images in `which`; `fallback` when they have no
// labelled patch of it (possible in a small inner fold), an error when `fallback` is null.
LogisticModel fit_patch(const std::vector<TrainingImage>& images, const std::vector<int>& which,
                        const ScalpModel& model, bool flakes, const TrainingOptions& opt,
                        const LogisticModel* fallback) {
  const double cover = flakes ? opt.flake_positive_cover : opt.oil_positive_cover;
  std::vector<double> x, y;
  patch_examples(images, which, model, flakes, cover, x, y);
  if (std::find(y.begin(), y.end(), 1.0) == y.end()) {
    if (fallback) return *fallback;
    throw InputError(std::string("training: no labelled ") + (flakes ? "flake" : "oil") + " patch");
  }
  return fit_logistic(x, y, kPatchFeatureCount, opt.l2, opt.newton_iterations);
}

// The image decision of one finding from out-of-fold image inputs: a logistic model whose
// threshold (the one that maximises F1 on these inputs) is folded into its bias.
LogisticModel fit_image_decision(const std::vector<double>& inputs,
                                 const std::vector<TrainingImage>& images, bool flakes,
                                 const TrainingOptions& opt) {
  std::vector<double> iy;
  std::vector<bool> labels;
  for (const auto& t : images) {
    const bool label = flakes ? t.has_flakes : t.has_oil;
    iy.push_back(label ? 1.0 : 0.0);
    labels.push_back(label);
  }
  LogisticModel m = fit_logistic(inputs, iy, kImageInputCount, opt.image_l2, opt.newton_iterations);
  std::vector<double> scores;
  for (std::size_t i = 0; i < images.size(); ++i) {
    scores.push_back(m.probability(&inputs[kImageInputCount * i]));
  }
  m.bias -= detail::safe_logit(best_f1_threshold(scores, labels));
  return m;
}

// Area calibration: the patch threshold at which the share of patches marked equals the share
// of patch area the labels cover (so measured and labelled areas have the same mean).
double area_threshold(const std::vector<TrainingImage>& images, const ScalpModel& model,
                      const LogisticModel& patch, bool flakes) {
  std::vector<double> probs, all_probs;
  double covered = 0.0;
  for (const auto& img : images) {
    detail::patch_probabilities(img.table.features.data(), img.table.valid.data(),
                                img.table.cols * img.table.rows, model, patch, probs);
    const auto& cov = flakes ? img.flake_cover : img.oil_cover;
    for (std::size_t i = 0; i < probs.size(); ++i) {
      if (!img.table.valid[i]) continue;
      all_probs.push_back(probs[i]);
      covered += cov[i];
    }
  }
  std::sort(all_probs.begin(), all_probs.end(), std::greater<>());
  const auto marked = static_cast<std::size_t>(std::lround(covered));
  return marked == 0 || all_probs.empty()
             ? 0.5
             : std::clamp(all_probs[std::min(marked, all_probs.size()) - 1], 1e-3, 0.999);
}

// Patch models on every image, then both image decisions on out-of-fold patch probabilities (so
// that they see honest inputs), then the area thresholds.
void fit_findings(const std::vector<TrainingImage>& images, const TrainingOptions& opt,
                  ScalpModel& model) {
  const int n = static_cast<int>(images.size());
  std::vector<int> all(static_cast<std::size_t>(n));
  std::iota(all.begin(), all.end(), 0);
  model.flakes.patch = fit_patch(images, all, model, true, opt, nullptr);
  model.oil.patch = fit_patch(images, all, model, false, opt, nullptr);

  std::vector<double> inputs(static_cast<std::size_t>(n) * kImageInputCount);
  const int folds = std::min(kInnerFolds, n);
  const std::vector<int> fold = assign_folds(n, folds, opt.seed + 1);
  for (int f = 0; f < folds; ++f) {
    std::vector<int> train;
    for (int i = 0; i < n; ++i) {
      if (fold[static_cast<std::size_t>(i)] != f) train.push_back(i);
    }
    const LogisticModel flake_inner =
        fit_patch(images, train, model, true, opt, &model.flakes.patch);
    const LogisticModel oil_inner = fit_patch(images, train, model, false, opt, &model.oil.patch);
    for (int i = 0; i < n; ++i) {
      if (fold[static_cast<std::size_t>(i)] != f) continue;
      const auto in =
          inputs_for(images[static_cast<std::size_t>(i)], model, flake_inner, oil_inner);
      std::copy(in.begin(), in.end(),
                inputs.begin() + static_cast<std::ptrdiff_t>(i) * kImageInputCount);
    }
  }
  model.flakes.image = fit_image_decision(inputs, images, true, opt);
  model.oil.image = fit_image_decision(inputs, images, false, opt);
  model.flakes.patch_threshold = area_threshold(images, model, model.flakes.patch, true);
  model.oil.patch_threshold = area_threshold(images, model, model.oil.patch, false);
}

}  // namespace

bool TrainingOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  if (!(l2 >= 0.0) || !(image_l2 >= 0.0)) return fail("l2 and image_l2 must be non-negative");
  if (newton_iterations < 1 || newton_iterations > 1000)
    return fail("newton_iterations in 1..1000");
  if (!(flake_positive_cover > 0.0 && flake_positive_cover <= 1.0) ||
      !(oil_positive_cover > 0.0 && oil_positive_cover <= 1.0)) {
    return fail("positive cover thresholds must be in (0, 1]");
  }
  return true;
}

std::vector<LabelPolygon> parse_yolo_polygons(std::string_view text, const std::string& source) {
  std::vector<LabelPolygon> out;
  std::istringstream in{std::string(text)};
  std::string line;
  int line_no = 0;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    std::istringstream ls(line);
    LabelPolygon p;
    if (!(ls >> p.label_class) || p.label_class < 0 || p.label_class > 3) {
      throw InputError(InputLocation{source, line_no, 1, {}}, "expected a class 0..3 first");
    }
    double x = 0.0, y = 0.0;
    while (ls >> x) {
      if (!(ls >> y)) {
        throw InputError(InputLocation{source, line_no, 0, {}}, "odd number of coordinates");
      }
      if (!std::isfinite(x) || !std::isfinite(y) || x < -0.01 || x > 1.01 || y < -0.01 ||
          y > 1.01) {
        throw InputError(InputLocation{source, line_no, 0, {}},
                         "coordinates must be normalised to [0, 1]");
      }
      p.points.emplace_back(x, y);
    }
    if (!ls.eof()) {
      throw InputError(InputLocation{source, line_no, 0, {}}, "expected numbers");
    }
    if (p.points.size() < 3) {
      throw InputError(InputLocation{source, line_no, 0, {}}, "a polygon needs three points");
    }
    out.push_back(std::move(p));
  }
  return out;
}

PatchTable compute_patch_table(const ImageView& image, const AnalyzerOptions& options) {
  detail::Workspace ws;
  detail::prepare(image, options, ws);
  PatchTable t;
  t.cols = ws.cols;
  t.rows = ws.rows;
  t.working_width = ws.l.cols;
  t.working_height = ws.l.rows;
  t.features.assign(ws.features.ptr<double>(0), ws.features.ptr<double>(0) + ws.features.total());
  t.valid.assign(ws.patch_valid.data, ws.patch_valid.data + ws.patch_valid.total());
  return t;
}

std::vector<double> patch_coverage(const std::vector<LabelPolygon>& polygons,
                                   const std::vector<int>& classes, const PatchTable& table) {
  cv::Mat mask = cv::Mat::zeros(table.working_height, table.working_width, CV_8U);
  for (const auto& p : polygons) {
    if (std::find(classes.begin(), classes.end(), p.label_class) == classes.end()) continue;
    std::vector<cv::Point> pts;
    for (const auto& [x, y] : p.points) {
      pts.emplace_back(static_cast<int>(std::lround(x * table.working_width)),
                       static_cast<int>(std::lround(y * table.working_height)));
    }
    cv::fillPoly(mask, std::vector<std::vector<cv::Point>>{pts}, cv::Scalar(255));
  }
  cv::Mat f, grid;
  mask.convertTo(f, CV_32F, 1.0 / 255.0);
  cv::resize(f, grid, cv::Size(table.cols, table.rows), 0, 0, cv::INTER_AREA);
  std::vector<double> out;
  out.reserve(static_cast<std::size_t>(table.cols * table.rows));
  for (int r = 0; r < table.rows; ++r) {
    for (int c = 0; c < table.cols; ++c) out.push_back(static_cast<double>(grid.at<float>(r, c)));
  }
  return out;
}

std::vector<int> assign_folds(int n, int folds, std::uint64_t seed) {
  std::vector<int> order(static_cast<std::size_t>(std::max(n, 0)));
  std::iota(order.begin(), order.end(), 0);
  std::mt19937_64 rng(seed);
  // Fisher–Yates with our own index draw, so the order does not depend on the library.
  for (std::size_t i = order.size(); i > 1; --i) {
    const std::size_t j = static_cast<std::size_t>(rng() % i);
    std::swap(order[i - 1], order[j]);
  }
  std::vector<int> fold(order.size(), 0);
  for (std::size_t k = 0; k < order.size(); ++k) {
    fold[static_cast<std::size_t>(order[k])] =
        static_cast<int>(k % static_cast<std::size_t>(std::max(folds, 1)));
  }
  return fold;
}

ScalpModel fit_scalp_model(const std::vector<TrainingImage>& images,
                           const TrainingOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "training"}, why);
  if (images.empty()) throw InputError("training: no image");
  ScalpModel model;
  // Standardisation over every valid patch.
  std::vector<double> sum(kPatchFeatureCount, 0.0), sq(kPatchFeatureCount, 0.0);
  double count = 0.0;
  for (const auto& t : images) {
    const int n = t.table.cols * t.table.rows;
    for (int i = 0; i < n; ++i) {
      if (!t.table.valid[static_cast<std::size_t>(i)]) continue;
      const double* f =
          t.table.features.data() + static_cast<std::ptrdiff_t>(i) * kPatchFeatureCount;
      for (int k = 0; k < kPatchFeatureCount; ++k) {
        sum[static_cast<std::size_t>(k)] += f[k];
        sq[static_cast<std::size_t>(k)] += f[k] * f[k];
      }
      count += 1.0;
    }
  }
  if (count == 0.0) throw InputError("training: no valid patch");
  for (int k = 0; k < kPatchFeatureCount; ++k) {
    const auto i = static_cast<std::size_t>(k);
    const double m = sum[i] / count;
    model.feature_mean.push_back(m);
    model.feature_scale.push_back(std::max(1e-6, std::sqrt(std::max(0.0, sq[i] / count - m * m))));
  }
  model.seed = options.seed;
  fit_findings(images, options, model);
  return model;
}

}  // namespace headspa::scalp
