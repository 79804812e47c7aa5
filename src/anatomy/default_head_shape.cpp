#include "anatomy/default_head_shape.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <functional>
#include <numbers>

namespace headspa::anatomy::detail {
namespace {

constexpr double kPi = std::numbers::pi;
constexpr double kFar = 1.0;  // beyond any part of a head, m

double sq(double v) { return v * v; }
double cube(double v) { return v * v * v; }

double smoothstep(double v) {
  v = std::clamp(v, 0.0, 1.0);
  return v * v * (3.0 - 2.0 * v);
}

// Polynomial smooth minimum / maximum with blend width k (m).
double smin(double a, double b, double k) {
  const double h = std::max(k - std::abs(a - b), 0.0) / k;
  return std::min(a, b) - 0.25 * h * h * k;
}
double smax(double a, double b, double k) {
  const double h = std::max(k - std::abs(a - b), 0.0) / k;
  return std::max(a, b) + 0.25 * h * h * k;
}

// Compact bump profile of q^2: 1 at the centre, 0 with zero slope and curvature at q = 1.
double kernel(double q2) { return q2 >= 1.0 ? 0.0 : cube(1.0 - q2); }

double wrap_angle(double a) {
  if (a > kPi) return a - 2.0 * kPi;
  if (a < -kPi) return a + 2.0 * kPi;
  return a;
}

double azimuth_of(const Vec3& u) { return std::atan2(u.x(), u.z()); }
double elevation_of(const Vec3& u) { return std::asin(std::clamp(u.y(), -1.0, 1.0)); }
Vec3 direction_of(double azimuth, double elevation) {
  const double c = std::cos(elevation);
  return {c * std::sin(azimuth), std::sin(elevation), c * std::cos(azimuth)};
}

// Exit distance from o along u through the plane n.p = d (o on the inside: n.o < d).
double plane_exit(const Vec3& o, const Vec3& u, const Vec3& n, double d) {
  const double nu = n.dot(u);
  return nu > 1e-12 ? std::min((d - n.dot(o)) / nu, kFar) : kFar;
}

// First positive root of a t^2 + b t + c (c < 0: the origin is inside); kFar when none.
double first_exit(double a, double b, double c) {
  if (std::abs(a) < 1e-14) return b > 1e-14 ? std::min(-c / b, kFar) : kFar;
  const double disc = b * b - 4.0 * a * c;
  if (disc < 0.0) return kFar;
  const double s = std::sqrt(disc);
  const double r1 = (-b - s) / (2.0 * a);
  const double r2 = (-b + s) / (2.0 * a);
  const double lo = std::min(r1, r2), hi = std::max(r1, r2);
  if (lo > 0.0) return std::min(lo, kFar);
  if (hi > 0.0) return std::min(hi, kFar);
  return kFar;
}

// Maximises f over [a, b]: a scan of n samples, then golden-section refinement.
double argmax(const std::function<double(double)>& f, double a, double b, int n = 64) {
  int best = 0;
  double best_v = -1e300;
  for (int i = 0; i <= n; ++i) {
    const double v = f(a + (b - a) * i / n);
    if (v > best_v) best_v = v, best = i;
  }
  double lo = a + (b - a) * std::max(best - 1, 0) / n;
  double hi = a + (b - a) * std::min(best + 1, n) / n;
  const double g = 0.5 * (std::sqrt(5.0) - 1.0);
  double x1 = hi - g * (hi - lo), x2 = lo + g * (hi - lo);
  double f1 = f(x1), f2 = f(x2);
  for (int it = 0; it < 48; ++it) {
    if (f1 < f2) {
      lo = x1, x1 = x2, f1 = f2, x2 = lo + g * (hi - lo), f2 = f(x2);
    } else {
      hi = x2, x2 = x1, f2 = f1, x1 = hi - g * (hi - lo), f1 = f(x1);
    }
  }
  return 0.5 * (lo + hi);
}

// Mean radius of an ellipse whose perimeter (Ramanujan) is c with axis ratio rx/rz = ratio.
void ellipse_radii(double c, double ratio, double* rx, double* rz) {
  const double a = ratio, b = 1.0;
  const double unit = kPi * (3.0 * (a + b) - std::sqrt((3.0 * a + b) * (a + 3.0 * b)));
  *rz = c / unit;
  *rx = ratio * *rz;
}

}  // namespace

HeadShape::HeadShape(const HeadDimensions& dims, Sex sex) : dims_(dims), sex_(sex) {
  const double L = dims.head_length_m, T = dims.tragion_to_top_m, F = dims.face_length_m;
  const double B = dims.head_breadth_m, Z = dims.bizygomatic_breadth_m;
  const double sl = L / 0.190, sf = F / 0.113, sh = T / 0.127;

  // Face layout along the midline: nasion to menton is the face length; subnasale and
  // stomion split it in the usual proportions (0.43 and 0.62 of the way down).
  layout_.glabella_y = 0.044 * sf;
  layout_.glabella_z = 0.46 * L;
  layout_.nasion_y = layout_.glabella_y - 0.013 * sf;
  layout_.subnasale_y = layout_.nasion_y - 0.43 * F;
  layout_.stomion_y = layout_.nasion_y - 0.62 * F;
  layout_.menton_y = layout_.nasion_y - F;
  layout_.eye_y = layout_.nasion_y - 0.011 * sf;
  layout_.occiput_z = layout_.glabella_z - L;

  HeadBlocks& k = blocks_;
  // Cranium: widest and longest at the level of the opisthocranion, above the ears.
  k.cy = 0.046 * sh;
  k.cz = 0.5 * (layout_.glabella_z + layout_.occiput_z);
  k.half_breadth = 0.5 * B;
  k.up = T - k.cy;
  k.down = 0.095 * sh;
  k.front = layout_.glabella_z - 0.004 * sl - k.cz;
  k.back = k.cz - layout_.occiput_z;
  squareness_ = 0.6;
  k.square_front = 0.1;
  k.square_back = squareness_;

  // Face block: cheeks to chin; the zygomatic breadth sets its width.
  k.face_centre = Vec3(0.0, layout_.menton_y + 0.062 * sf, 0.012 * sl);
  k.face_radii = Vec3(0.49 * Z, 0.078 * sf, 0.077 * sl);
  k.jaw_menton_y = layout_.menton_y;
  k.jaw_menton_z = 0.066 * sl;
  const double gonion_z = 0.006 * sl, gonion_y = layout_.menton_y + 0.026 * sf;
  k.jaw_slope = (gonion_y - k.jaw_menton_y) / (k.jaw_menton_z - gonion_z);
  k.front_y = layout_.stomion_y;
  k.front_z = 0.0855 * sl;
  k.front_slope = 0.26;
  const double bigonial_half = 0.5 * 0.83 * Z;  // NIOSH: bigonial ~0.83 of bizygomatic
  k.side_slope = (bigonial_half - 0.022 * sf) / (k.jaw_menton_z - gonion_z);
  k.side_x = bigonial_half + k.side_slope * gonion_z + 0.002;
  k.ramus_x = bigonial_half - 0.004;
  k.ramus_z = gonion_z - 0.002;

  // Neck: the circumference below the larynx at mid-neck, the base circumference at the base.
  k.neck_ref_y = layout_.menton_y - 0.02 * sf;
  k.neck_ref_z = -0.022 * sl;
  k.neck_lean = 0.25;
  ellipse_radii(dims.neck_circumference_m, 1.12, &k.neck_rx, &k.neck_rz);
  k.base_y = k.neck_ref_y - 0.045 * sf;
  k.base_z = k.neck_ref_z - 0.045 * sf * k.neck_lean;
  k.base_slope = 0.45;
  k.neck_flare = (dims.neck_base_circumference_m / dims.neck_circumference_m - 1.0) /
                 (k.neck_ref_y - k.base_y);
  k.neck_top_y = 0.02 * sh;

  place_features();
  calibrate();
}

double HeadShape::block_radius(const Vec3& u) const {
  const HeadBlocks& k = blocks_;
  const Vec3 o = Vec3::Zero();  // rays start at the origin
  // Cranium: Newton from outside on a convex function of t converges monotonically.
  double t_cranium = 0.0;
  {
    const double x_far = k.half_breadth, y_far = std::max(k.cy + k.up, k.down - k.cy);
    const double z_far = std::max(std::abs(k.cz + k.front), std::abs(k.cz - k.back));
    double t = std::sqrt(x_far * x_far + y_far * y_far + z_far * z_far) + o.norm();
    for (int it = 0; it < 40; ++it) {
      const double py = o.y() + t * u.y() - k.cy, pz = o.z() + t * u.z() - k.cz;
      const double ry = py >= 0.0 ? k.up : k.down;
      const double rz = pz >= 0.0 ? k.front : k.back;
      const double w = pz >= 0.0 ? k.square_front : k.square_back;
      const double X = t * u.x() / k.half_breadth, Y = py / ry, Zc = pz / rz;
      const double dX = u.x() / k.half_breadth, dY = u.y() / ry, dZ = u.z() / rz;
      const double l4 = std::sqrt(X * X * X * X + Zc * Zc * Zc * Zc);
      // The gauge sqrt(F) grows almost linearly along the ray: Newton needs few steps.
      const double f = (1.0 - w) * (X * X + Zc * Zc) + w * l4 + Y * Y;
      double df = (1.0 - w) * 2.0 * (X * dX + Zc * dZ) + 2.0 * Y * dY;
      if (l4 > 1e-300) df += w * 2.0 * (X * X * X * dX + Zc * Zc * Zc * dZ) / l4;
      if (df <= 0.0 || f <= 0.0) break;
      const double gauge = std::sqrt(f);
      const double step = (gauge - 1.0) * 2.0 * gauge / df;
      t -= step;
      if (std::abs(step) < 1e-10) break;
    }
    t_cranium = t;
  }

  // Face: ellipsoid, then the cutting planes, each joined with a smooth minimum.
  double t_face = 0.0;
  {
    const Vec3 a = u.cwiseQuotient(k.face_radii);
    const Vec3 c = (k.face_centre - o).cwiseQuotient(k.face_radii);
    t_face = first_exit(a.squaredNorm(), -2.0 * a.dot(c), c.squaredNorm() - 1.0);
    // Jaw floor: y >= y_m + s (z_m - z)  <=>  -y - s z <= -y_m - s z_m.
    const double floor_d = -k.jaw_menton_y - k.jaw_slope * k.jaw_menton_z;
    t_face = smin(t_face, plane_exit(o, u, Vec3(0.0, -1.0, -k.jaw_slope), floor_d), 0.012);
    // Front: z - slope y <= z_f - slope y_f.
    t_face = smin(
        t_face,
        plane_exit(o, u, Vec3(0.0, -k.front_slope, 1.0), k.front_z - k.front_slope * k.front_y),
        0.02);
    // Sides taper towards the chin: +-x + slope z <= side_x.
    t_face = smin(t_face, plane_exit(o, u, Vec3(1.0, 0.0, k.side_slope), k.side_x), 0.012);
    t_face = smin(t_face, plane_exit(o, u, Vec3(-1.0, 0.0, k.side_slope), k.side_x), 0.012);
    // Behind the ramus: z >= ramus_z + (+-x - ramus_x)  <=>  +-x - z <= ramus_x - ramus_z.
    t_face = smin(t_face, plane_exit(o, u, Vec3(1.0, 0.0, -1.0), k.ramus_x - k.ramus_z), 0.01);
    t_face = smin(t_face, plane_exit(o, u, Vec3(-1.0, 0.0, -1.0), k.ramus_x - k.ramus_z), 0.01);
  }

  // Neck: (x / rx)^2 + ((z - axis_z(y)) / rz)^2 <= m(y)^2, m = 1 + flare (ref_y - y).
  double t_neck = 0.0;
  {
    const double g = u.z() - k.neck_lean * u.y();
    // Along the ray: x = ox + t ux, axis offset = g t - h0, m = m0 - m1 t.
    const double h0 = k.neck_ref_z - k.neck_lean * k.neck_ref_y - (o.z() - k.neck_lean * o.y());
    const double m0 = 1.0 + k.neck_flare * (k.neck_ref_y - o.y()), m1 = k.neck_flare * u.y();
    const double a = sq(u.x() / k.neck_rx) + sq(g / k.neck_rz) - m1 * m1;
    const double b =
        2.0 * o.x() * u.x() / sq(k.neck_rx) - 2.0 * g * h0 / sq(k.neck_rz) + 2.0 * m0 * m1;
    const double c = sq(o.x() / k.neck_rx) + sq(h0 / k.neck_rz) - m0 * m0;
    t_neck = first_exit(a, b, c);
    // Base: y >= base_y - slope (z - base_z)  <=>  -y - slope z <= -base_y - slope base_z.
    const double base_d = -k.base_y - k.base_slope * k.base_z;
    t_neck = smin(t_neck, plane_exit(o, u, Vec3(0.0, -1.0, -k.base_slope), base_d), 0.012);
    t_neck = std::min(t_neck, plane_exit(o, u, Vec3(0.0, 1.0, 0.0), k.neck_top_y));
  }

  return smax(smax(t_cranium, t_face, 0.015), t_neck, 0.02);
}

double HeadShape::bump_height(const Bump& b, double azimuth, double elevation) const {
  const double t = (elevation - b.elevation) * b.radius_m;
  const double reach = b.length_m + std::max(b.along_m, b.across_m);
  if (std::abs(t) > reach) return 0.0;
  const double scale = b.metres_per_azimuth;
  double sum = 0.0;
  for (int side = 0; side < (b.mirrored ? 2 : 1); ++side) {
    const double az = side == 0 ? azimuth : -azimuth;
    const double s = wrap_angle(az - b.azimuth) * scale;
    if (std::abs(s) > reach) continue;
    const double along = s * b.cos_angle + t * b.sin_angle;
    const double across = -s * b.sin_angle + t * b.cos_angle;
    const double beyond = along < 0.0 ? -along : std::max(along - b.length_m, 0.0);
    sum += b.height_m * kernel(sq(beyond / b.along_m) + sq(across / b.across_m));
  }
  return sum;
}

double HeadShape::nose_height(double azimuth, double elevation) const {
  const double s = azimuth * nose_metres_per_azimuth_;       // >= 0 (folded)
  const double t = (nose_elev_ - elevation) * nose_radius_;  // down from the nasion
  const double start = -0.004;
  if (t <= start || t >= nose_end_t_) return 0.0;
  // Profile: an S-shaped dorsum up to the tip, then a short rounded underside.
  double p = 0.0;
  if (t <= nose_tip_t_) {
    p = nose_tip_h_ * smoothstep((t - start) / (nose_tip_t_ - start));
  } else {
    p = nose_tip_h_ * sq(1.0 - sq((t - nose_tip_t_) / (nose_end_t_ - nose_tip_t_)));
  }
  // Width grows from the bridge to the wings.
  const double sf = nose_scale_;
  const double half_width = (0.0075 + 0.0095 * smoothstep(t / (0.042 * sf))) * sf;
  const double q = s / half_width;
  return q >= 1.0 ? 0.0 : p * sq(1.0 - q * q);
}

double HeadShape::ear_height(double azimuth, double elevation) const {
  const double s = (azimuth - 0.5 * kPi) * ear_radius_;  // backwards from the tragion
  const double t = elevation * ear_radius_;              // up
  const double len = dims_.ear_length_m, wid = dims_.ear_breadth_m;
  if (std::abs(s - ear_centre_s_) > len || std::abs(t - ear_centre_t_) > len) return 0.0;
  // Auricle: an ellipse leaning back 15 degrees.
  constexpr double kSinLean = 0.25881904510252074, kCosLean = 0.96592582628906831;
  const double ds = s - ear_centre_s_, dt = t - ear_centre_t_;
  const double major = ds * kSinLean + dt * kCosLean;
  const double minor = ds * kCosLean - dt * kSinLean;
  const double q = std::sqrt(sq(major / (0.5 * len)) + sq(minor / (0.5 * wid)));
  if (q >= 1.0) return 0.0;
  // Standing off more towards the back rim (the helix), little at the tragus.
  const double back = std::clamp(0.5 + minor / wid, 0.0, 1.0);
  const double protrusion = dims_.ear_protrusion_m * (0.3 + 0.7 * smoothstep(back));
  double h = protrusion * (1.0 - smoothstep((q - 0.65) / 0.35));
  // Rolled rim (helix) and the concha bowl in front of the antihelix.
  h += 0.0025 * kernel(sq((q - 0.78) / 0.16)) * smoothstep(back * 2.0);
  const double concha_s = 0.22 * wid, concha_t = 0.03 * len;
  h -= 0.55 * protrusion *
       kernel(sq((s - concha_s) / (0.26 * wid)) + sq((t - concha_t) / (0.22 * len)));
  // The ear opening: the tragion is the bottom of this dent.
  h -= 0.3 * protrusion * kernel((s * s + t * t) / sq(0.2 * wid));
  return h;
}

double HeadShape::feature_height(const Vec3& u) const {
  const double az = azimuth_of(u), el = elevation_of(u);
  double h = nose_height(az, el) + ear_height(az, el);
  for (const Bump& b : bumps_) h += bump_height(b, az, el);
  return h;
}

double HeadShape::radius(const Vec3& u) const {
  const Vec3 f(std::abs(u.x()), u.y(), u.z());
  return block_radius(f) + feature_height(f);
}

Vec3 HeadShape::surface_point(const Vec3& d) const {
  const Vec3 u = d.normalized();
  return radius(u) * u;
}

Vec3 HeadShape::face_direction(double x, double y) const {
  double z = 0.08;
  for (int it = 0; it < 6; ++it) z = surface_point(Vec3(x, y, z)).z();
  return Vec3(x, y, z).normalized();
}

Vec3 HeadShape::side_direction(double y, double z) const {
  double x = 0.07;
  for (int it = 0; it < 6; ++it) x = surface_point(Vec3(x, y, z)).x();
  return Vec3(x, y, z).normalized();
}

void HeadShape::add_bump(Vec3 from, Vec3 to, double along_m, double across_m, double height_m,
                         bool mirrored) {
  from.normalize();
  to.normalize();
  Bump b;
  b.azimuth = azimuth_of(from);
  b.elevation = elevation_of(from);
  b.radius_m = block_radius(Vec3(std::abs(from.x()), from.y(), from.z()));
  b.metres_per_azimuth = std::cos(b.elevation) * b.radius_m;
  const double s = wrap_angle(azimuth_of(to) - b.azimuth) * std::cos(b.elevation) * b.radius_m;
  const double t = (elevation_of(to) - b.elevation) * b.radius_m;
  b.length_m = std::hypot(s, t);
  if (b.length_m > 1e-9) b.cos_angle = s / b.length_m, b.sin_angle = t / b.length_m;
  b.along_m = along_m;
  b.across_m = across_m;
  b.height_m = height_m;
  b.mirrored = mirrored;
  bumps_.push_back(b);
}

void HeadShape::place_features() {
  bumps_.clear();
  const double sf = dims_.face_length_m / 0.113, sl = dims_.head_length_m / 0.190;
  const double sh = dims_.tragion_to_top_m / 0.127, sz = dims_.bizygomatic_breadth_m / 0.134;
  const bool male = sex_ == Sex::kMale;
  const HeadLayout& lay = layout_;
  const auto front = [&](double x, double y) { return Vec3(x, y, 0.08 * sl); };
  const auto point = [&](double x, double y, double z) { return Vec3(x, y, z); };

  // Nose frame at the nasion.
  const Vec3 nasion_dir = front(0.0, lay.nasion_y).normalized();
  nose_elev_ = elevation_of(nasion_dir);
  nose_radius_ = block_radius(nasion_dir);
  nose_metres_per_azimuth_ = std::cos(nose_elev_) * nose_radius_;
  const double nose_len = lay.nasion_y - lay.subnasale_y;
  nose_tip_t_ = 0.79 * nose_len;
  nose_end_t_ = nose_len + 0.003 * sf;
  nose_tip_h_ = (male ? 0.021 : 0.019) * sf;
  nose_scale_ = sf;

  // Ear frame at the tragion.
  ear_radius_ = block_radius(Vec3(1.0, 0.0, 0.0));
  ear_centre_s_ = 0.40 * dims_.ear_breadth_m;
  ear_centre_t_ = 0.06 * dims_.ear_length_m;

  // Brow ridge across the forehead, strongest at the glabella; nasion dip below it.
  const double brow = male ? 0.0055 : 0.004;
  add_bump(front(0.0, lay.glabella_y), front(0.0, lay.glabella_y), 0.058 * sz, 0.011 * sf, brow,
           false);
  add_bump(front(0.0, lay.glabella_y), front(0.0, lay.glabella_y), 0.014, 0.010 * sf, 0.0015,
           false);
  add_bump(front(0.0, lay.nasion_y - 0.002 * sf), front(0.0, lay.nasion_y - 0.002 * sf), 0.011 * sf,
           0.008 * sf, -0.003, false);

  // Eyes: socket, closed lids over the eyeball, and the lid seam between the canthi.
  const double pupil = 0.5 * dims_.interpupillary_m;
  const double inner = 0.52 * pupil, outer = 1.5 * pupil;
  add_bump(front(pupil, lay.eye_y + 0.002 * sf), front(pupil, lay.eye_y + 0.002 * sf), 0.022 * sz,
           0.016 * sf, -0.011, true);
  add_bump(front(pupil, lay.eye_y), front(pupil, lay.eye_y), 0.015 * sz, 0.0105 * sf, 0.0068, true);
  add_bump(front(inner, lay.eye_y), front(outer, lay.eye_y + 0.002 * sf), 0.0025, 0.0022, -0.0011,
           true);
  add_bump(front(inner, lay.eye_y), front(inner, lay.eye_y), 0.003, 0.003, -0.0012, true);
  add_bump(front(outer, lay.eye_y + 0.002 * sf), front(outer, lay.eye_y + 0.002 * sf), 0.003, 0.003,
           -0.0012, true);
  // Eyebrows: a low ridge from the inner to the outer end.
  add_bump(front(0.56 * pupil, lay.glabella_y - 0.003 * sf),
           front(1.75 * pupil, lay.glabella_y - 0.005 * sf), 0.008, 0.006, 0.0008, true);

  // Cheekbones and temples.
  add_bump(front(1.55 * pupil, lay.eye_y - 0.022 * sf), front(1.55 * pupil, lay.eye_y - 0.022 * sf),
           0.02 * sz, 0.014 * sf, 0.0045, true);
  add_bump(point(0.062 * sz, 0.030 * sh, 0.052 * sl), point(0.062 * sz, 0.030 * sh, 0.052 * sl),
           0.02, 0.018, -0.003, true);

  // Lips, the mouth line and its corners; the chin.
  const double mouth_half = 0.78 * pupil;
  add_bump(front(0.0, lay.stomion_y + 0.0065 * sf), front(0.0, lay.stomion_y + 0.0065 * sf),
           0.025 * sz, 0.0085 * sf, 0.0055, false);
  add_bump(front(0.0, lay.stomion_y - 0.0075 * sf), front(0.0, lay.stomion_y - 0.0075 * sf),
           0.022 * sz, 0.0085 * sf, 0.005, false);
  add_bump(front(-mouth_half, lay.stomion_y), front(mouth_half, lay.stomion_y), 0.0025, 0.0019,
           -0.0018, false);
  add_bump(front(mouth_half, lay.stomion_y), front(mouth_half, lay.stomion_y), 0.0035, 0.0035,
           -0.0012, true);
  add_bump(front(0.0, lay.menton_y + 0.013 * sf), front(0.0, lay.menton_y + 0.013 * sf), 0.016 * sz,
           0.012 * sf, male ? 0.005 : 0.004, false);

  // Nose wings and nostrils (relative to the nose frame).
  const auto nose_point = [&](double s, double t) {
    return direction_of(s / (std::cos(nose_elev_) * nose_radius_), nose_elev_ - t / nose_radius_);
  };
  add_bump(nose_point(0.013 * sf, 0.041 * sf), nose_point(0.013 * sf, 0.041 * sf), 0.0075 * sf,
           0.0075 * sf, 0.0045, true);
  const double nostril_t = nose_tip_t_ + 0.62 * (nose_end_t_ - nose_tip_t_);
  add_bump(nose_point(0.0062 * sf, nostril_t), nose_point(0.0062 * sf, nostril_t), 0.0035 * sf,
           0.0045 * sf, -0.004, true);

  // Back of the head: occipital bulge and the external occipital protuberance (inion).
  add_bump(point(0.0, 0.035 * sh, -0.1), point(0.0, 0.035 * sh, -0.1), 0.04, 0.03, 0.003, false);
  add_bump(point(0.0, 0.004 * sh, -0.1), point(0.0, 0.004 * sh, -0.1), 0.013, 0.008, 0.0035, false);
  // Mastoid processes behind and below the ears.
  add_bump(point(0.05, -0.030 * sh, -0.030 * sl), point(0.05, -0.030 * sh, -0.030 * sl), 0.009,
           0.011, 0.004, true);
}

void HeadShape::calibrate() {
  const double B = dims_.head_breadth_m;
  const double T = dims_.tragion_to_top_m, C = dims_.head_circumference_m;
  const auto midline = [&](double elevation, bool back) {
    return surface_point(direction_of(back ? kPi : 0.0, elevation));
  };
  const auto measure_breadth = [&]() {
    const double y_min = surface_point(ear_apex_direction()).y() + 0.008;
    double best = 0.0;
    for (int i = 0; i <= 40; ++i) {
      for (int j = 0; j <= 40; ++j) {
        const double az = 0.5 * kPi + (i - 20) * 0.03, el = 0.1 + j * 0.03;
        const Vec3 p = surface_point(direction_of(az, el));
        if (p.y() >= y_min) best = std::max(best, p.x());
      }
    }
    return 2.0 * best;
  };
  double slope = 0.0, last_c = 0.0, last_w = 0.0;
  for (int pass = 0; pass < 6; ++pass) {
    // Measure what was built.
    const double top =
        midline(argmax([&](double e) { return midline(e, false).y(); }, 0.8, 1.5708), false).y();
    const double top_back =
        midline(argmax([&](double e) { return midline(e, true).y(); }, 0.8, 1.5708), true).y();
    const double e_glabella = std::atan2(layout_.glabella_y, layout_.glabella_z);
    const double g_z = midline(argmax([&](double e) { return midline(e, false).z(); },
                                      e_glabella - 0.1, e_glabella + 0.15),
                               false)
                           .z();
    const double o_z =
        midline(argmax([&](double e) { return -midline(e, true).z(); }, -0.2, 1.0), true).z();
    const double breadth = measure_breadth();
    const double circ = tape_circumference();
    // Adjust the cranium towards the table.
    blocks_.up += T - std::max(top, top_back);
    blocks_.front += layout_.glabella_z - g_z;
    blocks_.back += o_z - layout_.occiput_z;
    blocks_.half_breadth += 0.5 * (B - breadth);
    // Squareness of the horizontal sections sets the circumference: the back squares up
    // first (w in [0, 1]), then the front (w in [1, 2]). Secant steps on w.
    if (pass > 0 && std::abs(circ - last_c) > 1e-7) {
      slope = (squareness_ - last_w) / (circ - last_c);
    } else if (pass == 0) {
      slope = 1.0 / (0.08 * C);
    }
    last_c = circ;
    last_w = squareness_;
    squareness_ = std::clamp(squareness_ + slope * (C - circ), 0.0, 2.0);
    blocks_.square_back = std::min(squareness_, 1.0);
    blocks_.square_front = 0.1 + 0.6 * std::max(squareness_ - 1.0, 0.0);
    place_features();
  }
}

double HeadShape::tape_circumference() const {
  const auto midline = [&](double elevation, bool back) {
    return surface_point(direction_of(back ? kPi : 0.0, elevation));
  };
  const double e_glabella = std::atan2(layout_.glabella_y, layout_.glabella_z);
  const Vec3 g = midline(
      argmax([&](double e) { return midline(e, false).z(); }, e_glabella - 0.1, e_glabella + 0.15),
      false);
  const Vec3 o = midline(argmax([&](double e) { return -midline(e, true).z(); }, -0.2, 1.0), true);
  const Vec3 centre = 0.5 * (g + o);
  const Vec3 e1 = (g - o).normalized(), e2(1.0, 0.0, 0.0);
  std::vector<Eigen::Vector2d> pts;
  const int n = 180;
  for (int i = 0; i < n; ++i) {
    const double a = 2.0 * kPi * i / n;
    const Vec3 d = std::cos(a) * e1 + std::sin(a) * e2;
    double lo = 0.0, hi = 0.2;
    for (int it = 0; it < 32; ++it) {
      const double mid = 0.5 * (lo + hi);
      const Vec3 p = centre + mid * d;
      (p.norm() < radius(p.normalized()) ? lo : hi) = mid;
    }
    const double r = 0.5 * (lo + hi);
    pts.emplace_back(r * std::cos(a), r * std::sin(a));
  }
  return geometry::convex_hull_perimeter(std::move(pts));
}

Vec3 HeadShape::ear_apex_direction() const {
  // The highest point on the auricle (where it stands off the head by 30 % of its protrusion).
  double best_y = -1.0;
  Vec3 best(1.0, 0.0, 0.0);
  for (int i = 0; i <= 60; ++i) {
    for (int j = 0; j <= 60; ++j) {
      const double az = 0.5 * kPi - 0.1 + i * 0.012, el = 0.1 + j * 0.01;
      if (ear_height(az, el) < 0.3 * dims_.ear_protrusion_m) continue;
      const Vec3 p = surface_point(direction_of(az, el));
      if (p.y() > best_y) best_y = p.y(), best = direction_of(az, el);
    }
  }
  return best;
}

std::array<Vec3, kLandmarkCount> HeadShape::landmark_directions() const {
  std::array<Vec3, kLandmarkCount> d{};
  const auto set = [&](Landmark l, const Vec3& v) { d[static_cast<int>(l)] = v.normalized(); };
  const auto mid = [](double elevation, bool back) {
    return direction_of(back ? kPi : 0.0, elevation);
  };
  const HeadLayout& lay = layout_;
  const double sf = dims_.face_length_m / 0.113, sl = dims_.head_length_m / 0.190;
  const double sh = dims_.tragion_to_top_m / 0.127, sz = dims_.bizygomatic_breadth_m / 0.134;
  const double pupil = 0.5 * dims_.interpupillary_m;

  // Vertex: the highest point, on the midline (front or back half).
  const double e_vf =
      argmax([&](double e) { return surface_point(mid(e, false)).y(); }, 0.8, 1.5708);
  const double e_vb =
      argmax([&](double e) { return surface_point(mid(e, true)).y(); }, 0.8, 1.5708);
  set(Landmark::kVertex, surface_point(mid(e_vf, false)).y() >= surface_point(mid(e_vb, true)).y()
                             ? mid(e_vf, false)
                             : mid(e_vb, true));
  // Nose tip: the most forward point; glabella: most forward on the brow; nasion between.
  const double e_tip =
      argmax([&](double e) { return surface_point(mid(e, false)).z(); },
             std::atan2(lay.subnasale_y - 0.01, 0.1), std::atan2(lay.nasion_y, 0.09));
  const double e_gl = std::atan2(lay.glabella_y, lay.glabella_z);
  const double e_glabella =
      argmax([&](double e) { return surface_point(mid(e, false)).z(); }, e_gl - 0.1, e_gl + 0.15);
  const double e_nasion =
      argmax([&](double e) { return -surface_point(mid(e, false)).z(); }, e_tip + 0.05, e_glabella);
  set(Landmark::kNoseTip, mid(e_tip, false));
  set(Landmark::kGlabella, mid(e_glabella, false));
  set(Landmark::kNasion, mid(e_nasion, false));
  // Menton: the lowest point of the chin.
  const double e_m = std::atan2(lay.menton_y, 0.066 * sl);
  set(Landmark::kChin,
      mid(argmax([&](double e) { return -surface_point(mid(e, false)).y(); }, e_m - 0.2, e_m + 0.2),
          false));
  set(Landmark::kInion, Vec3(0.0, 0.004 * sh, -0.1));

  // Left side by construction; the right side mirrors it.
  set(Landmark::kTragionLeft, Vec3(1.0, 0.0, 0.0));
  set(Landmark::kEarApexLeft, ear_apex_direction());
  set(Landmark::kEyeInnerLeft, face_direction(0.52 * pupil, lay.eye_y));
  set(Landmark::kEyeOuterLeft, face_direction(1.5 * pupil, lay.eye_y + 0.002 * sf));
  set(Landmark::kBrowInnerLeft, face_direction(0.56 * pupil, lay.glabella_y - 0.003 * sf));
  set(Landmark::kBrowOuterLeft, face_direction(1.75 * pupil, lay.glabella_y - 0.005 * sf));
  set(Landmark::kMouthCornerLeft, face_direction(0.78 * pupil, lay.stomion_y));
  set(Landmark::kJawAngleLeft,
      Vec3(0.5 * 0.83 * dims_.bizygomatic_breadth_m, lay.menton_y + 0.026 * sf, 0.006 * sl));
  set(Landmark::kMastoidLeft, Vec3(0.05, -0.030 * sh, -0.030 * sl));
  (void)sz;

  for (int i = 0; i < kLandmarkCount; ++i) {
    const Landmark l = static_cast<Landmark>(i);
    const Landmark m = mirror(l);
    if (m != l && landmark_name(l).ends_with("_right")) {
      const Vec3& left = d[static_cast<int>(m)];
      d[i] = Vec3(-left.x(), left.y(), left.z());
    }
  }
  return d;
}

}  // namespace headspa::anatomy::detail
