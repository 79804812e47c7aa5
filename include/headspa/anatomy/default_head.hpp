// headspa's own default head: a parametric adult head with neck, built from anthropometric
// dimensions (ANSUR II), with its landmarks known by construction. No third-party mesh ships.
#pragma once

#include "headspa/anatomy/landmarks.hpp"
#include "headspa/geometry/mesh.hpp"

#include <string>

namespace headspa::anatomy {

enum class Sex { kFemale, kMale };

struct DefaultHeadOptions {
  Sex sex = Sex::kFemale;
  int percentile = 50;          // 5, 50 or 95
  int target_vertices = 30000;  // the mesh has about this many vertices (>= 2000)

  // False (with the reason in *why) when a field is out of range.
  bool IsValid(std::string* why) const;
};

// Head dimensions used to build the default head (metres), for the chosen sex and percentile.
struct HeadDimensions {
  double head_length_m = 0;         // glabella to opisthocranion
  double head_breadth_m = 0;        // maximum breadth above the ears
  double head_circumference_m = 0;  // above the brow ridges
  double tragion_to_top_m = 0;      // vertical, tragion to vertex
  double face_length_m = 0;         // menton to sellion
  double bizygomatic_breadth_m = 0;
  double neck_circumference_m = 0;       // below the larynx
  double neck_base_circumference_m = 0;  // at the base of the neck
  double ear_length_m = 0;
  double ear_breadth_m = 0;
  double ear_protrusion_m = 0;
  double interpupillary_m = 0;
};

HeadDimensions default_head_dimensions(Sex sex, int percentile);

struct DefaultHead {
  geometry::TriangleMesh mesh;  // closed, consistently oriented (outward normals), head frame, m
  LandmarkSet landmarks;        // by construction; each landmark's vertex lies on the mesh
  HeadDimensions dimensions;
};

// Builds the head. Deterministic: the same options give the same mesh bit for bit.
// Throws InputError when options are invalid.
DefaultHead make_default_head(const DefaultHeadOptions& options);

}  // namespace headspa::anatomy
