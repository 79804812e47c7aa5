#include "headspa/control/arm_link.hpp"

#include <array>
#include <bit>
#include <cmath>
#include <cstring>

namespace headspa::control::link {
namespace {

static_assert(std::endian::native == std::endian::little,
              "the arm link's byte order is little-endian; add byte swapping for this target");

// The reflected CRC-32 table, built at compile time.
constexpr std::array<std::uint32_t, 256> make_crc_table() {
  std::array<std::uint32_t, 256> table{};
  for (std::uint32_t i = 0; i < 256; ++i) {
    std::uint32_t c = i;
    for (int k = 0; k < 8; ++k) c = (c & 1u) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  return table;
}
constexpr std::array<std::uint32_t, 256> kCrcTable = make_crc_table();

// Sequential little-endian writer and reader over a fixed buffer (bounds are checked by the
// callers, which size the buffer first).
struct Writer {
  std::uint8_t* p;
  void u8(std::uint8_t v) noexcept { *p++ = v; }
  void u16(std::uint16_t v) noexcept { put(&v, 2); }
  void u32(std::uint32_t v) noexcept { put(&v, 4); }
  void f64(double v) noexcept { put(&v, 8); }
  void vec(const Eigen::Vector3d& v) noexcept {
    for (int i = 0; i < 3; ++i) f64(v[i]);
  }
  void put(const void* v, std::size_t n) noexcept {
    std::memcpy(p, v, n);
    p += n;
  }
};

struct Reader {
  const std::uint8_t* p;
  bool finite = true;
  std::uint8_t u8() noexcept { return *p++; }
  std::uint16_t u16() noexcept { return get<std::uint16_t>(); }
  std::uint32_t u32() noexcept { return get<std::uint32_t>(); }
  double f64() noexcept {
    const double v = get<double>();
    finite = finite && std::isfinite(v);
    return v;
  }
  Eigen::Vector3d vec() noexcept {
    Eigen::Vector3d v;
    for (int i = 0; i < 3; ++i) v[i] = f64();
    return v;
  }
  template <typename T>
  T get() noexcept {
    T v;
    std::memcpy(&v, p, sizeof v);
    p += sizeof v;
    return v;
  }
};

void write_header(Writer& w, FrameKind kind, std::size_t payload, std::uint32_t seq,
                  std::uint32_t ack, double stamp_s) noexcept {
  w.u32(kMagic);
  w.u8(kVersion);
  w.u8(static_cast<std::uint8_t>(kind));
  w.u16(static_cast<std::uint16_t>(payload));
  w.u32(seq);
  w.u32(ack);
  w.f64(stamp_s);
}

void seal(std::uint8_t* frame, std::size_t body) noexcept {
  const std::uint32_t crc = crc32({frame, body});
  std::memcpy(frame + body, &crc, sizeof crc);
}

// Checks size, magic, version, kind and CRC; returns the header through `h`.
DecodeError check_frame(std::span<const std::uint8_t> frame, FrameKind kind, std::size_t size,
                        FrameHeader* h) noexcept {
  if (frame.size() != size) return DecodeError::kBadLength;
  Reader r{frame.data()};
  if (r.u32() != kMagic) return DecodeError::kBadMagic;
  if (r.u8() != kVersion) return DecodeError::kBadVersion;
  if (r.u8() != static_cast<std::uint8_t>(kind)) return DecodeError::kBadKind;
  if (r.u16() != size - kHeaderBytes - kCrcBytes) return DecodeError::kBadLength;
  std::uint32_t crc = 0;
  std::memcpy(&crc, frame.data() + size - kCrcBytes, sizeof crc);
  if (crc != crc32(frame.first(size - kCrcBytes))) return DecodeError::kBadCrc;
  h->kind = kind;
  h->seq = r.u32();
  h->ack = r.u32();
  h->stamp_s = r.f64();
  if (!r.finite) return DecodeError::kNotFinite;
  return DecodeError::kNone;
}

}  // namespace

std::string_view decode_error_name(DecodeError error) noexcept {
  switch (error) {
    case DecodeError::kNone:
      return "none";
    case DecodeError::kBadLength:
      return "length";
    case DecodeError::kBadMagic:
      return "magic";
    case DecodeError::kBadVersion:
      return "version";
    case DecodeError::kBadKind:
      return "kind";
    case DecodeError::kBadCrc:
      return "crc";
    case DecodeError::kNotFinite:
      return "not_finite";
  }
  return "unknown";
}

std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept {
  std::uint32_t c = 0xFFFFFFFFu;
  for (const std::uint8_t b : bytes) c = kCrcTable[(c ^ b) & 0xFFu] ^ (c >> 8);
  return c ^ 0xFFFFFFFFu;
}

std::size_t encode_state(const RigState& s, std::uint32_t seq, std::uint32_t ack,
                         std::span<std::uint8_t> out) noexcept {
  if (out.size() < kStateFrameBytes) return 0;
  Writer w{out.data()};
  write_header(w, FrameKind::kState, kStatePayloadBytes, seq, ack, s.t_s);
  std::uint32_t flags = 0;
  if (s.estop) flags |= kStateEStop;
  if (s.head_tracking_valid) flags |= kStateHeadTracked;
  for (int p = 0; p < kPads; ++p) {
    if (s.pads[static_cast<std::size_t>(p)].force_valid) flags |= kStateForceValidPad0 << p;
  }
  w.u32(flags);
  for (const PadMeasurement& m : s.pads) {
    w.vec(m.position_m);
    w.vec(m.velocity_m_per_s);
    w.vec(m.force_n);
    for (const double q : m.joint_position_rad) w.f64(q);
  }
  w.vec(s.head_pose_tracked.translation());
  const Eigen::Quaterniond q(s.head_pose_tracked.linear());
  w.f64(q.w());
  w.f64(q.x());
  w.f64(q.y());
  w.f64(q.z());
  seal(out.data(), kStateFrameBytes - kCrcBytes);
  return kStateFrameBytes;
}

std::size_t encode_command(const RigCommand& c, const CommandExtras& extras, std::uint32_t seq,
                           std::uint32_t ack, double stamp_s,
                           std::span<std::uint8_t> out) noexcept {
  if (out.size() < kCommandFrameBytes) return 0;
  Writer w{out.data()};
  write_header(w, FrameKind::kCommand, kCommandPayloadBytes, seq, ack, stamp_s);
  std::uint32_t flags = static_cast<std::uint32_t>(extras.runner_state) << 8;
  if (extras.hold) flags |= kCommandHold;
  for (int p = 0; p < kPads; ++p) {
    if (c.pads[static_cast<std::size_t>(p)].force_mode) flags |= kCommandForceModePad0 << p;
  }
  w.u32(flags);
  for (const PadCommand& pc : c.pads) {
    w.vec(pc.force_n);
    w.vec(pc.tool_axis);
    w.vec(pc.target_position_m);
    w.vec(pc.target_velocity_m_per_s);
    w.vec(pc.target_acceleration_m_per_s2);
    w.f64(pc.target_normal_force_n);
  }
  seal(out.data(), kCommandFrameBytes - kCrcBytes);
  return kCommandFrameBytes;
}

DecodeError decode_state(std::span<const std::uint8_t> frame, FrameHeader* header,
                         RigState* state) noexcept {
  FrameHeader h;
  if (const DecodeError e = check_frame(frame, FrameKind::kState, kStateFrameBytes, &h);
      e != DecodeError::kNone) {
    return e;
  }
  Reader r{frame.data() + kHeaderBytes};
  RigState s;
  s.t_s = h.stamp_s;
  const std::uint32_t flags = r.u32();
  s.estop = (flags & kStateEStop) != 0;
  s.head_tracking_valid = (flags & kStateHeadTracked) != 0;
  for (int p = 0; p < kPads; ++p) {
    PadMeasurement& m = s.pads[static_cast<std::size_t>(p)];
    m.force_valid = (flags & (kStateForceValidPad0 << p)) != 0;
    m.position_m = r.vec();
    m.velocity_m_per_s = r.vec();
    m.force_n = r.vec();
    for (double& q : m.joint_position_rad) q = r.f64();
  }
  const Eigen::Vector3d head_t = r.vec();
  const double qw = r.f64(), qx = r.f64(), qy = r.f64(), qz = r.f64();
  if (!r.finite) return DecodeError::kNotFinite;
  Eigen::Quaterniond q(qw, qx, qy, qz);
  const double qn = q.norm();
  // A rotation must arrive as a unit quaternion (to within rounding of the sender's value).
  if (!(std::abs(qn - 1.0) < 1e-6)) return DecodeError::kNotFinite;
  q.normalize();
  s.head_pose_tracked = Eigen::Isometry3d::Identity();
  s.head_pose_tracked.linear() = q.toRotationMatrix();
  s.head_pose_tracked.translation() = head_t;
  *header = h;
  *state = s;
  return DecodeError::kNone;
}

DecodeError decode_command(std::span<const std::uint8_t> frame, FrameHeader* header,
                           RigCommand* command, CommandExtras* extras) noexcept {
  FrameHeader h;
  if (const DecodeError e = check_frame(frame, FrameKind::kCommand, kCommandFrameBytes, &h);
      e != DecodeError::kNone) {
    return e;
  }
  Reader r{frame.data() + kHeaderBytes};
  RigCommand c;
  const std::uint32_t flags = r.u32();
  for (int p = 0; p < kPads; ++p) {
    PadCommand& pc = c.pads[static_cast<std::size_t>(p)];
    pc.force_mode = (flags & (kCommandForceModePad0 << p)) != 0;
    pc.force_n = r.vec();
    pc.tool_axis = r.vec();
    pc.target_position_m = r.vec();
    pc.target_velocity_m_per_s = r.vec();
    pc.target_acceleration_m_per_s2 = r.vec();
    pc.target_normal_force_n = r.f64();
  }
  if (!r.finite) return DecodeError::kNotFinite;
  *header = h;
  *command = c;
  *extras =
      CommandExtras{static_cast<std::uint8_t>((flags >> 8) & 0xFFu), (flags & kCommandHold) != 0};
  return DecodeError::kNone;
}

}  // namespace headspa::control::link
