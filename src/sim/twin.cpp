// The twin's MJCF is generated here from the UR5e's public DH parameters and link masses; the
// head is a body on three slide and three hinge joints with springs (the cradle).
#include "headspa/sim/twin.hpp"

#include <mujoco/mujoco.h>

#include <Eigen/Dense>
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <sstream>
#include <unordered_map>
#include <vector>

#include "headspa/core/error.hpp"
#include "headspa/core/random.hpp"
#include "headspa/geometry/surface_query.hpp"

namespace headspa::sim {
namespace {

// UR5e: standard DH parameters and link masses (Universal Robots' published figures).
constexpr std::array<double, 6> kDhA{0.0, -0.425, -0.3922, 0.0, 0.0, 0.0};
constexpr std::array<double, 6> kDhD{0.1625, 0.0, 0.0, 0.1333, 0.0997, 0.0996};
constexpr std::array<double, 6> kDhAlpha{M_PI / 2, 0.0, 0.0, M_PI / 2, -M_PI / 2, 0.0};
constexpr std::array<double, 6> kLinkMassKg{3.761, 8.058, 2.846, 1.37, 1.3, 0.365};
constexpr std::array<double, 6> kTorqueLimitNm{150, 150, 150, 28, 28, 28};
constexpr std::array<double, 6> kJointLimitRad{2 * M_PI, 2 * M_PI, M_PI,
                                               2 * M_PI, 2 * M_PI, 2 * M_PI};

const char* kPadName[2] = {"left", "right"};

// The pad axis spring (null space of the pad position).
constexpr double kAxisStiffnessNmPerRad = 6.0;
constexpr double kAxisDampingNmS = 0.6;
// Share of the joints' viscous damping the arm's torque controller compensates.
constexpr double kJointFrictionCompensation = 0.8;

std::string num(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.6g", v);
  return buf;
}
std::string vec(const Eigen::Vector3d& v) {
  return num(v.x()) + " " + num(v.y()) + " " + num(v.z());
}
std::string quat(const Eigen::Quaterniond& q) {
  return num(q.w()) + " " + num(q.x()) + " " + num(q.y()) + " " + num(q.z());
}

// One arm: bodies link1..link6 following the DH chain, then the flange, then the pad.
void write_arm(std::ostringstream& x, int pad, const Eigen::Vector3d& base, const TwinOptions& o) {
  const std::string p = kPadName[pad];
  // The base is turned half a turn so that the arm reaches along +X at zero joint angles.
  x << "<body name='" << p << "_base' pos='" << vec(base) << "' quat='0 0 0 1'>\n"
    << "<geom type='cylinder' size='0.075 0.05' rgba='0.5 0.5 0.55 1'/>\n";
  for (int i = 0; i < 6; ++i) {
    Eigen::Vector3d pos = Eigen::Vector3d::Zero();
    Eigen::Quaterniond q = Eigen::Quaterniond::Identity();
    if (i > 0) {
      pos = Eigen::Vector3d(kDhA[static_cast<std::size_t>(i - 1)], 0.0,
                            kDhD[static_cast<std::size_t>(i - 1)]);
      q = Eigen::AngleAxisd(kDhAlpha[static_cast<std::size_t>(i - 1)], Eigen::Vector3d::UnitX());
    }
    const auto u = static_cast<std::size_t>(i);
    // The link reaches from this joint to the next one: mass at its middle, rod inertia.
    const Eigen::Vector3d span(kDhA[u], 0.0, kDhD[u]);
    const double len = std::max(span.norm(), 0.08);
    const double m = kLinkMassKg[u];
    const double ip = std::max(m * len * len / 12.0, 0.004);
    x << "<body name='" << p << "_link" << i + 1 << "' pos='" << vec(pos) << "' quat='" << quat(q)
      << "'>\n"
      << "<joint name='" << p << "_j" << i + 1 << "' axis='0 0 1' range='" << -kJointLimitRad[u]
      << " " << kJointLimitRad[u] << "' limited='true' damping='0.8' armature='0.05'/>\n"
      << "<inertial pos='" << vec(0.5 * span) << "' mass='" << num(m) << "' diaginertia='"
      << num(ip) << " " << num(ip) << " " << num(std::max(m * 0.003, 0.002)) << "'/>\n"
      << "<geom type='capsule' fromto='0 0 0 " << vec(span) << "' size='0.045'/>\n";
  }
  x << "<body name='" << p << "_flange' pos='0 0 " << num(kDhD[5]) << "'>\n"
    << "<site name='" << p << "_ft' size='0.01'/>\n"
    << "<geom type='cylinder' size='0.012 " << num(o.finger_length_m / 2) << "' pos='0 0 "
    << num(o.finger_length_m / 2) << "' mass='0.05'/>\n"
    << "<body name='" << p << "_pad' pos='0 0 " << num(o.finger_length_m) << "'>\n"
    << "<inertial pos='0 0 0' mass='" << num(o.pad_mass_kg) << "' diaginertia='2e-6 2e-6 2e-6'/>\n"
    << "<geom type='sphere' size='" << num(o.pad_radius_m) << "' rgba='0.9 0.7 0.6 1'/>\n"
    << "<site name='" << p << "_pad' size='0.002'/>\n"
    << "</body></body>\n";
  for (int i = 0; i < 6; ++i) x << "</body>\n";
  x << "</body>\n";
}

std::string make_mjcf(const TwinOptions& o, const Eigen::Isometry3d& head) {
  std::ostringstream x;
  x << "<mujoco model='headspa-twin'>\n<compiler angle='radian'/>\n"
    << "<option timestep='" << num(o.timestep_s) << "' gravity='0 0 -9.81' integrator='Euler'>\n"
    << "<flag contact='disable'/></option>\n"
    << "<default><geom contype='0' conaffinity='0' rgba='0.8 0.8 0.82 1'/></default>\n"
    << "<worldbody>\n"
    << "<geom name='cradle' type='box' size='0.12 0.14 0.02' pos='"
    << vec(head * Eigen::Vector3d(0, 0, -0.1)) << "' quat='"
    << quat(Eigen::Quaterniond(head.linear())) << "'/>\n";
  // The head body: its frame is the head frame; springs hold it at rest.
  const double kt = o.head_translation_stiffness_n_per_m;
  const double kr = o.head_rotation_stiffness_nm_per_rad;
  const double ct = 2 * std::sqrt(kt * o.head_mass_kg);
  const double cr = 2 * std::sqrt(kr * 0.02);
  x << "<body name='head' pos='" << vec(head.translation()) << "' quat='"
    << quat(Eigen::Quaterniond(head.linear())) << "'>\n"
    << "<inertial pos='0 0.03 0' mass='" << num(o.head_mass_kg)
    << "' diaginertia='0.02 0.018 0.02'/>\n";
  const char* axes[3] = {"1 0 0", "0 1 0", "0 0 1"};
  for (int a = 0; a < 3; ++a) {
    x << "<joint name='head_t" << a << "' type='slide' axis='" << axes[a] << "' stiffness='"
      << num(kt) << "' damping='" << num(ct) << "'/>\n";
  }
  for (int a = 0; a < 3; ++a) {
    x << "<joint name='head_r" << a << "' type='hinge' axis='" << axes[a] << "' stiffness='"
      << num(kr) << "' damping='" << num(cr) << "'/>\n";
  }
  x << "<geom type='ellipsoid' size='0.075 0.1 0.095' pos='0 0.03 0' rgba='0.85 0.7 0.6 0.5'/>\n"
    << "</body>\n";
  // Arms behind the top of the head, one per side (left = the person's left, +Y in the world).
  const Eigen::Vector3d top_dir = head.linear() * Eigen::Vector3d::UnitY();
  for (int p = 0; p < 2; ++p) {
    const double side = p == 0 ? 1.0 : -1.0;
    const Eigen::Vector3d base = head.translation() + 0.5 * Eigen::Vector3d(top_dir.x(), 0, 0) +
                                 Eigen::Vector3d(0, side * 0.24, 0.02);
    write_arm(x, p, base, o);
  }
  x << "</worldbody>\n<actuator>\n";
  for (int p = 0; p < 2; ++p) {
    for (int i = 0; i < 6; ++i) {
      const double lim = kTorqueLimitNm[static_cast<std::size_t>(i)];
      x << "<motor joint='" << kPadName[p] << "_j" << i + 1 << "' ctrllimited='true' ctrlrange='"
        << -lim << " " << lim << "'/>\n";
    }
  }
  x << "</actuator>\n</mujoco>\n";
  return x.str();
}

// Soft tissue changes gradually from one region to the next. The tissue map gives stiffness and
// damping per region; the twin blends them per vertex over the skin within `radius` (Gaussian
// weights, sigma = radius / 2), so a pad crossing a region border meets a change spread over a
// centimetre instead of a step. No-go zones and unlabelled skin push back like firm skin.
void blend_tissue(const anatomy::Head& head, double radius, std::vector<double>* stiffness,
                  std::vector<double>* damping) {
  const auto& v = head.mesh.vertices;
  const std::size_t n = v.size();
  std::vector<double> k0(n), b0(n);
  for (std::size_t i = 0; i < n; ++i) {
    const anatomy::TissueProperties& t = anatomy::tissue(head.regions[i]);
    k0[i] = t.stiffness_n_per_m > 0 ? t.stiffness_n_per_m : 4000.0;
    b0[i] = t.damping_n_s_per_m > 0 ? t.damping_n_s_per_m : 40.0;
  }
  // A uniform grid of cells one radius wide.
  Eigen::Vector3d lo = Eigen::Vector3d::Constant(1e300);
  for (const auto& p : v) lo = lo.cwiseMin(Eigen::Vector3d(p.x(), p.y(), p.z()));
  const auto cell_of = [&](const Eigen::Vector3d& p) {
    return Eigen::Vector3i(static_cast<int>(std::floor((p.x() - lo.x()) / radius)),
                           static_cast<int>(std::floor((p.y() - lo.y()) / radius)),
                           static_cast<int>(std::floor((p.z() - lo.z()) / radius)));
  };
  const auto key = [](const Eigen::Vector3i& c) {
    return (static_cast<std::int64_t>(c.x()) << 42) ^ (static_cast<std::int64_t>(c.y()) << 21) ^
           static_cast<std::int64_t>(c.z());
  };
  std::unordered_map<std::int64_t, std::vector<std::size_t>> grid;
  for (std::size_t i = 0; i < n; ++i) {
    grid[key(cell_of(Eigen::Vector3d(v[i].x(), v[i].y(), v[i].z())))].push_back(i);
  }
  const double inv_two_sigma2 = 1.0 / (2.0 * 0.25 * radius * radius);
  stiffness->assign(n, 0.0);
  damping->assign(n, 0.0);
  for (std::size_t i = 0; i < n; ++i) {
    const Eigen::Vector3d p(v[i].x(), v[i].y(), v[i].z());
    const Eigen::Vector3i c = cell_of(p);
    double w_sum = 0.0, k_sum = 0.0, b_sum = 0.0;
    for (int dx = -1; dx <= 1; ++dx) {
      for (int dy = -1; dy <= 1; ++dy) {
        for (int dz = -1; dz <= 1; ++dz) {
          const auto it = grid.find(key(c + Eigen::Vector3i(dx, dy, dz)));
          if (it == grid.end()) continue;
          for (const std::size_t j : it->second) {
            const Eigen::Vector3d q(v[j].x(), v[j].y(), v[j].z());
            const double d2 = (q - p).squaredNorm();
            if (d2 > radius * radius) continue;
            const double w = std::exp(-d2 * inv_two_sigma2);
            w_sum += w;
            k_sum += w * k0[j];
            b_sum += w * b0[j];
          }
        }
      }
    }
    (*stiffness)[i] = k_sum / w_sum;
    (*damping)[i] = b_sum / w_sum;
  }
}

}  // namespace

bool TwinOptions::IsValid(std::string* why) const {
  const auto bad = [&](const char* what) {
    if (why) *why = what;
    return false;
  };
  if (!(timestep_s > 0 && timestep_s <= 0.002)) return bad("timestep_s must be within (0, 2] ms");
  if (!(pad_radius_m > 0.002 && pad_radius_m < 0.03)) return bad("pad_radius_m must be 2-30 mm");
  if (!(friction >= 0 && friction <= 2)) return bad("friction must be within 0-2");
  if (!(force_noise_n >= 0 && head_tracker_noise_m >= 0)) return bad("noise must not be negative");
  if (!(head_mass_kg > 0 && head_translation_stiffness_n_per_m > 0 &&
        head_rotation_stiffness_nm_per_rad > 0 && skin_shear_stiffness_n_per_m > 0)) {
    return bad("masses and stiffnesses must be positive");
  }
  if (!(tracker_rate_hz > 0 && contact_query_margin_m > 0 && tissue_blend_radius_m > 0)) {
    return bad(
        "tracker_rate_hz, contact_query_margin_m and tissue_blend_radius_m must be positive");
  }
  return true;
}

struct Twin::Impl {
  std::string xml;
  mjModel* model = nullptr;
  mjData* data = nullptr;
  const anatomy::Head* head = nullptr;
  geometry::SurfaceQuery query;
  std::vector<Eigen::Vector3d> face_normals;
  std::vector<double> stiffness, damping;  // blended tissue per vertex
  Rng rng;
  int head_body = -1;
  std::array<int, 2> pad_body{}, pad_site{};
  std::array<std::array<int, 6>, 2> qpos_adr{}, dof_adr{};
  std::array<std::array<double, 6>, 2> disturbance{};
  std::array<std::array<double, 6>, 2> posture{};
  // Skin drag: where the skin under each pad is anchored (head frame), if in contact.
  std::array<Eigen::Vector3d, 2> anchor{};
  std::array<bool, 2> anchored{};
  Eigen::Isometry3d tracked = Eigen::Isometry3d::Identity();
  double next_track_s = 0.0;
  std::vector<mjtNum> jacp, jacr;
  std::vector<mjtNum> solve_in, solve_out;  // 3 x nv each, for the pad's task-space mass

