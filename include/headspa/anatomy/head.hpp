// The Head: a scan (or the built-in head) in metres and in the head frame, with its landmarks,
// per-vertex regions and no-go zones, pressure points and tissue map.
#pragma once

#include <Eigen/Core>

#include <optional>
#include <string>
#include <vector>

#include "headspa/anatomy/default_head.hpp"
#include "headspa/anatomy/landmarks.hpp"
#include "headspa/anatomy/regions.hpp"
#include "headspa/core/units.hpp"
#include "headspa/geometry/import.hpp"
#include "headspa/geometry/mesh.hpp"

namespace headspa::anatomy {

// How the file's unit is chosen.
enum class UnitMode {
  kInfer,  // the one unit whose adult head size fits; an error when none or several fit
  kGiven,  // ImportOptions::unit
  kAuto,   // scale the head to the adult mean head length and report the factor
};

struct ImportOptions {
  UnitMode unit_mode = UnitMode::kInfer;
  LengthUnit unit = LengthUnit::kMetre;  // used with UnitMode::kGiven
  geometry::CleanOptions clean;
};

// Parses a --units value: m|cm|mm|dm|in|auto. Throws InputError naming the option otherwise.
ImportOptions import_options_for_units(const std::string& units);

// Head dimensions measured on the mesh (metres).
struct HeadMeasurements {
  double length_m = 0;         // glabella to the farthest point behind it (opisthocranion)
  double breadth_m = 0;        // widest left-right extent above the ears
  double height_m = 0;         // tragion level to the vertex
  double circumference_m = 0;  // around the head through the glabella and opisthocranion
};

// Adult ranges (ANSUR II 2012, the smallest and largest woman or man measured), metres.
struct AdultRange {
  double min_m, max_m;
};
AdultRange adult_head_length_range() noexcept;
AdultRange adult_head_breadth_range() noexcept;
AdultRange adult_head_height_range() noexcept;
AdultRange adult_head_circumference_range() noexcept;

// Wall-clock seconds spent in each stage of an import (for benchmarks and -v; never part of
// any output that must be reproducible).
struct ImportTimings {
  double load_s = 0;       // reading the file
  double clean_s = 0;      // welding, orientation, components, boundaries
  double pose_s = 0;       // symmetry plane, nose, up, template fit, units
  double landmarks_s = 0;  // landmark detection and the head frame
  double regions_s = 0;    // measurements, regions, pressure points
};

struct Head {
  geometry::TriangleMesh mesh;  // head frame, metres
  LandmarkSet landmarks;
  RegionMap regions;
  std::vector<PressurePoint> pressure_points;
  HeadMeasurements measurements;

  // Provenance of an imported scan.
  double unit_factor = 1.0;  // metres per file unit, as applied
  std::string unit_note;     // how the unit was chosen, e.g. "inferred: cm"
  Eigen::Matrix4d file_to_head = Eigen::Matrix4d::Identity();  // homogeneous, file -> head frame
  geometry::CleanReport clean_report;
  std::vector<std::string> warnings;
  ImportTimings timings;
};

// Reads, cleans and normalises a head scan, then finds its anatomy. Throws InputError (with the
// file name) for anything that is not a usable adult head.
Head import_head(const std::string& path, const ImportOptions& options);

// The same from a mesh already in memory; `name` appears in error messages.
Head prepare_head(geometry::TriangleMesh mesh, const ImportOptions& options,
                  const std::string& name);

// The built-in head with its anatomy (landmarks by construction).
Head built_in_head(const DefaultHeadOptions& options);

// Finds the regions, pressure points and measurements for a mesh already in the head frame
// with known landmarks.
void annotate_head(Head& head);

// Measures a head already in the head frame.
HeadMeasurements measure_head(const geometry::TriangleMesh& mesh, const LandmarkSet& landmarks);

}  // namespace headspa::anatomy
