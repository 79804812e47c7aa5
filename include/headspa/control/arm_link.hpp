// The arm link: headspa's wire format between the 1 kHz tick and a real arm's driver.
//
// Two frame kinds, each a fixed-size little-endian record sent as one message (one datagram on a
// SOCK_SEQPACKET or UDP socket): the driver sends a measured state every control period, the
// tick answers each with a command. Every frame carries a sequence number, the last sequence
// number it received from the other side, a timestamp on the rig clock and a CRC-32. The layout
// is in docs/arm-adapter.md; encode and decode are allocation-free and noexcept, so they run
// inside the tick.
//
//   std::array<std::uint8_t, link::kStateFrameBytes> buf;
//   link::encode_state(state, seq, ack, buf);
//   link::FrameHeader h; RigState s;
//   if (link::decode_state(buf, &h, &s) != link::DecodeError::kNone) ...  // frame rejected
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "headspa/control/rig.hpp"

namespace headspa::control::link {

inline constexpr std::uint32_t kMagic = 0x4C415348;  // "HSAL" in memory order
inline constexpr std::uint8_t kVersion = 1;

enum class FrameKind : std::uint8_t { kState = 1, kCommand = 2 };

inline constexpr std::size_t kHeaderBytes = 24;
inline constexpr std::size_t kCrcBytes = 4;
// State payload: flags (u32) then per pad position, velocity, force (3 f64 each) and six joint
// angles, then the head pose (translation 3 f64, quaternion w x y z).
inline constexpr std::size_t kStatePayloadBytes = 4 + 8 * (kPads * 15 + 7);
// Command payload: flags (u32) then per pad the Cartesian force, tool axis, target position,
// target velocity, target acceleration (3 f64 each) and the target normal force (f64).
inline constexpr std::size_t kCommandPayloadBytes = 4 + 8 * (kPads * 16);
inline constexpr std::size_t kStateFrameBytes = kHeaderBytes + kStatePayloadBytes + kCrcBytes;
inline constexpr std::size_t kCommandFrameBytes = kHeaderBytes + kCommandPayloadBytes + kCrcBytes;
inline constexpr std::size_t kMaxFrameBytes =
    kStateFrameBytes > kCommandFrameBytes ? kStateFrameBytes : kCommandFrameBytes;

// State flags.
inline constexpr std::uint32_t kStateEStop = 1u << 0;
inline constexpr std::uint32_t kStateHeadTracked = 1u << 1;
inline constexpr std::uint32_t kStateForceValidPad0 = 1u << 2;  // pad p: bit 2 + p
// Command flags: bit p says pad p regulates its normal force; bits 8-15 carry the runner state
// (RunnerState's value) for the driver's display; kCommandHold asks the driver to hold still
// with no force (the session is over or the link is being closed).
inline constexpr std::uint32_t kCommandForceModePad0 = 1u << 0;
inline constexpr std::uint32_t kCommandHold = 1u << 16;

struct FrameHeader {
  FrameKind kind = FrameKind::kState;
  std::uint32_t seq = 0;  // the sender's frame counter, +1 per frame
  std::uint32_t ack = 0;  // the last sequence number the sender received from the other side
  double stamp_s = 0.0;   // rig clock: a state's measurement time, or the state a command answers
};

// What a command frame carries besides the pads.
struct CommandExtras {
  std::uint8_t runner_state = 0;
  bool hold = false;
};

enum class DecodeError : std::uint8_t {
  kNone,
  kBadLength,   // not the frame kind's size
  kBadMagic,    // not an arm-link frame
  kBadVersion,  // another protocol version
  kBadKind,     // a frame of the other kind or an unknown one
  kBadCrc,      // the checksum does not match: corrupted
  kNotFinite,   // a NaN or infinite number
};
std::string_view decode_error_name(DecodeError error) noexcept;

// CRC-32 (IEEE 802.3, reflected, as zlib's crc32).
std::uint32_t crc32(std::span<const std::uint8_t> bytes) noexcept;

// Encode into `out` (at least the frame's size); return the bytes written (0: `out` too small).
std::size_t encode_state(const RigState& state, std::uint32_t seq, std::uint32_t ack,
                         std::span<std::uint8_t> out) noexcept;
std::size_t encode_command(const RigCommand& command, const CommandExtras& extras,
                           std::uint32_t seq, std::uint32_t ack, double stamp_s,
                           std::span<std::uint8_t> out) noexcept;

// Decode a whole frame; on any error the outputs are left untouched. A decoded state has
// state_age_s and rejected_frames at zero (the link layer fills them in) and t_s = stamp_s.
DecodeError decode_state(std::span<const std::uint8_t> frame, FrameHeader* header,
                         RigState* state) noexcept;
DecodeError decode_command(std::span<const std::uint8_t> frame, FrameHeader* header,
                           RigCommand* command, CommandExtras* extras) noexcept;

}  // namespace headspa::control::link