  Impl(const anatomy::Head& h, std::uint64_t seed) : head(&h), query(h.mesh), rng(seed) {}
  ~Impl() {
    if (data) mj_deleteData(data);
    if (model) mj_deleteModel(model);
  }

  Eigen::Isometry3d head_pose() const {
    Eigen::Isometry3d t = Eigen::Isometry3d::Identity();
    const mjtNum* p = data->xpos + 3 * head_body;
    const mjtNum* r = data->xmat + 9 * head_body;
    t.translation() = Eigen::Vector3d(p[0], p[1], p[2]);
    Eigen::Matrix3d m;
    m << r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8];
    t.linear() = m;
    return t;
  }
  Eigen::Vector3d site_pos(int site) const {
    const mjtNum* p = data->site_xpos + 3 * site;
    return Eigen::Vector3d(p[0], p[1], p[2]);
  }
  Eigen::Vector3d site_axis(int site) const {
    const mjtNum* r = data->site_xmat + 9 * site;
    return Eigen::Vector3d(r[2], r[5], r[8]);  // the site's z axis
  }
  // Position (rows 0-2) and rotation (rows 3-5) Jacobians of a pad site, arm columns only.
  Eigen::Matrix<double, 6, 6> arm_jacobian(int pad) {
    const int nv = model->nv;
    mj_jacSite(model, data, jacp.data(), jacr.data(), pad_site[static_cast<std::size_t>(pad)]);
    Eigen::Matrix<double, 6, 6> j;
    for (int c = 0; c < 6; ++c) {
      const int d = dof_adr[static_cast<std::size_t>(pad)][static_cast<std::size_t>(c)];
      for (int r = 0; r < 3; ++r) {
        j(r, c) = jacp[static_cast<std::size_t>(r * nv + d)];
        j(r + 3, c) = jacr[static_cast<std::size_t>(r * nv + d)];
      }
    }
    return j;
  }
  Eigen::Vector3d pad_velocity(int pad) {
    mjtNum v[6];
    mj_objectVelocity(model, data, mjOBJ_SITE, pad_site[static_cast<std::size_t>(pad)], v, 0);
    return Eigen::Vector3d(v[3], v[4], v[5]);
  }
};

