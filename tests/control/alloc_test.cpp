// Proves that the 1 kHz tick (runner, controller, safety monitor, devices) never touches the
// heap: every allocation function of this test binary is replaced by a counting one, and the
// count must not move across many ticks, including pauses, faults and the retract.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "headspa/control/session_runner.hpp"
#include "test_rig.hpp"

#if defined(__SANITIZE_ADDRESS__)
#define HEADSPA_ALLOC_GUARD 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HEADSPA_ALLOC_GUARD 0
#endif
#endif
#ifndef HEADSPA_ALLOC_GUARD
#define HEADSPA_ALLOC_GUARD 1
#endif

namespace {
std::atomic<long> g_allocations{0};
std::atomic<bool> g_guard{false};
[[maybe_unused]] void note_allocation() noexcept {
  if (g_guard.load(std::memory_order_relaxed)) g_allocations.fetch_add(1);
}
}  // namespace

#if HEADSPA_ALLOC_GUARD
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);
void* __libc_memalign(std::size_t, std::size_t);
void* malloc(std::size_t n) {
  note_allocation();
  return __libc_malloc(n);
}
void* calloc(std::size_t n, std::size_t size) {
  note_allocation();
  return __libc_calloc(n, size);
}
void* realloc(void* p, std::size_t n) {
  note_allocation();
  return __libc_realloc(p, n);
}
void* aligned_alloc(std::size_t alignment, std::size_t n) {
  note_allocation();
  return __libc_memalign(alignment, n);
}
}
void* operator new(std::size_t n) {
  note_allocation();
  if (void* p = __libc_malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n) { return operator new(n); }
void* operator new(std::size_t n, std::align_val_t a) {
  note_allocation();
  if (void* p = __libc_memalign(static_cast<std::size_t>(a), n ? n : 1)) return p;
  throw std::bad_alloc();
}
void* operator new[](std::size_t n, std::align_val_t a) { return operator new(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
#endif

namespace headspa::control {
namespace {

TEST(AllocationGuardTest, TheGuardSeesAllocations) {
  if (!HEADSPA_ALLOC_GUARD) GTEST_SKIP() << "allocation guard is off under AddressSanitizer";
  g_allocations = 0;
  g_guard = true;
  auto* p = new std::vector<int>(100);
  g_guard = false;
  delete p;
  EXPECT_GE(g_allocations.load(), 2);
}

TEST(AllocationGuardTest, TickNeverAllocates) {
  if (!HEADSPA_ALLOC_GUARD) GTEST_SKIP() << "allocation guard is off under AddressSanitizer";
  const auto plan = test::make_plan({.hold_s = 3.0, .circle_radius_m = 0.01});
  const HeadField field(test::HeadFixture::get().head);
  test::PointRig rig(plan);
  SessionRunner runner(plan, field, RunnerOptions{});
  runner.post(LiveCommand::kStart);
  // The rig's own contact queries may allocate: precompute its states outside the guard and
  // only count inside runner.tick().
  long ticks = 0;
  long counted = 0;
  for (int i = 0; i < 12000 && !runner.done(); ++i) {
    RigState s = rig.state();
    if (i == 3000) runner.post(LiveCommand::kFirmer);
    if (i == 3500) runner.post(LiveCommand::kPause);
    if (i == 4500) runner.post(LiveCommand::kResume);
    if (i == 5000) runner.devices().heater.inject_stuck_relay();
    if (i > 7000 && i < 7003) s.pads[0].force_n *= 5.0;
    if (i > 8000) s.estop = true;
    g_allocations = 0;
    g_guard = true;
    const RigCommand c = runner.tick(s, 0.001);
    g_guard = false;
    counted += g_allocations.load();
    rig.step(c, 0.001);
    ++ticks;
  }
  EXPECT_GT(ticks, 8000);
  EXPECT_EQ(counted, 0) << "allocations inside the tick";
  EXPECT_EQ(runner.state(), RunnerState::kAborted);
  EXPECT_GE(runner.log().count(EventKind::kLiveCommand), 3u);
}

}  // namespace
}  // namespace headspa::control
