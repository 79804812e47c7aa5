// The analysis JSON ("headspa/scalp-analysis@1") and aggregation over images.
#include <nlohmann/json.hpp>

#include <algorithm>
#include <string>

#include "headspa/core/error.hpp"
#include "headspa/scalp/analysis.hpp"

namespace headspa::scalp {
namespace {

using nlohmann::json;

json findings_json(const std::vector<Finding>& findings) {
  json arr = json::array();
  for (const auto& f : findings) {
    arr.push_back({{"name", f.name}, {"score", f.score}, {"present", f.present}});
  }
  return arr;
}

json optional_number(const std::optional<double>& v) { return v ? json(*v) : json(nullptr); }

json image_json(const ImageAnalysis& a) {
  return {
      {"path", a.path},
      {"width", a.width},
      {"height", a.height},
      {"flakes", {{"count", a.flakes.count}, {"area_fraction", a.flakes.area_fraction}}},
      {"oil", {{"area_fraction", a.oil.area_fraction}}},
      {"redness",
       {{"area_fraction", a.redness.area_fraction}, {"erythema_index", a.redness.erythema_index}}},
      {"hair",
       {{"count", a.hair.count},
        {"density_per_cm2", optional_number(a.hair.density_per_cm2)},
        {"mean_shaft_width_um", optional_number(a.hair.mean_shaft_width_um)}}},
      {"findings", findings_json(a.findings)},
      {"suspected_open_lesion", a.suspected_open_lesion},
      {"warnings", a.warnings}};
}

// Field access that reports the path of what is missing or mistyped.
class Reader {
 public:
  explicit Reader(std::string source) : source_(std::move(source)) {}

  const json& at(const json& obj, const std::string& key, const std::string& path) const {
    if (!obj.is_object()) fail(path, "expected an object");
    const auto it = obj.find(key);
    if (it == obj.end()) fail(path.empty() ? key : path + "." + key, "missing");
    return *it;
  }
  double number(const json& v, const std::string& path) const {
    if (!v.is_number()) fail(path, "expected a number");
    return v.get<double>();
  }
  int integer(const json& v, const std::string& path) const {
    if (!v.is_number_integer()) fail(path, "expected an integer");
    return v.get<int>();
  }
  bool boolean(const json& v, const std::string& path) const {
    if (!v.is_boolean()) fail(path, "expected true or false");
    return v.get<bool>();
  }
  std::string string(const json& v, const std::string& path) const {
    if (!v.is_string()) fail(path, "expected a string");
    return v.get<std::string>();
  }
  std::vector<std::string> strings(const json& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "expected an array of strings");
    std::vector<std::string> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      out.push_back(string(v[i], path + "[" + std::to_string(i) + "]"));
    }
    return out;
  }
  std::vector<Finding> findings(const json& v, const std::string& path) const {
    if (!v.is_array()) fail(path, "expected an array of findings");
    std::vector<Finding> out;
    for (std::size_t i = 0; i < v.size(); ++i) {
      const std::string p = path + "[" + std::to_string(i) + "]";
      Finding f;
      f.name = string(at(v[i], "name", p), p + ".name");
      f.score = number(at(v[i], "score", p), p + ".score");
      f.present = boolean(at(v[i], "present", p), p + ".present");
      out.push_back(std::move(f));
    }
    return out;
  }
  std::optional<double> optional_number(const json& v, const std::string& path) const {
    if (v.is_null()) return std::nullopt;
    return number(v, path);
  }
  [[noreturn]] void fail(const std::string& path, const std::string& msg) const {
    throw InputError(InputLocation{source_, 0, 0, path}, msg);
  }

 private:
  std::string source_;
};

