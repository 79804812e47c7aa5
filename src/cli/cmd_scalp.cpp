// `headspa scalp analyze` and `headspa scalp eval`: magnified scalp-photo analysis.
#include <cstdio>
#include <fstream>
#include <string>
#include <vector>

#include "command_registry.hpp"
#include "headspa/core/error.hpp"
#include "headspa/scalp/analyzer.hpp"
#include "headspa/scalp/eval.hpp"

namespace headspa::cli {
namespace {

struct AnalyzeArgs {
  std::vector<std::string> images;
  bool json = false;
  std::string overlay;
  double um_per_px = 0.0;
};

struct EvalArgs {
  std::string images;
  std::string labels;
  std::string polygons;
  int cv = 0;
  std::uint64_t seed = 20250528;
  bool json = false;
};

// "OUT.png" for one image; "OUT-<n>.png" (n from 1) when several images are analysed.
std::string overlay_path(const std::string& base, std::size_t index, std::size_t count) {
  if (count == 1) return base;
  const auto dot = base.find_last_of('.');
  const auto slash = base.find_last_of('/');
  const bool has_ext = dot != std::string::npos && (slash == std::string::npos || dot > slash);
  const std::string stem = has_ext ? base.substr(0, dot) : base;
  const std::string ext = has_ext ? base.substr(dot) : ".png";
  return stem + "-" + std::to_string(index + 1) + ext;
}

void print_text(const scalp::ScalpAnalysis& a) {
  for (const auto& img : a.images) {
    std::printf("%s (%dx%d)\n", img.path.c_str(), img.width, img.height);
    std::printf("  flakes   %d blobs, %.2f%% of the area\n", img.flakes.count,
                100.0 * img.flakes.area_fraction);
    std::printf("  oil      %.2f%% of the area\n", 100.0 * img.oil.area_fraction);
    std::printf("  redness  %.2f%% of the area, erythema index %.1f\n",
                100.0 * img.redness.area_fraction, img.redness.erythema_index);
    std::printf("  hair     %d", img.hair.count);
    if (img.hair.density_per_cm2) std::printf(", %.0f per cm²", *img.hair.density_per_cm2);
    if (img.hair.mean_shaft_width_um)
      std::printf(", mean width %.0f µm", *img.hair.mean_shaft_width_um);
    std::printf("\n");
    for (const auto& w : img.warnings) std::printf("  warning: %s\n", w.c_str());
  }
  std::printf("findings:");
  for (const auto& f : a.findings) {
    std::printf("  %s %.2f%s", f.name.c_str(), f.score, f.present ? " (present)" : "");
  }
  std::printf("\n");
  if (a.suspected_open_lesion) {
    std::printf("suspected open lesion: ask the operator to confirm before any scalp work\n");
  }
}

void run_analyze(const AnalyzeArgs& args) {
  scalp::AnalyzerOptions options;
  options.um_per_px = args.um_per_px;
  std::string why;
  if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "--um-per-px"}, why);
  scalp::ScalpAnalyzer analyzer(options);
  std::vector<scalp::ImageAnalysis> results;
  for (std::size_t i = 0; i < args.images.size(); ++i) {
    scalp::Overlay overlay;
    results.push_back(
        analyzer.analyze_file(args.images[i], args.overlay.empty() ? nullptr : &overlay));
    if (!args.overlay.empty()) {
      scalp::write_png(overlay_path(args.overlay, i, args.images.size()), overlay.image);
    }
  }
  const scalp::ScalpAnalysis analysis = scalp::aggregate(std::move(results));
  if (args.json) {
    std::printf("%s\n", scalp::to_json(analysis).c_str());
  } else {
    print_text(analysis);
  }
}

void run_eval(const EvalArgs& args) {
  scalp::EvalOptions options;
  options.images_dir = args.images;
  options.labels_csv = args.labels;
  options.polygons_dir = args.polygons;
  options.cv_folds = args.cv;
  options.seed = args.seed;
  const scalp::EvalReport report = scalp::evaluate(options);
  if (args.json) {
    std::printf("%s\n", report.to_json().c_str());
  } else {
    std::printf("%s", report.BriefReport().c_str());
  }
}

void add_scalp_commands(CLI::App& app) {
  auto* scalp = app.add_subcommand("scalp", "Analyse magnified scalp photographs");
  scalp->require_subcommand(1);

  auto analyze_args = std::make_shared<AnalyzeArgs>();
  auto* analyze = scalp->add_subcommand(
      "analyze", "Flakes, oily shine, redness and hair in each image, and the findings");
  analyze->add_option("images", analyze_args->images, "Photographs (JPEG, PNG or BMP)")->required();
  analyze->add_flag("--json", analyze_args->json,
                    "Write the analysis as JSON (headspa/scalp-analysis@1)");
  analyze->add_option("--overlay", analyze_args->overlay,
                      "Write a PNG showing what was found (OUT-<n>.png for several images)");
  analyze
      ->add_option("--um-per-px", analyze_args->um_per_px,
                   "Image scale in micrometres per pixel (enables hair density and width)")
      ->check(CLI::NonNegativeNumber);
  analyze->callback([analyze_args] { run_analyze(*analyze_args); });

  auto eval_args = std::make_shared<EvalArgs>();
  auto* eval = scalp->add_subcommand(
      "eval", "Precision, recall and F1 per finding, and area agreement, against labels");
  eval->add_option("--images", eval_args->images, "Folder with the photographs")->required();
  eval->add_option("--labels", eval_args->labels, "labels.csv with per-image flags")->required();
  eval->add_option("--polygons", eval_args->polygons,
                   "Folder of YOLO polygon files for --cv (default: labels/ next to labels.csv)");
  eval->add_option("--cv", eval_args->cv,
                   "Refit in K-fold cross-validation and report held-out figures (K >= 2)");
  eval->add_option("--seed", eval_args->seed, "Seed for the fold assignment");
  eval->add_flag("--json", eval_args->json, "Write the report as JSON");
  eval->callback([eval_args] { run_eval(*eval_args); });
}

}  // namespace

namespace {
const bool kScalpRegistered = headspa::cli::register_area(30, &add_scalp_commands);
}  // namespace

}  // namespace headspa::cli