Twin::Twin(const anatomy::Head& head, const TwinOptions& options) : options_(options) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError("twin options: " + why);
  impl_ = std::make_unique<Impl>(head, options.seed);
  // The head frame at rest: origin 1 m up, face tilted back by the recline angle.
  const double c = std::cos(options.recline_rad), s = std::sin(options.recline_rad);
  Eigen::Matrix3d r;
  r.col(0) = Eigen::Vector3d(0, 1, 0);   // head +X (left)
  r.col(1) = Eigen::Vector3d(-c, 0, s);  // head +Y (top) towards the arms
  r.col(2) = Eigen::Vector3d(s, 0, c);   // head +Z (face) up, towards the feet
  head_rest_.linear() = r;
  head_rest_.translation() = Eigen::Vector3d(0, 0, 1.0);
  impl_->xml = make_mjcf(options, head_rest_);

  mjVFS vfs;
  mj_defaultVFS(&vfs);
  const char* name = "twin.xml";
  if (mj_makeEmptyFileVFS(&vfs, name, static_cast<int>(impl_->xml.size())) != 0) {
    throw InternalError("twin: MuJoCo VFS refused the model");
  }
  const int f = mj_findFileVFS(&vfs, name);
  std::copy(impl_->xml.begin(), impl_->xml.end(), static_cast<char*>(vfs.filedata[f]));
  char error[1000] = "";
  impl_->model = mj_loadXML(name, &vfs, error, sizeof error);
  mj_deleteVFS(&vfs);
  if (!impl_->model) throw InternalError(std::string("twin: MuJoCo rejected the model: ") + error);
  impl_->data = mj_makeData(impl_->model);
  const mjModel* m = impl_->model;
  impl_->head_body = mj_name2id(m, mjOBJ_BODY, "head");
  for (int p = 0; p < 2; ++p) {
    const auto u = static_cast<std::size_t>(p);
    impl_->pad_body[u] = mj_name2id(m, mjOBJ_BODY, (std::string(kPadName[p]) + "_pad").c_str());
    impl_->pad_site[u] = mj_name2id(m, mjOBJ_SITE, (std::string(kPadName[p]) + "_pad").c_str());
    for (int j = 0; j < 6; ++j) {
      const std::string jn = std::string(kPadName[p]) + "_j" + std::to_string(j + 1);
      const int id = mj_name2id(m, mjOBJ_JOINT, jn.c_str());
      impl_->qpos_adr[u][static_cast<std::size_t>(j)] = m->jnt_qposadr[id];
      impl_->dof_adr[u][static_cast<std::size_t>(j)] = m->jnt_dofadr[id];
    }
  }
  impl_->jacp.assign(static_cast<std::size_t>(3 * m->nv), 0.0);
  impl_->solve_in.assign(static_cast<std::size_t>(3 * m->nv), 0.0);
  impl_->solve_out.assign(static_cast<std::size_t>(3 * m->nv), 0.0);
  impl_->jacr.assign(static_cast<std::size_t>(3 * m->nv), 0.0);
  impl_->face_normals = geometry::face_normals(head.mesh);
  blend_tissue(head, options.tissue_blend_radius_m, &impl_->stiffness, &impl_->damping);
  mj_forward(impl_->model, impl_->data);
  mj_step1(impl_->model, impl_->data);
  impl_->tracked = impl_->head_pose();
}

