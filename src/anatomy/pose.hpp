// Finding a head's pose and size in a scan whose axes and units are unknown (private).
#pragma once

#include <Eigen/Core>

#include <vector>

#include "headspa/anatomy/default_head.hpp"
#include "headspa/geometry/mesh.hpp"

namespace headspa::anatomy::detail {

// Where the head is in file coordinates.
struct ScanPose {
  Eigen::Matrix3d rotation;     // file axes -> head axes (rows: left, up, forward)
  Eigen::Vector3d nose_tip;     // file coordinates
  double template_scale = 1.0;  // file units -> metres if the head were the template's size
  Eigen::Vector3d template_offset = Eigen::Vector3d::Zero();  // translation of that fit
  double fit_rms_m = 0;  // RMS distance to the template after the fit (template metres)
};

// Finds the mid-sagittal plane, the nose and which way is up, then refines the pose by fitting
// the template head (similarity ICP). Throws InputError when no head-like pose is found.
// `near_boundary` flags vertices on or next to an open boundary.
ScanPose find_pose(const geometry::TriangleMesh& mesh, const std::vector<char>& near_boundary,
                   const DefaultHead& templ, const std::string& name);

}  // namespace headspa::anatomy::detail
