// Refits the scalp model from labelled photographs and writes the C++ coefficient file that
// src/scalp/model.cpp compiles in. Deterministic: the same photographs, options and seed give
// the same file, byte for byte.
//
//   train_scalp_model --data ../shared/data/scalp --out src/scalp/model_data.inc
//
// The data folder holds images/*.jpg, labels/*.txt (YOLO polygons: 0 d, 1 ds, 2 o, 3 s) and
// labels.csv (per-image flags). Only the learned coefficients are written; no photograph is.
#include <CLI/CLI.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "headspa/core/error.hpp"
#include "headspa/scalp/eval.hpp"
#include "headspa/scalp/training.hpp"

namespace fs = std::filesystem;
using namespace headspa::scalp;

int main(int argc, char** argv) {
  CLI::App app{"Refit the scalp patch models from labelled photographs"};
  std::string data;
  std::string out;
  TrainingOptions options;
  app.add_option("--data", data, "Folder with images/, labels/ and labels.csv")->required();
  app.add_option("--out", out, "Where to write the coefficient file (model_data.inc)")->required();
  app.add_option("--seed", options.seed, "Seed for the fold assignment")->capture_default_str();
  app.add_option("--l2", options.l2, "Ridge penalty of the patch models")->capture_default_str();
  app.add_option("--image-l2", options.image_l2, "Ridge penalty of the image decisions")
      ->capture_default_str();
  CLI11_PARSE(app, argc, argv);

  try {
    const fs::path root(data);
    const auto rows = load_labels_csv((root / "labels.csv").string());
    std::vector<TrainingImage> images;
    for (const auto& r : rows) {
      const fs::path ip = root / "images" / r.file;
      if (!fs::exists(ip)) continue;
      const Image img = load_image(ip.string());
      TrainingImage t;
      t.table = compute_patch_table(img.view());
      const fs::path lp = root / "labels" / fs::path(r.file).replace_extension(".txt");
      std::vector<LabelPolygon> polys;
      if (fs::exists(lp)) {
        std::ifstream in(lp);
        std::stringstream s;
        s << in.rdbuf();
        polys = parse_yolo_polygons(s.str(), lp.string());
      }
      t.flake_cover = patch_coverage(polys, {kClassFlakes, kClassShaftFlakes}, t.table);
      t.oil_cover = patch_coverage(polys, {kClassOil}, t.table);
      t.has_flakes = r.flakes;
      t.has_oil = r.oil;
      images.push_back(std::move(t));
    }
    ScalpModel model = fit_scalp_model(images, options);
    model.provenance = "fitted on " + std::to_string(images.size()) +
                       " labelled photographs of Roboflow Universe scalp-data v5 (CC BY 4.0), "
                       "l2 " +
                       std::to_string(options.l2) + ", image l2 " +
                       std::to_string(options.image_l2) + ", seed " + std::to_string(options.seed);
    std::ofstream o(out, std::ios::trunc);
    o << model_to_cpp_source(model);
    if (!o) throw headspa::InputError(headspa::InputLocation{out, 0, 0, {}}, "cannot write");
    std::printf("wrote %s from %zu images\n", out.c_str(), images.size());
  } catch (const headspa::InputError& e) {
    std::fprintf(stderr, "train_scalp_model: error: %s\n", e.what());
    return 2;
  }
  return 0;
}