Twin::~Twin() = default;

const std::string& Twin::mjcf() const noexcept { return impl_->xml; }
double Twin::time_s() const noexcept { return impl_->data->time; }
Eigen::Isometry3d Twin::head_pose() const { return impl_->head_pose(); }

std::array<double, control::kArmJoints> Twin::joint_lower_rad() const {
  std::array<double, 6> out{};
  for (std::size_t i = 0; i < 6; ++i) out[i] = -kJointLimitRad[i];
  return out;
}
std::array<double, control::kArmJoints> Twin::joint_upper_rad() const {
  std::array<double, 6> out{};
  for (std::size_t i = 0; i < 6; ++i) out[i] = kJointLimitRad[i];
  return out;
}

void Twin::disturb_joint(int pad, int joint, double torque_nm) noexcept {
  impl_->disturbance[static_cast<std::size_t>(pad)][static_cast<std::size_t>(joint)] = torque_nm;
}

void Twin::place_pads(const std::array<Eigen::Vector3d, control::kPads>& positions,
                      const std::array<Eigen::Vector3d, control::kPads>& axes) {
  Impl& im = *impl_;
  mjData* d = im.data;
  // Starting postures: elbow up, wrist pointing down, a few shoulder and wrist variations.
  const std::array<std::array<double, 6>, 4> starts{{{0.0, -1.2, 1.6, -1.97, -1.57, 0.0},
                                                     {0.4, -1.0, 1.4, -2.0, -1.57, 0.0},
                                                     {-0.4, -1.0, 1.4, -2.0, -1.57, 0.0},
                                                     {0.0, -1.6, 2.0, -1.9, -1.2, 0.0}}};
  for (int p = 0; p < 2; ++p) {
    const auto u = static_cast<std::size_t>(p);
    const Eigen::Vector3d axis = axes[u].normalized();
    double best = 1e9;
    std::array<double, 6> best_q{};
    for (const auto& start : starts) {
      std::array<double, 6> q = start;
      if (p == 1) q[0] = -q[0];
      double err = 1e9;
      for (int it = 0; it < 300; ++it) {
        for (std::size_t j = 0; j < 6; ++j) d->qpos[im.qpos_adr[u][j]] = q[j];
        mj_kinematics(im.model, d);
        mj_comPos(im.model, d);
        const Eigen::Vector3d ep = positions[u] - im.site_pos(im.pad_site[u]);
        const Eigen::Vector3d er = im.site_axis(im.pad_site[u]).cross(axis);
        err = ep.norm() + 0.05 * er.norm();
        if (ep.norm() < 1e-4 && er.norm() < 1e-3) break;
        Eigen::Matrix<double, 6, 1> e;
        e << ep, er;
        const Eigen::Matrix<double, 6, 6> j = im.arm_jacobian(p);
        const Eigen::Matrix<double, 6, 6> jjt =
            j * j.transpose() + 1e-4 * Eigen::Matrix<double, 6, 6>::Identity();
        Eigen::Matrix<double, 6, 1> dq = j.transpose() * jjt.ldlt().solve(e);
        const double step = dq.cwiseAbs().maxCoeff();
        if (step > 0.2) dq *= 0.2 / step;
        for (std::size_t k = 0; k < 6; ++k) {
          // Stay a margin inside each joint's range.
          const double lim = kJointLimitRad[k] - 0.2;
          q[k] = std::clamp(q[k] + dq(static_cast<int>(k)), -lim, lim);
        }
      }
      if (err < best) {
        best = err;
        best_q = q;
      }
    }
    if (best > 0.001) {
      throw InternalError("twin: no arm posture puts the " + std::string(kPadName[p]) +
                          " pad at its start position (error " + num(best) + " m)");
    }
    for (std::size_t j = 0; j < 6; ++j) {
      d->qpos[im.qpos_adr[u][j]] = best_q[j];
      d->qvel[im.dof_adr[u][j]] = 0.0;
    }
    im.posture[u] = best_q;
  }
  mj_forward(im.model, d);
  mj_step1(im.model, d);
}

