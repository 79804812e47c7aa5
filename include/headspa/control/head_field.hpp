// HeadField: a per-head sampled field the safety monitor reads in constant time: distance to the
// skin and its normal, distance to the nearest no-go zone, and the lowest force cap nearby. Built
// once from the head's vertices and region labels; queries are allocation-free.
#pragma once

#include <Eigen/Core>
#include <vector>

#include "headspa/anatomy/head.hpp"

namespace headspa::control {

struct HeadFieldOptions {
  double cell_m = 0.004;         // grid spacing
  double border_m = 0.03;        // grid extends this far past the head's bounding box
  double max_distance_m = 0.02;  // distances are capped here
  // The cap at a point is the lowest cap of the massage vertices no farther from it than the
  // nearest massage vertex plus this: the region under the pad, as the planner and the tissue
  // map define a cap, resolved to the grid (a cell's value stands for points up to 3.5 mm away).
  double cap_reach_m = 0.001;
  // ... and zero where a vertex that is not massaged (unlabelled skin such as the ear, or a
  // no-go zone) is nearer than the nearest massage vertex by more than this. A pad beside the
  // ear lobe, or where the neck flares into the shoulders, has unlabelled skin about as near as
  // the skin it presses (the planner lets the pad come within 0.5 mm of other skin), and the
  // cell read stands for points up to 3.5 mm away, on a mesh whose vertices are 3 mm apart.
  double unlabelled_margin_m = 0.003;
};

// The three values at one point (head frame).
struct HeadFieldSample {
  double skin_distance_m = 0.0;   // to the nearest vertex, capped at max_distance_m
  double no_go_distance_m = 0.0;  // to the nearest no-go vertex, capped at max_distance_m
  double force_cap_n = 0.0;       // 0: no massage vertex near, or other skin nearer (see options)
  // Outward skin normal as a ball centred here meets it: the direction from the closest point
  // of the skin (the face normal on the skin itself), blended across the grid (unit; zero where
  // no skin is within 16 mm).
  Eigen::Vector3d skin_normal = Eigen::Vector3d::Zero();
};

class HeadField {
 public:
  explicit HeadField(const anatomy::Head& head, const HeadFieldOptions& options = {});

  // Trilinear for the distances, nearest cell for the cap; points outside the grid read as far
  // from everything with a zero cap.
  HeadFieldSample at(const Eigen::Vector3d& p_head) const noexcept;
  const HeadFieldOptions& options() const noexcept { return options_; }

 private:
  HeadFieldOptions options_;
  Eigen::Vector3d origin_ = Eigen::Vector3d::Zero();
  int nx_ = 0, ny_ = 0, nz_ = 0;
  std::vector<float> skin_, no_go_, cap_;
  std::vector<float> normal_x_, normal_y_, normal_z_;
  std::size_t index(int i, int j, int k) const noexcept {
    return (static_cast<std::size_t>(k) * static_cast<std::size_t>(ny_) +
            static_cast<std::size_t>(j)) *
               static_cast<std::size_t>(nx_) +
           static_cast<std::size_t>(i);
  }
};

}  // namespace headspa::control
