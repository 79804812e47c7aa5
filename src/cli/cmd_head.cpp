// `headspa head …`: inspect, export and build heads.
#include <nlohmann/json.hpp>

#include <cstdio>
#include <filesystem>
#include <iostream>
#include <string>

#include "command_registry.hpp"
#include "headspa/anatomy/head.hpp"
#include "headspa/core/error.hpp"
#include "headspa/geometry/import.hpp"

namespace headspa::cli {
namespace {

using anatomy::Head;
using nlohmann::json;

json vec(const Eigen::Vector3d& v) { return json::array({v.x(), v.y(), v.z()}); }

json range_json(double value, anatomy::AdultRange r) {
  return json{{"value", value},
              {"adult_range", {r.min_m, r.max_m}},
              {"within", value >= r.min_m && value <= r.max_m}};
}

json head_json(const Head& head, const std::string& file) {
  json j;
  j["format"] = "headspa/head-inspect@1";
  j["file"] = file;
  j["vertices"] = head.mesh.vertices.size();
  j["faces"] = head.mesh.faces.size();
  j["units"] = {{"metres_per_file_unit", head.unit_factor}, {"how", head.unit_note}};
  json m = json::array();
  for (int r = 0; r < 4; ++r) {
    m.push_back({head.file_to_head(r, 0), head.file_to_head(r, 1), head.file_to_head(r, 2),
                 head.file_to_head(r, 3)});
  }
  j["file_to_head"] = m;
  const auto& d = head.measurements;
  j["dimensions_m"] = {
      {"length", range_json(d.length_m, anatomy::adult_head_length_range())},
      {"breadth", range_json(d.breadth_m, anatomy::adult_head_breadth_range())},
      {"height", range_json(d.height_m, anatomy::adult_head_height_range())},
      {"circumference", range_json(d.circumference_m, anatomy::adult_head_circumference_range())}};
  json lm = json::object();
  for (int i = 0; i < anatomy::kLandmarkCount; ++i) {
    lm[std::string(anatomy::landmark_name(static_cast<anatomy::Landmark>(i)))] =
        vec(head.landmarks.position[static_cast<std::size_t>(i)]);
  }
  j["landmarks_m"] = lm;
  json pp = json::array();
  for (const auto& p : head.pressure_points) {
    pp.push_back({{"name", anatomy::acupoint_name(p.point)},
                  {"side", anatomy::side_name(p.side)},
                  {"position_m", vec(p.position)},
                  {"normal", vec(p.normal)},
                  {"region", anatomy::region_name(p.region)}});
  }
  j["pressure_points"] = pp;
  std::vector<double> area(anatomy::kRegionCount, 0.0);
  const std::vector<double> va = geometry::vertex_areas(head.mesh);
  for (std::size_t v = 0; v < va.size(); ++v) {
    area[static_cast<std::size_t>(head.regions.label[v])] += va[v];
  }
  json areas = json::object();
  for (int r = 0; r < anatomy::kRegionCount; ++r) {
    const auto region = static_cast<anatomy::Region>(r);
    areas[std::string(anatomy::region_name(region))] = area[static_cast<std::size_t>(r)];
  }
  j["region_area_m2"] = areas;
  const auto& c = head.clean_report;
  j["cleaning"] = {{"input_vertices", c.input_vertices},
                   {"input_faces", c.input_faces},
                   {"welded_vertices", c.welded_vertices},
                   {"degenerate_faces", c.degenerate_faces},
                   {"duplicate_faces", c.duplicate_faces},
                   {"dropped_components", c.dropped_components},
                   {"unused_vertices", c.unused_vertices},
                   {"flipped_faces", c.flipped_faces},
                   {"components", c.components}};
  json loops = json::array();
  for (const auto& b : c.boundaries) {
    loops.push_back({{"vertices", b.vertices.size()}, {"length_m", b.length * head.unit_factor}});
  }
  j["boundaries"] = loops;
  j["non_manifold_edges"] = c.non_manifold_edges;
  j["warnings"] = head.warnings;
  return j;
}

void print_text(const Head& head, const std::string& file) {
  const json j = head_json(head, file);
  std::printf("%s\n", file.c_str());
  std::printf("  vertices %zu, faces %zu\n", head.mesh.vertices.size(), head.mesh.faces.size());
  std::printf("  units: %.6g m per file unit (%s)\n", head.unit_factor, head.unit_note.c_str());
  std::printf("  file -> head frame:\n");
  for (int r = 0; r < 4; ++r) {
    std::printf("    [% .6f % .6f % .6f % .6f]\n", head.file_to_head(r, 0), head.file_to_head(r, 1),
                head.file_to_head(r, 2), head.file_to_head(r, 3));
  }
  std::printf("  dimensions (m)          value   adult range\n");
  for (const char* key : {"length", "breadth", "height", "circumference"}) {
    const auto& d = j["dimensions_m"][key];
    std::printf("    %-18s %8.4f   %.3f-%.3f%s\n", key, d["value"].get<double>(),
                d["adult_range"][0].get<double>(), d["adult_range"][1].get<double>(),
                d["within"].get<bool>() ? "" : "  (outside)");
  }
  std::printf("  landmarks (head frame, m)\n");
  for (int i = 0; i < anatomy::kLandmarkCount; ++i) {
    const auto& p = head.landmarks.position[static_cast<std::size_t>(i)];
    std::printf("    %-20s % .4f % .4f % .4f\n",
                std::string(anatomy::landmark_name(static_cast<anatomy::Landmark>(i))).c_str(),
                p.x(), p.y(), p.z());
  }
  std::printf("  pressure points (head frame, m)\n");
  for (const auto& p : head.pressure_points) {
    std::printf("    %-8s %-8s % .4f % .4f % .4f  %s\n",
                std::string(anatomy::acupoint_name(p.point)).c_str(),
                std::string(anatomy::side_name(p.side)).c_str(), p.position.x(), p.position.y(),
                p.position.z(), std::string(anatomy::region_name(p.region)).c_str());
  }
  std::printf("  area per region (cm²)\n");
  for (const auto& [name, area] : j["region_area_m2"].items()) {
    std::printf("    %-22s %7.1f\n", name.c_str(), area.get<double>() * 1e4);
  }
  for (const auto& w : head.warnings) std::printf("  warning: %s\n", w.c_str());
}

std::vector<geometry::Rgb> region_colours(const Head& head) {
  std::vector<geometry::Rgb> colours(head.mesh.vertices.size());
  for (std::size_t v = 0; v < colours.size(); ++v) {
    colours[v] = anatomy::region_colour(head.regions.label[v]);
  }
  return colours;
}

void add_head_commands(CLI::App& app) {
  auto* head = app.add_subcommand("head", "Import, inspect, export and build heads");
  head->require_subcommand(1);

  struct InspectArgs {
    std::string mesh, units;
    bool json = false;
  };
  auto inspect_args = std::make_shared<InspectArgs>();
  auto* inspect = head->add_subcommand("inspect", "Import a head scan and report its anatomy");
  inspect->add_option("MESH", inspect_args->mesh, "Head scan (.obj .ply .stl .gltf .glb)")
      ->required();
  inspect->add_option("--units", inspect_args->units, "m|cm|mm|dm|in|auto (default: infer)");
  inspect->add_flag("--json", inspect_args->json, "Print JSON (keys in docs/head-inspect.md)");
  inspect->callback([inspect_args] {
    const Head h = anatomy::import_head(inspect_args->mesh,
                                        anatomy::import_options_for_units(inspect_args->units));
    if (inspect_args->json) {
      std::cout << head_json(h, inspect_args->mesh).dump(2) << "\n";
    } else {
      print_text(h, inspect_args->mesh);
    }
  });

  struct ExportArgs {
    std::string mesh, units, out;
  };
  auto export_args = std::make_shared<ExportArgs>();
  auto* exp = head->add_subcommand("export", "Write the normalised head coloured by region");
  exp->add_option("MESH", export_args->mesh, "Head scan")->required();
  exp->add_option("--units", export_args->units, "m|cm|mm|dm|in|auto (default: infer)");
  exp->add_option("-o,--output", export_args->out, "out.ply or out.glb")->required();
  exp->callback([export_args] {
    const std::string ext = std::filesystem::path(export_args->out).extension().string();
    if (ext != ".ply" && ext != ".glb") {
      throw InputError(InputLocation{export_args->out, 0, 0, {}},
                       "unknown output extension '" + ext + "'; expected .ply or .glb");
    }
    const Head h = anatomy::import_head(export_args->mesh,
                                        anatomy::import_options_for_units(export_args->units));
    if (ext == ".ply") {
      geometry::write_ply(h.mesh, region_colours(h), export_args->out);
    } else {
      geometry::write_glb(h.mesh, region_colours(h), export_args->out);
    }
    std::printf("wrote %s (%zu vertices)\n", export_args->out.c_str(), h.mesh.vertices.size());
  });

  struct DefaultArgs {
    std::string sex = "f", out;
    int percentile = 50;
    int vertices = 30000;
  };
  auto default_args = std::make_shared<DefaultArgs>();
  auto* def = head->add_subcommand("default", "Build headspa's parametric default head");
  def->add_option("--sex", default_args->sex, "f or m")->check(CLI::IsMember({"f", "m"}));
  def->add_option("--percentile", default_args->percentile, "5, 50 or 95")
      ->check(CLI::IsMember({5, 50, 95}));
  def->add_option("--vertices", default_args->vertices, "About this many vertices");
  def->add_option("-o,--output", default_args->out, "head.obj (or .ply/.glb, coloured by region)")
      ->required();
  def->callback([default_args] {
    anatomy::DefaultHeadOptions options;
    options.sex = default_args->sex == "m" ? anatomy::Sex::kMale : anatomy::Sex::kFemale;
    options.percentile = default_args->percentile;
    options.target_vertices = default_args->vertices;
    std::string why;
    if (!options.IsValid(&why)) throw InputError(InputLocation{{}, 0, 0, "head default"}, why);
    const Head h = anatomy::built_in_head(options);
    const std::string ext = std::filesystem::path(default_args->out).extension().string();
    if (ext == ".obj") {
      geometry::write_obj(h.mesh, default_args->out);
    } else if (ext == ".ply") {
      geometry::write_ply(h.mesh, region_colours(h), default_args->out);
    } else if (ext == ".glb") {
      geometry::write_glb(h.mesh, region_colours(h), default_args->out);
    } else {
      throw InputError(InputLocation{default_args->out, 0, 0, {}},
                       "unknown output extension '" + ext + "'; expected .obj, .ply or .glb");
    }
    std::printf("wrote %s (%zu vertices, %zu faces)\n", default_args->out.c_str(),
                h.mesh.vertices.size(), h.mesh.faces.size());
  });
}

const bool kHeadRegistered = register_area(10, &add_head_commands);

}  // namespace
}  // namespace headspa::cli