control::RigState Twin::measure() {
  Impl& im = *impl_;
  control::RigState s;
  s.t_s = im.data->time;
  // The head tracker updates at its own rate with a little noise.
  if (s.t_s >= im.next_track_s) {
    im.next_track_s = s.t_s + 1.0 / options_.tracker_rate_hz;
    im.tracked = im.head_pose();
    im.tracked.translation() += options_.head_tracker_noise_m *
                                Eigen::Vector3d(im.rng.normal(), im.rng.normal(), im.rng.normal());
  }
  s.head_pose_tracked = im.tracked;
  for (int p = 0; p < 2; ++p) {
    const auto u = static_cast<std::size_t>(p);
    control::PadMeasurement& m = s.pads[u];
    m.position_m = im.site_pos(im.pad_site[u]);
    m.velocity_m_per_s = im.pad_velocity(p);
    for (std::size_t j = 0; j < 6; ++j) m.joint_position_rad[j] = im.data->qpos[im.qpos_adr[u][j]];
    SensorFaults& f = faults_[u];
    const Eigen::Vector3d noise =
        options_.force_noise_n * Eigen::Vector3d(im.rng.normal(), im.rng.normal(), im.rng.normal());
    m.force_n = truth_[u].contact_force_n + noise + f.bias_n;
    if (f.spike_ticks > 0) {
      m.force_n += f.spike_n;
      --f.spike_ticks;
    }
    m.force_valid = !f.dropout;
    if (f.dropout) m.force_n.setZero();
  }
  return s;
}

