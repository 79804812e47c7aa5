// From a scan file to a Head: clean, find the pose, choose the unit, find the landmarks.
#include <Eigen/Geometry>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <sstream>
#include <string>

#include "headspa/anatomy/head.hpp"
#include "headspa/core/error.hpp"
#include "headspa/core/log.hpp"
#include "point_index.hpp"
#include "pose.hpp"

namespace headspa::anatomy {
namespace {

using geometry::TriangleMesh;
using Vec3 = Eigen::Vector3d;

// ANSUR II 2012: women's minimum to men's maximum, widened by 10 % for scans of hair caps and
// ears. Used only to decide the unit of a file.
constexpr AdultRange kLengthForUnits{0.150, 0.250};
constexpr AdultRange kBreadthForUnits{0.115, 0.200};
// Mean adult head length (ANSUR II, men 199.5 mm and women 189.8 mm).
constexpr double kMeanAdultHeadLengthM = 0.1947;
constexpr int kMinimumVertices = 300;
// Largest RMS distance between a scan and the fitted template head for it to count as a head.
constexpr double kMaxTemplateRmsM = 0.012;

const DefaultHead& template_head() {
  static const DefaultHead head = make_default_head(DefaultHeadOptions{Sex::kFemale, 50, 6000});
  return head;
}

std::vector<char> near_boundary_flags(const TriangleMesh& mesh,
                                      const geometry::CleanReport& report) {
  std::vector<char> flags(mesh.vertices.size(), 0);
  for (const auto& loop : report.boundaries) {
    for (int v : loop.vertices) flags[static_cast<std::size_t>(v)] = 1;
  }
  // Two rings around the boundary.
  const geometry::VertexAdjacency adj = geometry::vertex_adjacency(mesh);
  for (int ring = 0; ring < 2; ++ring) {
    std::vector<char> next = flags;
    for (std::size_t v = 0; v < flags.size(); ++v) {
      if (!flags[v]) continue;
      for (int k = adj.offsets[v]; k < adj.offsets[v + 1]; ++k) {
        next[static_cast<std::size_t>(adj.indices[static_cast<std::size_t>(k)])] = 1;
      }
    }
    flags = std::move(next);
  }
  return flags;
}

std::string format_mm(double metres) {
  std::ostringstream s;
  s.setf(std::ios::fixed);
  s.precision(0);
  s << metres * 1000.0 << " mm";
  return s.str();
}

// Head length and breadth in file units, with the mesh in the head's orientation.
struct RawSize {
  double length = 0, breadth = 0;
};

RawSize raw_head_size(const TriangleMesh& mesh, const detail::ScanPose& pose,
                      const DefaultHead& templ) {
  // Heights of the template's nasion and ear apex above its nose tip, in file units.
  const Vec3& t_nose = templ.landmarks[Landmark::kNoseTip];
  const double nasion_h = (templ.landmarks[Landmark::kNasion] - t_nose).y() / pose.template_scale;
  const double ear_h = (templ.landmarks[Landmark::kEarApexLeft] - t_nose).y() / pose.template_scale;
  RawSize size;
  double zlo = std::numeric_limits<double>::infinity(), zhi = -zlo;
  double xlo = zlo, xhi = -zlo;
  for (const Vec3& p : mesh.vertices) {
    const Vec3 q = pose.rotation * (p - pose.nose_tip);
    if (q.y() > nasion_h) {
      zlo = std::min(zlo, q.z());
      zhi = std::max(zhi, q.z());
    }
    if (q.y() > ear_h) {
      xlo = std::min(xlo, q.x());
      xhi = std::max(xhi, q.x());
    }
  }
  size.length = zhi - zlo;
  size.breadth = xhi - xlo;
  return size;
}

bool fits(double value_m, AdultRange r) { return value_m >= r.min_m && value_m <= r.max_m; }

// ---------------------------------------------------------------------------------------------
// Landmarks on a mesh in the head's orientation (metres), seeded by the template's landmarks.

// The vertices' k-d tree is built once, in the frame the mesh had when the landmarks were first
// sought; the frame moves rigidly afterwards, so a query is moved back into that frame instead
// of building the tree again.
struct SnapIndex {
  const detail::PointIndex& index;                         // over the vertices in the first frame
  Eigen::Matrix3d rotation = Eigen::Matrix3d::Identity();  // current frame -> first frame
  Vec3 offset = Vec3::Zero();
};

struct Detector {
  const TriangleMesh& mesh;
  const std::vector<char>& near_boundary;
  const SnapIndex& index;
  double k;  // the scan's size relative to the template

