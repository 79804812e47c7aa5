// The default head as a star-shaped surface around the head-frame origin (midway between the
// tragions): the distance to the surface along each unit direction, from a few convex blocks
// (cranium, face, neck) joined with a smooth maximum, plus smooth bumps and dents for the
// features (brow ridge, nose, eyes, lips, chin, ears, mastoids, inion).
// Private to the anatomy module.
#pragma once

#include "headspa/anatomy/default_head.hpp"

#include <Eigen/Core>

#include <vector>

namespace headspa::anatomy::detail {

using Vec3 = Eigen::Vector3d;

// A smooth bump (height > 0) or dent (height < 0) over a stroke in the direction sphere.
// Coordinates are metres along the surface near the anchor: s to the person's left, t up.
struct Bump {
  double azimuth = 0;    // anchor direction: atan2(x, z), rad
  double elevation = 0;  // anchor direction: asin(y), rad
  double radius_m = 0;   // distance of the anchor from the origin (turns angles into metres)
  double metres_per_azimuth = 0;  // radius_m * cos(elevation)
  double length_m = 0;            // stroke length from the anchor along angle_rad (0: a point)
  double cos_angle = 1;           // stroke direction in (s, t)
  double sin_angle = 0;
  double along_m = 0;     // extent beyond the stroke's ends
  double across_m = 0;    // half-width across the stroke
  double height_m = 0;    // peak height along the ray (negative: a dent)
  bool mirrored = false;  // also add the mirror image (left/right pair)
};

// Parameters of the three blocks; filled from HeadDimensions and then calibrated.
struct HeadBlocks {
  // Cranium: an eight-octant superellipsoid around (0, cy, cz).
  double cy = 0, cz = 0;
  double half_breadth = 0;     // x radius
  double up = 0, down = 0;     // y radii
  double front = 0, back = 0;  // z radii
  double square_front = 0;     // 0 = ellipse, 1 = L4 "squircle" (horizontal sections)
  double square_back = 0;
  // Face: ellipsoid cut by a jaw floor, a front plane, side planes and ramus bevels.
  Vec3 face_centre = Vec3::Zero();
  Vec3 face_radii = Vec3::Ones();
  double jaw_menton_y = 0, jaw_menton_z = 0, jaw_slope = 0;  // floor: y >= y_m + slope*(z_m - z)
  double front_z = 0, front_y = 0, front_slope = 0;          // z <= front_z + slope*(y - front_y)
  double side_x = 0, side_slope = 0;                         // |x| <= side_x - slope*z
  double ramus_x = 0, ramus_z = 0;                           // z >= ramus_z + (|x| - ramus_x)
  // Neck: an elliptic cone (wider at the base) leaning forward, cut by a slanted base.
  double neck_ref_y = 0, neck_ref_z = 0, neck_lean = 0;  // axis z = ref_z + lean*(y - ref_y)
  double neck_rx = 0, neck_rz = 0;                       // radii at ref_y
  double neck_flare = 0;                                 // radius grows by flare per m down
  double base_y = 0, base_z = 0, base_slope = 0;         // y >= base_y - slope*(z - base_z)
  double neck_top_y = 0;
};

// Design points of the face and the side of the head (head frame, metres).
struct HeadLayout {
  double glabella_y = 0, glabella_z = 0;
  double nasion_y = 0;
  double subnasale_y = 0, stomion_y = 0, menton_y = 0;
  double eye_y = 0;
  double occiput_z = 0;  // opisthocranion target
};

class HeadShape {
 public:
  HeadShape(const HeadDimensions& dims, Sex sex);

  // Distance from the origin to the surface along the unit direction u.
  double radius(const Vec3& u) const;
  // The surface point along direction d (any length > 0).
  Vec3 surface_point(const Vec3& d) const;
  // Direction whose surface point has the given x and y on the front of the face.
  Vec3 face_direction(double x, double y) const;
  // Direction whose surface point has the given y and z on the left side of the head.
  Vec3 side_direction(double y, double z) const;

  // Landmark directions (unit), left side and midline only; right = mirror.
  std::array<Vec3, kLandmarkCount> landmark_directions() const;

  const HeadBlocks& blocks() const { return blocks_; }
  const HeadLayout& layout() const { return layout_; }

  // Direction of the highest point of the left ear.
  Vec3 ear_apex_direction() const;

  // Circumference of the tape through glabella and opisthocranion (convex hull of the slice).
  double tape_circumference() const;

 private:
  double block_radius(const Vec3& u) const;    // folded direction (x >= 0), blocks only
  double feature_height(const Vec3& u) const;  // folded direction, bumps, nose and ear
  double nose_height(double azimuth, double elevation) const;
  double ear_height(double azimuth, double elevation) const;
  double bump_height(const Bump& b, double azimuth, double elevation) const;
  void add_bump(Vec3 from, Vec3 to, double along_m, double across_m, double height_m,
                bool mirrored);
  void place_features();
  void calibrate();

  HeadDimensions dims_;
  Sex sex_;
  HeadBlocks blocks_;
  HeadLayout layout_;
  std::vector<Bump> bumps_;
  double squareness_ = 0;  // calibrated: see calibrate()
  // Nose frame: anchor at the nasion.
  double nose_elev_ = 0, nose_radius_ = 0, nose_metres_per_azimuth_ = 0, nose_scale_ = 1;
  double nose_tip_t_ = 0, nose_end_t_ = 0, nose_tip_h_ = 0;
  // Ear frame: anchor at the tragion (direction +x).
  double ear_radius_ = 0;
  double ear_centre_s_ = 0, ear_centre_t_ = 0;
};

}  // namespace headspa::anatomy::detail