void Twin::step(const control::RigCommand& command) {
  Impl& im = *impl_;
  const mjModel* m = im.model;
  mjData* d = im.data;
  mju_zero(d->xfrc_applied, 6 * m->nbody);
  const Eigen::Isometry3d head = im.head_pose();
  const Eigen::Isometry3d world_to_head = head.inverse();
  const Eigen::Vector3d head_com(d->xipos[3 * im.head_body], d->xipos[3 * im.head_body + 1],
                                 d->xipos[3 * im.head_body + 2]);
  // The cradle carries the head's weight; its springs only hold it in place.
  Eigen::Vector3d head_force = head_push_ + Eigen::Vector3d(0, 0, 9.81 * options_.head_mass_kg);
  Eigen::Vector3d head_torque = Eigen::Vector3d::Zero();
  const double r = options_.pad_radius_m;

  for (int p = 0; p < 2; ++p) {
    const auto u = static_cast<std::size_t>(p);
    PadTruth& t = truth_[u];
    t = PadTruth{};
    t.clearance_m = r + options_.contact_query_margin_m;
    const Eigen::Vector3d c = im.site_pos(im.pad_site[u]);
    const Eigen::Vector3d local = world_to_head * c;
    const auto cp = im.query.closest_point(local, r + options_.contact_query_margin_m);
    if (!cp) {
      im.anchored[u] = false;
      continue;
    }
    const Eigen::Vector3d& fn = im.face_normals[static_cast<std::size_t>(cp->point.face)];
    const double sign = (local - cp->position).dot(fn) >= 0 ? 1.0 : -1.0;
    const double dist = sign * cp->distance;
    t.clearance_m = dist - r;
    const double depth = r - dist;
    if (depth <= 0) {
      im.anchored[u] = false;
      continue;
    }
    Eigen::Vector3d n_local =
        cp->distance > 1e-9 ? Eigen::Vector3d(sign * (local - cp->position) / cp->distance) : fn;
    const auto& face = im.head->mesh.faces[static_cast<std::size_t>(cp->point.face)];
    // The region of the face's corner nearest the contact.
    int corner_near = 0;
    cp->point.barycentric.maxCoeff(&corner_near);
    const anatomy::Region region =
        im.head->regions[static_cast<std::size_t>(face[static_cast<std::size_t>(corner_near)])];
    // The blended tissue at the contact point.
    double k = 0.0, b = 0.0;
    for (int corner = 0; corner < 3; ++corner) {
      const auto vi = static_cast<std::size_t>(face[static_cast<std::size_t>(corner)]);
      k += cp->point.barycentric(corner) * im.stiffness[vi];
      b += cp->point.barycentric(corner) * im.damping[vi];
    }
    // Relative velocity of the pad against the skin (the head moves too).
    const Eigen::Vector3d v_pad = im.pad_velocity(p);
    mjtNum hv[6];
    mj_objectVelocity(m, d, mjOBJ_BODY, im.head_body, hv, 0);
    const Eigen::Vector3d w_head(hv[0], hv[1], hv[2]), v_head(hv[3], hv[4], hv[5]);
    const Eigen::Vector3d v_skin = v_head + w_head.cross(c - head.translation());
    const Eigen::Vector3d v_rel = head.linear().transpose() * (v_pad - v_skin);
    const double normal = std::max(0.0, k * depth - b * v_rel.dot(n_local));
    // Skin drag: the skin point under the pad is anchored and stretches until it slips.
    const Eigen::Vector3d contact_local = local - r * n_local;
    if (!im.anchored[u]) {
      im.anchored[u] = true;
      im.anchor[u] = contact_local;
    }
    Eigen::Vector3d stretch = contact_local - im.anchor[u];
    stretch -= stretch.dot(n_local) * n_local;
    Eigen::Vector3d shear = -options_.skin_shear_stiffness_n_per_m * stretch;
    const double limit = options_.friction * normal;
    if (shear.norm() > limit) {
      // Slip: the anchor follows so that the skin holds exactly the friction limit.
      const Eigen::Vector3d dir = stretch.normalized();
      im.anchor[u] = contact_local - dir * (limit / options_.skin_shear_stiffness_n_per_m);
      shear = -limit * dir;
    }
    const Eigen::Vector3d f_local = normal * n_local + shear;
    const Eigen::Vector3d f_world = head.linear() * f_local;
    const Eigen::Vector3d contact_world = head * contact_local;
    t.contact_force_n = f_world;
    t.normal_force_n = normal;
    t.indentation_m = depth;
    t.region = region;
    // On the pad (its body origin is the pad centre) and, reversed, on the head.
    mjtNum* xf = d->xfrc_applied + 6 * im.pad_body[u];
    const Eigen::Vector3d tq = (contact_world - c).cross(f_world);
    for (int i = 0; i < 3; ++i) {
      xf[i] += f_world(i);
      xf[3 + i] += tq(i);
    }
    head_force -= f_world;
    head_torque -= (contact_world - head_com).cross(f_world);
  }
  mjtNum* hf = d->xfrc_applied + 6 * im.head_body;
  for (int i = 0; i < 3; ++i) {
    hf[i] += head_force(i);
    hf[3 + i] += head_torque(i);
  }

  // Arm layer. The task is the pad's position: J^T F for the pad force, and the task-space mass
  // Lambda = (Jp M^-1 Jp^T)^-1 for the inertia feed-forward. Everything else acts in the
  // dynamically consistent null space of that task, so it adds no force and no acceleration at
  // the pad: the pad axis spring (a round pad's axis only keeps the finger along the normal),
  // joint-limit avoidance and the posture spring. Gravity and Coriolis forces are compensated
  // (qfrc_bias). A wrist singularity costs the axis control, never the pad's force.
  for (int p = 0; p < 2; ++p) {
    const auto u = static_cast<std::size_t>(p);
    const control::PadCommand& pc = command.pads[u];
    const Eigen::Matrix<double, 6, 6> j = im.arm_jacobian(p);
    mjtNum wv[6];
    mj_objectVelocity(m, d, mjOBJ_SITE, im.pad_site[u], wv, 0);
    const Eigen::Vector3d omega(wv[0], wv[1], wv[2]);
    const Eigen::Vector3d axis = im.site_axis(im.pad_site[u]);
    Eigen::Vector3d want = pc.tool_axis;
    if (want.norm() < 1e-9) want = axis;
    want.normalize();
    const Eigen::Matrix<double, 3, 6> jp = j.topRows<3>();
    const int nv = m->nv;
    std::fill(im.solve_in.begin(), im.solve_in.end(), 0.0);
    for (int row = 0; row < 3; ++row) {
      for (std::size_t c = 0; c < 6; ++c) {
        im.solve_in[static_cast<std::size_t>(row * nv + im.dof_adr[u][c])] =
            jp(row, static_cast<int>(c));
      }
    }
    mj_solveM(m, d, im.solve_out.data(), im.solve_in.data(), 3);
    Eigen::Matrix<double, 6, 3> minv_jpt;  // M^-1 Jp^T on this arm's joints
    for (int k = 0; k < 3; ++k) {
      for (std::size_t c = 0; c < 6; ++c) {
        minv_jpt(static_cast<int>(c), k) =
            im.solve_out[static_cast<std::size_t>(k * nv + im.dof_adr[u][c])];
      }
    }
    const Eigen::Matrix3d mobility = jp * minv_jpt + 1e-9 * Eigen::Matrix3d::Identity();
    const Eigen::LDLT<Eigen::Matrix3d> mass(mobility);
    Eigen::Matrix<double, 6, 1> tau = jp.transpose() * pc.force_n;
    // Inertia feed-forward: Lambda times the target acceleration, so that the pad keeps up with
    // accelerating references.
    const Eigen::Vector3d acc = pc.target_acceleration_m_per_s2;
    if (acc.allFinite() && acc.squaredNorm() > 0.0) tau += jp.transpose() * mass.solve(acc);
    // Null-space torques: the axis spring (tilt only; rolling about the axis is free), the
    // joint-limit push and the posture spring.
    const Eigen::Vector3d tilt = axis.cross(want);
    const Eigen::Vector3d spin = omega - omega.dot(axis) * axis;
    Eigen::Matrix<double, 6, 1> extra =
        j.bottomRows<3>().transpose() * (kAxisStiffnessNmPerRad * tilt - kAxisDampingNmS * spin);
    for (std::size_t k = 0; k < 6; ++k) {
      const double q = d->qpos[im.qpos_adr[u][k]];
      const double qd = d->qvel[im.dof_adr[u][k]];
      const double lim = kJointLimitRad[k];
      const double margin = 0.35;
      double push = 0.0;
      if (q > lim - margin) push = -40.0 * (q - (lim - margin));
      if (q < -lim + margin) push = 40.0 * (-lim + margin - q);
      extra(static_cast<int>(k)) += push + 2.0 * (im.posture[u][k] - q) - 1.5 * qd;
    }
    tau += extra - jp.transpose() * mass.solve(minv_jpt.transpose() * extra);
    for (std::size_t k = 0; k < 6; ++k) {
      const int dof = im.dof_adr[u][k];
      const int act = p * 6 + static_cast<int>(k);
      const double lim = kTorqueLimitNm[k];
      // The arm's controller knows its joints' viscous friction and cancels most of it.
      const double friction_comp = -kJointFrictionCompensation * d->qfrc_passive[dof];
      d->ctrl[act] =
          std::clamp(tau(static_cast<int>(k)) + d->qfrc_bias[dof] + friction_comp, -lim, lim);
      d->qfrc_applied[dof] = im.disturbance[u][k];
    }
  }
  // Integrate, then bring positions and velocities up to date for the next measure().
  mj_step2(m, d);
  mj_step1(m, d);
}

}  // namespace headspa::sim
