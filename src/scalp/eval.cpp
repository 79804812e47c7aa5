// Image-level precision/recall/F1 and area agreement against labels.csv.
#include "headspa/scalp/eval.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <numeric>
#include <sstream>

#include "headspa/core/error.hpp"
#include "headspa/scalp/training.hpp"

namespace headspa::scalp {
namespace {

namespace fs = std::filesystem;

std::vector<std::string> split_csv_line(const std::string& line) {
  std::vector<std::string> out;
  std::string cell;
  std::istringstream in(line);
  while (std::getline(in, cell, ',')) {
    while (!cell.empty() && (cell.back() == '\r' || cell.back() == ' ')) cell.pop_back();
    out.push_back(cell);
  }
  if (!line.empty() && line.back() == ',') out.emplace_back();
  return out;
}

double pearson(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  if (a.size() < 2) return 0.0;
  const double ma = std::accumulate(a.begin(), a.end(), 0.0) / n;
  const double mb = std::accumulate(b.begin(), b.end(), 0.0) / n;
  double sab = 0.0, saa = 0.0, sbb = 0.0;
  for (std::size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  if (saa <= 0.0 || sbb <= 0.0) return 0.0;
  return sab / std::sqrt(saa * sbb);
}

std::vector<double> ranks(const std::vector<double>& v) {
  std::vector<std::size_t> order(v.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return v[a] < v[b]; });
  std::vector<double> r(v.size());
  std::size_t i = 0;
  while (i < order.size()) {
    std::size_t j = i;
    while (j + 1 < order.size() && v[order[j + 1]] == v[order[i]]) ++j;
    const double avg = 0.5 * static_cast<double>(i + j) + 1.0;
    for (std::size_t k = i; k <= j; ++k) r[order[k]] = avg;
    i = j + 1;
  }
  return r;
}

nlohmann::json scores_json(const BinaryScores& s) {
  return {{"tp", s.tp},
          {"fp", s.fp},
          {"fn", s.fn},
          {"tn", s.tn},
          {"precision", s.precision()},
          {"recall", s.recall()},
          {"f1", s.f1()},
          {"always_present_f1", s.always_present_f1()}};
}

nlohmann::json area_json(const AreaAgreement& a) {
  return {{"n", a.n},
          {"pearson_r", a.pearson_r},
          {"spearman_rho", a.spearman_rho},
          {"mean_abs_error", a.mean_abs_error},
          {"mean_measured", a.mean_measured},
          {"mean_labelled", a.mean_labelled}};
}

std::string read_text(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw InputError(InputLocation{p.string(), 0, 0, {}}, "cannot open the file");
  std::ostringstream s;
  s << in.rdbuf();
  return s.str();
}

}  // namespace

double BinaryScores::precision() const noexcept {
  return tp + fp > 0 ? static_cast<double>(tp) / (tp + fp) : 0.0;
}
double BinaryScores::recall() const noexcept {
  return tp + fn > 0 ? static_cast<double>(tp) / (tp + fn) : 0.0;
}
double BinaryScores::f1() const noexcept {
  const double p = precision(), r = recall();
  return p + r > 0.0 ? 2.0 * p * r / (p + r) : 0.0;
}
double BinaryScores::always_present_f1() const noexcept {
  const int positives = tp + fn;
  const int total = tp + fp + fn + tn;
  return positives > 0 ? 2.0 * positives / static_cast<double>(positives + total) : 0.0;
}
void BinaryScores::add(bool labelled, bool found) noexcept {
  if (labelled && found)
    ++tp;
  else if (found)
    ++fp;
  else if (labelled)
    ++fn;
  else
    ++tn;
}

AreaAgreement area_agreement(const std::vector<double>& measured,
                             const std::vector<double>& labelled) {
  AreaAgreement a;
  const std::size_t n = std::min(measured.size(), labelled.size());
  a.n = static_cast<int>(n);
  if (n == 0) return a;
  const std::vector<double> m(measured.begin(), measured.begin() + static_cast<std::ptrdiff_t>(n));
  const std::vector<double> l(labelled.begin(), labelled.begin() + static_cast<std::ptrdiff_t>(n));
  a.pearson_r = pearson(m, l);
  a.spearman_rho = pearson(ranks(m), ranks(l));
  for (std::size_t i = 0; i < n; ++i) {
    a.mean_abs_error += std::abs(m[i] - l[i]);
    a.mean_measured += m[i];
    a.mean_labelled += l[i];
  }
  a.mean_abs_error /= static_cast<double>(n);
  a.mean_measured /= static_cast<double>(n);
  a.mean_labelled /= static_cast<double>(n);
  return a;
}

std::vector<LabelRow> load_labels_csv(const std::string& path) {
  const std::string text = read_text(path);
  std::istringstream in(text);
  std::string line;
  if (!std::getline(in, line)) throw InputError(InputLocation{path, 1, 0, {}}, "empty file");
  const auto header = split_csv_line(line);
  std::map<std::string, std::size_t> col;
  for (std::size_t i = 0; i < header.size(); ++i) col[header[i]] = i;
  const char* required[] = {"file",       "has_d",       "has_ds",     "has_o",     "has_s",
                            "areafrac_d", "areafrac_ds", "areafrac_o", "areafrac_s"};
  for (const char* name : required) {
    if (!col.count(name)) {
      throw InputError(InputLocation{path, 1, 0, {}}, std::string("missing column '") + name + "'");
    }
  }
  std::vector<LabelRow> rows;
  int line_no = 1;
  while (std::getline(in, line)) {
    ++line_no;
    if (line.find_first_not_of(" \r\t") == std::string::npos) continue;
    const auto cells = split_csv_line(line);
    auto cell = [&](const char* name) -> const std::string& {
      const std::size_t i = col.at(name);
      if (i >= cells.size()) {
        throw InputError(InputLocation{path, line_no, 0, name}, "missing value");
      }
      return cells[i];
    };
    auto flag = [&](const char* name) {
      const std::string& v = cell(name);
      if (v != "0" && v != "1") {
        throw InputError(InputLocation{path, line_no, 0, name}, "expected 0 or 1, got '" + v + "'");
      }
      return v == "1";
    };
    auto number = [&](const char* name) {
      const std::string& v = cell(name);
      char* end = nullptr;
      const double d = std::strtod(v.c_str(), &end);
      if (v.empty() || *end != '\0' || !std::isfinite(d)) {
        throw InputError(InputLocation{path, line_no, 0, name},
                         "expected a number, got '" + v + "'");
      }
      return d;
    };
    LabelRow r;
    r.file = cell("file");
    if (r.file.empty())
      throw InputError(InputLocation{path, line_no, 0, "file"}, "empty file name");
    r.flakes = flag("has_d") || flag("has_ds");
    r.oil = flag("has_o");
    r.redness = flag("has_s");
    r.flakes_area = number("areafrac_d") + number("areafrac_ds");
    r.oil_area = number("areafrac_o");
    r.redness_area = number("areafrac_s");
    rows.push_back(std::move(r));
  }
  return rows;
}

bool EvalOptions::IsValid(std::string* why) const {
  auto fail = [&](const std::string& m) {
    if (why) *why = m;
    return false;
  };
  if (images_dir.empty()) return fail("images folder is required");
  if (labels_csv.empty()) return fail("labels.csv is required");
  if (cv_folds == 1 || cv_folds < 0 || cv_folds > 50) {
    return fail("cv_folds must be 0 (built-in model) or 2..50");
  }
  if (repeats < 1 || repeats > 20) return fail("repeats must be 1..20");
  if (repeats > 1 && cv_folds < 2) return fail("repeats > 1 needs cross-validation (cv_folds)");
  return analyzer.IsValid(why);
}

EvalReport evaluate(const EvalOptions& options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "eval"}, why);
  const std::vector<LabelRow> all_rows = load_labels_csv(options.labels_csv);
  EvalReport report;
  report.cv_folds = options.cv_folds;

  // Images that exist.
  std::vector<LabelRow> rows;
  std::vector<Image> images;
  for (const auto& r : all_rows) {
    const fs::path p = fs::path(options.images_dir) / r.file;
    if (!fs::exists(p)) {
      report.warnings.push_back(r.file + ": listed in labels but not found");
      continue;
    }
    try {
      images.push_back(load_image(p.string()));
      rows.push_back(r);
    } catch (const InputError& e) {
      report.warnings.push_back(std::string(e.what()));
    }
  }
  if (rows.empty())
    throw InputError(InputLocation{options.images_dir, 0, 0, {}}, "no labelled image found");

  // One model per fold (or the built-in one for every image), per repeat.
  report.repeats = options.cv_folds >= 2 ? options.repeats : 1;
  std::vector<TrainingImage> training;
  if (options.cv_folds >= 2) {
    const fs::path poly_dir = options.polygons_dir.empty()
                                  ? fs::path(options.labels_csv).parent_path() / "labels"
                                  : fs::path(options.polygons_dir);
    for (std::size_t i = 0; i < rows.size(); ++i) {
      TrainingImage t;
      t.table = compute_patch_table(images[i].view(), options.analyzer);
      const fs::path lp = poly_dir / fs::path(rows[i].file).replace_extension(".txt");
      const auto polys = fs::exists(lp) ? parse_yolo_polygons(read_text(lp), lp.string())
                                        : std::vector<LabelPolygon>{};
      t.flake_cover = patch_coverage(polys, {kClassFlakes, kClassShaftFlakes}, t.table);
      t.oil_cover = patch_coverage(polys, {kClassOil}, t.table);
      t.has_flakes = rows[i].flakes;
      t.has_oil = rows[i].oil;
      training.push_back(std::move(t));
    }
  }

  std::vector<double> mf, lf, mo, lo, mr, lr;
  for (int repeat = 0; repeat < report.repeats; ++repeat) {
    std::vector<int> fold(rows.size(), 0);
    std::vector<ScalpModel> models;
    if (options.cv_folds >= 2) {
      const std::uint64_t seed = options.seed + 1000u * static_cast<std::uint64_t>(repeat);
      fold = assign_folds(static_cast<int>(rows.size()), options.cv_folds, seed);
      TrainingOptions topt;
      topt.seed = seed;
      for (int f = 0; f < options.cv_folds; ++f) {
        std::vector<TrainingImage> train;
        for (std::size_t i = 0; i < rows.size(); ++i) {
          if (fold[i] != f) train.push_back(training[i]);
        }
        models.push_back(fit_scalp_model(train, topt));
      }
    } else {
      models.push_back(default_scalp_model());
    }

    for (std::size_t m = 0; m < models.size(); ++m) {
      ScalpAnalyzer analyzer(options.analyzer, models[m]);
      for (std::size_t i = 0; i < rows.size(); ++i) {
        if (static_cast<std::size_t>(fold[i]) != m) continue;
        const ImageAnalysis a = analyzer.analyze(images[i].view(), rows[i].file);
        auto present = [&](std::string_view name) {
          const Finding* f = find_finding(a.findings, name);
          return f != nullptr && f->present;
        };
        report.flakes.add(rows[i].flakes, present(kFindingFlakyDry));
        report.oil.add(rows[i].oil, present(kFindingOily));
        report.redness.add(rows[i].redness, present(kFindingRedSensitive));
        mf.push_back(a.flakes.area_fraction);
        lf.push_back(rows[i].flakes_area);
        mo.push_back(a.oil.area_fraction);
        lo.push_back(rows[i].oil_area);
        mr.push_back(a.redness.area_fraction);
        lr.push_back(rows[i].redness_area);
      }
    }
  }
  report.images = static_cast<int>(rows.size());
  report.flakes_area = area_agreement(mf, lf);
  report.oil_area = area_agreement(mo, lo);
  report.redness_area = area_agreement(mr, lr);
  return report;
}