ImageAnalysis parse_image(const Reader& r, const json& v, const std::string& p) {
  ImageAnalysis a;
  a.path = r.string(r.at(v, "path", p), p + ".path");
  a.width = r.integer(r.at(v, "width", p), p + ".width");
  a.height = r.integer(r.at(v, "height", p), p + ".height");
  const json& fl = r.at(v, "flakes", p);
  a.flakes.count = r.integer(r.at(fl, "count", p + ".flakes"), p + ".flakes.count");
  a.flakes.area_fraction =
      r.number(r.at(fl, "area_fraction", p + ".flakes"), p + ".flakes.area_fraction");
  const json& oil = r.at(v, "oil", p);
  a.oil.area_fraction = r.number(r.at(oil, "area_fraction", p + ".oil"), p + ".oil.area_fraction");
  const json& red = r.at(v, "redness", p);
  a.redness.area_fraction =
      r.number(r.at(red, "area_fraction", p + ".redness"), p + ".redness.area_fraction");
  a.redness.erythema_index =
      r.number(r.at(red, "erythema_index", p + ".redness"), p + ".redness.erythema_index");
  const json& hair = r.at(v, "hair", p);
  a.hair.count = r.integer(r.at(hair, "count", p + ".hair"), p + ".hair.count");
  a.hair.density_per_cm2 =
      r.optional_number(r.at(hair, "density_per_cm2", p + ".hair"), p + ".hair.density_per_cm2");
  a.hair.mean_shaft_width_um = r.optional_number(r.at(hair, "mean_shaft_width_um", p + ".hair"),
                                                 p + ".hair.mean_shaft_width_um");
  a.findings = r.findings(r.at(v, "findings", p), p + ".findings");
  if (v.contains("suspected_open_lesion")) {
    a.suspected_open_lesion =
        r.boolean(v.at("suspected_open_lesion"), p + ".suspected_open_lesion");
  }
  a.warnings = r.strings(r.at(v, "warnings", p), p + ".warnings");
  return a;
}

}  // namespace

const Finding* find_finding(const std::vector<Finding>& findings, std::string_view name) noexcept {
  for (const auto& f : findings) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

ScalpAnalysis aggregate(std::vector<ImageAnalysis> images) {
  ScalpAnalysis out;
  const std::string_view names[] = {kFindingFlakyDry, kFindingOily, kFindingRedSensitive};
  double worst = 0.0;
  bool any = false;
  for (auto name : names) {
    Finding agg{std::string(name), 0.0, false};
    for (const auto& img : images) {
      if (const Finding* f = find_finding(img.findings, name)) {
        agg.score = std::max(agg.score, f->score);
        agg.present = agg.present || f->present;
      }
    }
    worst = std::max(worst, agg.score);
    any = any || agg.present;
    out.findings.push_back(std::move(agg));
  }
  // "normal" only when nothing else is present anywhere.
  out.findings.push_back(Finding{std::string(kFindingNormal), images.empty() ? 0.0 : 1.0 - worst,
                                 !images.empty() && !any});
  for (const auto& img : images) {
    out.suspected_open_lesion = out.suspected_open_lesion || img.suspected_open_lesion;
    if (!img.warnings.empty()) {
      out.warnings.push_back((img.path.empty() ? std::string("image") : img.path) + ": " +
                             std::to_string(img.warnings.size()) + " warning(s)");
    }
  }
  if (images.empty()) out.warnings.push_back("no image analysed: findings are not meaningful");
  if (out.suspected_open_lesion) {
    out.warnings.push_back(
        "suspected open lesion: ask the operator to confirm before any scalp work");
  }
  out.images = std::move(images);
  return out;
}

std::string to_json(const ScalpAnalysis& analysis, int indent) {
  json images = json::array();
  for (const auto& img : analysis.images) images.push_back(image_json(img));
  const json doc = {{"format", std::string(kAnalysisFormat)},
                    {"findings", findings_json(analysis.findings)},
                    {"suspected_open_lesion", analysis.suspected_open_lesion},
                    {"images", images},
                    {"warnings", analysis.warnings}};
  return doc.dump(indent < 0 ? -1 : indent);
}

ScalpAnalysis parse_scalp_analysis(std::string_view text, const std::string& source) {
  const Reader r(source);
  json doc;
  try {
    doc = json::parse(text.begin(), text.end());
  } catch (const json::parse_error& e) {
    throw InputError(InputLocation{source, 0, 0, {}}, std::string("not JSON: ") + e.what());
  }
  const std::string format = r.string(r.at(doc, "format", ""), "format");
  if (format != kAnalysisFormat) {
    r.fail("format", "expected \"" + std::string(kAnalysisFormat) + "\", got \"" + format + "\"");
  }
  ScalpAnalysis out;
  out.findings = r.findings(r.at(doc, "findings", ""), "findings");
  out.suspected_open_lesion =
      r.boolean(r.at(doc, "suspected_open_lesion", ""), "suspected_open_lesion");
  const json& images = r.at(doc, "images", "");
  if (!images.is_array()) r.fail("images", "expected an array");
  for (std::size_t i = 0; i < images.size(); ++i) {
    out.images.push_back(parse_image(r, images[i], "images[" + std::to_string(i) + "]"));
  }
  out.warnings = r.strings(r.at(doc, "warnings", ""), "warnings");
  return out;
}

}  // namespace headspa::scalp