  int snap(const Vec3& p) const { return index.index.nearest(index.rotation * p + index.offset); }
  const Vec3& at(int v) const { return mesh.vertices[static_cast<std::size_t>(v)]; }

  // Vertices within `radius` of `centre`.
  std::vector<int> around(const Vec3& centre, double radius) const {
    std::vector<int> out;
    const double r2 = radius * radius;
    for (int v = 0; v < static_cast<int>(mesh.vertices.size()); ++v) {
      if ((at(v) - centre).squaredNorm() <= r2 && !near_boundary[static_cast<std::size_t>(v)]) {
        out.push_back(v);
      }
    }
    return out;
  }

  // The vertex of `candidates` maximising score (ties: lowest index); -1 when empty.
  template <typename Score>
  static int best(const std::vector<int>& candidates, Score score) {
    int arg = -1;
    double top = -std::numeric_limits<double>::infinity();
    for (int v : candidates) {
      const double s = score(v);
      if (s > top) {
        top = s;
        arg = v;
      }
    }
    return arg;
  }
};

LandmarkSet detect_landmarks(const TriangleMesh& mesh, const std::vector<char>& near_boundary,
                             const SnapIndex& index,
                             const std::array<Vec3, kLandmarkCount>& predicted, double k) {
  Detector d{mesh, near_boundary, index, k};
  std::array<int, kLandmarkCount> found{};
  auto pred = [&](Landmark l) { return predicted[static_cast<std::size_t>(l)]; };
  auto set = [&](Landmark l, int v) {
    found[static_cast<std::size_t>(l)] = v >= 0 ? v : d.snap(pred(l));
  };
  // Start from the template's landmarks snapped onto the scan.
  for (int i = 0; i < kLandmarkCount; ++i) {
    found[static_cast<std::size_t>(i)] = d.snap(predicted[static_cast<std::size_t>(i)]);
  }
  const double cm = 0.01 * k;

  // Nose tip: the most forward point of the face.
  const Vec3 nose_guess = pred(Landmark::kNoseTip);
  {
    std::vector<int> c;
    for (int v : d.around(nose_guess, 4 * cm)) {
      if (std::abs(d.at(v).x() - nose_guess.x()) < 2 * cm) c.push_back(v);
    }
    set(Landmark::kNoseTip, Detector::best(c, [&](int v) { return d.at(v).z(); }));
  }
  const Vec3 nose = d.at(found[static_cast<int>(Landmark::kNoseTip)]);
  const double mid_x = nose.x();
  auto on_midline = [&](int v, double half_width) {
    return std::abs(d.at(v).x() - mid_x) < half_width;
  };

  // Vertex: the highest point of the head.
  {
    std::vector<int> c;
    for (int v = 0; v < static_cast<int>(mesh.vertices.size()); ++v) {
      if (!near_boundary[static_cast<std::size_t>(v)]) c.push_back(v);
    }
    set(Landmark::kVertex, Detector::best(c, [&](int v) { return d.at(v).y(); }));
  }

  // Nasion and glabella from the front midline profile.
  {
    const Vec3 n_guess = pred(Landmark::kNasion);
    std::vector<int> band;
    for (int v : d.around(n_guess, 4 * cm)) {
      if (on_midline(v, 0.6 * cm) && d.at(v).z() > nose.z() - 5 * cm &&
          d.at(v).y() > nose.y() + 1 * cm) {
        band.push_back(v);
      }
    }
    // Front profile: the most forward vertex in 2 mm height bins.
    const double bin = 0.2 * cm;
    std::vector<std::pair<int, int>> profile;  // (bin, vertex)
    for (int v : band) {
      const int b = static_cast<int>(std::floor(d.at(v).y() / bin));
      auto it = std::find_if(profile.begin(), profile.end(), [&](auto& e) { return e.first == b; });
      if (it == profile.end()) {
        profile.emplace_back(b, v);
      } else if (d.at(v).z() > d.at(it->second).z()) {
        it->second = v;
      }
    }
    std::sort(profile.begin(), profile.end());
    int nasion = -1;
    double deepest = std::numeric_limits<double>::infinity();
    for (auto [b, v] : profile) {
      if (std::abs(d.at(v).y() - n_guess.y()) < 2 * cm && d.at(v).z() < deepest) {
        deepest = d.at(v).z();
        nasion = v;
      }
    }
    set(Landmark::kNasion, nasion);
    const Vec3 nas = d.at(found[static_cast<int>(Landmark::kNasion)]);
    int glabella = -1;
    double front = -std::numeric_limits<double>::infinity();
    for (auto [b, v] : profile) {
      if (d.at(v).y() > nas.y() && d.at(v).y() < nas.y() + 3 * cm && d.at(v).z() > front) {
        front = d.at(v).z();
        glabella = v;
      }
    }
    set(Landmark::kGlabella, glabella);
  }

  // Chin (menton): the lowest point of the chin on the midline, not sliding back into the neck.
  {
    const Vec3 g = pred(Landmark::kChin);
    std::vector<int> c;
    for (int v : d.around(g, 3 * cm)) {
      if (on_midline(v, 0.8 * cm) && d.at(v).z() > g.z() - 1.5 * cm) c.push_back(v);
    }
    set(Landmark::kChin, Detector::best(c, [&](int v) { return -d.at(v).y(); }));
  }

  // Each side: tragion (the front of the ear opening) and ear apex. The jaw angles, mastoids,
  // eye and brow corners and mouth corners stay where the fitted template puts them.
  for (int side = 0; side < 2; ++side) {
    const double s = side == 0 ? 1.0 : -1.0;  // +X is the person's left
    const Landmark tragion = side == 0 ? Landmark::kTragionLeft : Landmark::kTragionRight;
    const Landmark apex = side == 0 ? Landmark::kEarApexLeft : Landmark::kEarApexRight;
    // The tragion stays where the fitted template puts it (snapped to the surface): the ear's
    // deepest recess is the concha, about a centimetre behind the tragion.
    const Vec3 tr = d.at(found[static_cast<std::size_t>(tragion)]);
    {
      std::vector<int> c;
      for (int v : d.around(pred(apex), 2.0 * cm)) {
        if (s * d.at(v).x() > s * tr.x() + 1.2 * cm && d.at(v).y() > tr.y()) c.push_back(v);
      }
      set(apex, c.empty() ? -1 : Detector::best(c, [&](int v) { return d.at(v).y(); }));
    }
  }

  LandmarkSet set_out;
  for (int i = 0; i < kLandmarkCount; ++i) {
    set_out.vertex[static_cast<std::size_t>(i)] = found[static_cast<std::size_t>(i)];
    set_out.position[static_cast<std::size_t>(i)] = d.at(found[static_cast<std::size_t>(i)]);
  }
  return set_out;
}

// Elevation of the nasion above the horizontal, seen from midway between the tragions (rad).
double nasion_pitch(const LandmarkSet& lm) {
  const Vec3 origin = 0.5 * (lm[Landmark::kTragionLeft] + lm[Landmark::kTragionRight]);
  const Vec3 v = lm[Landmark::kNasion] - origin;
  return std::atan2(v.y(), v.z());
}

}  // namespace

// ANSUR II 2012: the smallest and largest of 6,068 adults (women and men).
AdultRange adult_head_length_range() noexcept { return {0.168, 0.225}; }
AdultRange adult_head_breadth_range() noexcept { return {0.131, 0.180}; }
AdultRange adult_head_height_range() noexcept { return {0.105, 0.150}; }
AdultRange adult_head_circumference_range() noexcept { return {0.500, 0.635}; }

ImportOptions import_options_for_units(const std::string& units) {
  ImportOptions options;
  if (units.empty()) return options;
  if (units == "auto") {
    options.unit_mode = UnitMode::kAuto;
    return options;
  }
  const auto unit = parse_length_unit(units);
  if (!unit) {
    throw InputError(InputLocation{{}, 0, 0, "--units"},
                     "unknown unit '" + units + "'; expected m, cm, mm, dm, in or auto");
  }
  options.unit_mode = UnitMode::kGiven;
  options.unit = *unit;
  return options;
}

namespace {
using Clock = std::chrono::steady_clock;
double seconds_since(Clock::time_point t0) {
  return std::chrono::duration<double>(Clock::now() - t0).count();
}
}  // namespace

Head import_head(const std::string& path, const ImportOptions& options) {
  const auto t0 = Clock::now();
  TriangleMesh mesh = geometry::load_mesh_file(path);
  const double load_s = seconds_since(t0);
  Head head = prepare_head(std::move(mesh), options, path);
  head.timings.load_s = load_s;
  return head;
}

Head prepare_head(TriangleMesh mesh, const ImportOptions& options, const std::string& name) {
  auto fail = [&](const std::string& what) {
    throw InputError(InputLocation{name, 0, 0, {}}, what);
  };
  for (const Vec3& p : mesh.vertices) {
    if (!p.allFinite()) fail("a vertex has a non-finite coordinate (NaN or inf)");
  }
  Head head;
  auto t0 = Clock::now();
  head.clean_report = geometry::clean_mesh(mesh, options.clean);
  head.timings.clean_s = seconds_since(t0);
  t0 = Clock::now();
  if (static_cast<int>(mesh.vertices.size()) < kMinimumVertices) {
    fail("not a head scan: " + std::to_string(mesh.vertices.size()) +
         " vertices after cleaning, a head needs at least " + std::to_string(kMinimumVertices));
  }
  const std::vector<char> near_boundary = near_boundary_flags(mesh, head.clean_report);
  const DefaultHead& templ = template_head();
  const detail::ScanPose pose = detail::find_pose(mesh, near_boundary, templ, name);

  if (pose.fit_rms_m > kMaxTemplateRmsM) {
    std::ostringstream msg;
    msg.precision(3);
    msg << "not a head: the shape does not match a head (template fit RMS " << pose.fit_rms_m * 1000
        << " mm, at most " << kMaxTemplateRmsM * 1000 << " mm expected)";
    fail(msg.str());
  }

  // The unit.
  const RawSize raw = raw_head_size(mesh, pose, templ);
  double unit = 1.0;
  switch (options.unit_mode) {
    case UnitMode::kGiven:
      unit = metres_per_unit(options.unit);
      head.unit_note = "given: " + std::string(unit_symbol(options.unit));
      break;
    case UnitMode::kAuto:
      unit = kMeanAdultHeadLengthM / raw.length;
      head.unit_note = "auto: scaled to the adult mean head length";
      break;
    case UnitMode::kInfer: {
      std::vector<LengthUnit> fitting;
      for (LengthUnit u : kAllLengthUnits) {
        const double f = metres_per_unit(u);
        if (fits(raw.length * f, kLengthForUnits) && fits(raw.breadth * f, kBreadthForUnits)) {
          fitting.push_back(u);
        }
      }
      if (fitting.size() != 1) {
        std::ostringstream msg;
        msg.precision(4);
        msg << "cannot infer units: head length " << raw.length << " and breadth " << raw.breadth
            << " file units fit " << (fitting.empty() ? "no" : "more than one")
            << " adult head size in m, dm, cm, mm or in; pass --units U, or --units auto to "
               "scale it to adult size";
        fail(msg.str());
      }
      unit = metres_per_unit(fitting.front());
      head.unit_note = "inferred: " + std::string(unit_symbol(fitting.front()));
      break;
    }
  }
  if (!(unit > 0) || !std::isfinite(unit)) fail("cannot scale the head: its size is zero");
  head.unit_factor = unit;
  head.timings.pose_s = seconds_since(t0);
  t0 = Clock::now();

  // Into a metric frame with the head's axes and the nose tip at the template's nose tip
  // (scaled), then landmarks, then the origin between the tragions.
  const double k = unit / pose.template_scale;  // scan size / template size
  const Vec3& t_nose = templ.landmarks[Landmark::kNoseTip];
  for (Vec3& p : mesh.vertices) p = unit * (pose.rotation * (p - pose.nose_tip)) + k * t_nose;
  // Template landmark L lands at k * (L - q_nose + t_nose) in this frame, where q_nose is where
  // the fit put the scan's nose tip in the template frame.
  const Vec3 q_nose = pose.template_scale * (pose.rotation * pose.nose_tip) + pose.template_offset;
  std::array<Vec3, kLandmarkCount> predicted;
  for (int i = 0; i < kLandmarkCount; ++i) {
    predicted[static_cast<std::size_t>(i)] =
        k * (templ.landmarks.position[static_cast<std::size_t>(i)] - q_nose + t_nose);
  }
  const detail::PointIndex first_frame_index(mesh.vertices);
  SnapIndex snap_index{first_frame_index};
  head.landmarks = detect_landmarks(mesh, near_boundary, snap_index, predicted, k);

  // The head frame: origin midway between the tragions, X along the tragion line's mirror-plane
  // normal as fitted, and the pitch set anatomically: seen from the tragions, the nasion rises
  // at the same angle as on headspa's reference head. This keeps the frame independent of how
  // well the template's proportions match the scan. Landmarks are then found again.
  const double target_pitch = nasion_pitch(templ.landmarks);
  Eigen::Matrix4d frame = Eigen::Matrix4d::Identity();  // metric frame -> head frame
  for (int pass = 0; pass < 2; ++pass) {
    const Vec3 origin =
        0.5 * (head.landmarks[Landmark::kTragionLeft] + head.landmarks[Landmark::kTragionRight]);
    const Eigen::Matrix3d pitch =
        Eigen::AngleAxisd(nasion_pitch(head.landmarks) - target_pitch, Vec3::UnitX())
            .toRotationMatrix();
    for (Vec3& p : mesh.vertices) p = pitch * (p - origin);
    for (Vec3& p : predicted) p = pitch * (p - origin);
    // q = pitch (p - origin) puts p at pitch^T q + origin.
    snap_index.offset += snap_index.rotation * origin;
    snap_index.rotation = snap_index.rotation * pitch.transpose();
    Eigen::Matrix4d step = Eigen::Matrix4d::Identity();
    step.block<3, 3>(0, 0) = pitch;
    step.block<3, 1>(0, 3) = -pitch * origin;
    frame = step * frame;
    head.landmarks = detect_landmarks(mesh, near_boundary, snap_index, predicted, k);
  }
  // Exactly midway between the tragions found last.
  const Vec3 origin =
      0.5 * (head.landmarks[Landmark::kTragionLeft] + head.landmarks[Landmark::kTragionRight]);
  for (Vec3& p : mesh.vertices) p -= origin;
  for (auto& p : head.landmarks.position) p -= origin;
  frame.block<3, 1>(0, 3) -= origin;

  Eigen::Matrix4d metric = Eigen::Matrix4d::Identity();  // file -> metric frame
  metric.block<3, 3>(0, 0) = unit * pose.rotation;
  metric.block<3, 1>(0, 3) = -unit * pose.rotation * pose.nose_tip + k * t_nose;
  head.file_to_head = frame * metric;
  head.mesh = std::move(mesh);
  head.timings.landmarks_s = seconds_since(t0);
  t0 = Clock::now();
  if (head.clean_report.non_manifold_edges > 0) {
    head.warnings.push_back(std::to_string(head.clean_report.non_manifold_edges) +
                            " non-manifold edges");
  }
  for (const auto& loop : head.clean_report.boundaries) {
    head.warnings.push_back("open boundary of " + std::to_string(loop.vertices.size()) +
                            " vertices, " + format_mm(loop.length * unit) + " long");
  }
  annotate_head(head);
  head.timings.regions_s = seconds_since(t0);
  return head;
}

Head built_in_head(const DefaultHeadOptions& options) {
  DefaultHead built = make_default_head(options);
  Head head;
  head.mesh = std::move(built.mesh);
  head.landmarks = built.landmarks;
  head.unit_note = "built-in head";
  head.clean_report.input_vertices = static_cast<int>(head.mesh.vertices.size());
  head.clean_report.input_faces = static_cast<int>(head.mesh.faces.size());
  head.clean_report.components = 1;
  annotate_head(head);
  return head;
}

}  // namespace headspa::anatomy