std::string EvalReport::BriefReport() const {
  std::string out;
  char buf[256];
  const std::string how =
      cv_folds < 2 ? std::string("built-in model")
                   : std::to_string(cv_folds) + "-fold cross-validation (held-out)" +
                         (repeats > 1 ? ", " + std::to_string(repeats) + " repeats pooled" : "");
  std::snprintf(buf, sizeof buf, "%d images, %s\n", images, how.c_str());
  out += buf;
  auto line = [&](const char* name, const BinaryScores& s, const AreaAgreement& a) {
    std::snprintf(buf, sizeof buf,
                  "%-14s P %.3f  R %.3f  F1 %.3f  (tp %d fp %d fn %d tn %d; always-present F1 "
                  "%.3f)  area r %.3f  rho %.3f  MAE %.4f\n",
                  name, s.precision(), s.recall(), s.f1(), s.tp, s.fp, s.fn, s.tn,
                  s.always_present_f1(), a.pearson_r, a.spearman_rho, a.mean_abs_error);
    out += buf;
  };
  line("flaky_dry", flakes, flakes_area);
  line("oily", oil, oil_area);
  line("red_sensitive", redness, redness_area);
  for (const auto& w : warnings) out += "warning: " + w + "\n";
  return out;
}

std::string EvalReport::to_json(int indent) const {
  const nlohmann::json doc = {{"images", images},
                              {"cv_folds", cv_folds},
                              {"repeats", repeats},
                              {"findings",
                               {{"flaky_dry", scores_json(flakes)},
                                {"oily", scores_json(oil)},
                                {"red_sensitive", scores_json(redness)}}},
                              {"area_agreement",
                               {{"flakes", area_json(flakes_area)},
                                {"oil", area_json(oil_area)},
                                {"redness", area_json(redness_area)}}},
                              {"warnings", warnings}};
  return doc.dump(indent < 0 ? -1 : indent);
}

}  // namespace headspa::scalp
