#include "supernodal_solve.hpp"

#include "headspa/core/error.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace headspa::geometry::detail {

namespace {

const int* ints(void* p) { return static_cast<const int*>(p); }

// Offset of column j of a supernode of nrow rows from the supernode's first packed value.
std::int64_t packed_column(int j, int nrow) {
  return static_cast<std::int64_t>(j) * nrow - static_cast<std::int64_t>(j) * (j - 1) / 2;
}

void cpu_relax() {
#if defined(__x86_64__) || defined(__i386__)
  __builtin_ia32_pause();
#endif
}

// Iterations a waiting thread spins before it sleeps: a pass's two halves end within a few
// microseconds of each other, and solves come in bursts.
constexpr int kSpin = 1 << 14;

}  // namespace

bool vector_kernels_available() {
#if defined(__x86_64__)
  static const bool available = __builtin_cpu_supports("avx2");
  return available;
#else
  return false;
#endif
}

SupernodalStructure::SupernodalStructure(const cholmod_factor& f) {
  HEADSPA_CHECK(f.is_super && f.is_ll && f.xtype == CHOLMOD_REAL && f.itype == CHOLMOD_INT &&
                    f.dtype == CHOLMOD_DOUBLE,
                "a numeric supernodal LL^T factor of doubles with int indices");
  n = static_cast<int>(f.n);
  nsuper = static_cast<int>(f.nsuper);
  const auto ns = static_cast<std::size_t>(nsuper);
  super.assign(ints(f.super), ints(f.super) + ns + 1);
  row_start.assign(ints(f.pi), ints(f.pi) + ns + 1);
  value_start.assign(ints(f.px), ints(f.px) + ns + 1);
  rows.assign(ints(f.s), ints(f.s) + row_start[ns]);
  perm.assign(ints(f.Perm), ints(f.Perm) + n);
  finish();
}

SupernodalStructure::SupernodalStructure(int order, std::vector<int> first_columns,
                                         std::vector<int> row_offsets, std::vector<int> row_indices,
                                         std::vector<int> pivots,
                                         std::vector<std::int64_t> value_offsets)
    : n(order),
      nsuper(static_cast<int>(first_columns.size()) - 1),
      super(std::move(first_columns)),
      row_start(std::move(row_offsets)),
      value_start(std::move(value_offsets)),
      rows(std::move(row_indices)),
      perm(std::move(pivots)) {
  HEADSPA_CHECK(nsuper >= 0 && row_start.size() == super.size() &&
                    value_start.size() == super.size() &&
                    perm.size() == static_cast<std::size_t>(n) && super.back() == n,
                "a supernodal structure");
  finish();
}

void SupernodalStructure::finish() {
  const auto ns = static_cast<std::size_t>(nsuper);
  inverse_perm.assign(static_cast<std::size_t>(n), 0);
  for (int k = 0; k < n; ++k)
    inverse_perm[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])] = k;
  column_super.assign(static_cast<std::size_t>(n), 0);
  parent.assign(ns, -1);
  packed_start.assign(ns + 1, 0);
  for (std::size_t s = 0; s < ns; ++s) {
    for (int k = super[s]; k < super[s + 1]; ++k)
      column_super[static_cast<std::size_t>(k)] = static_cast<int>(s);
  }
  for (std::size_t s = 0; s < ns; ++s) {
    const int ncol = super[s + 1] - super[s];
    const int nrow = row_start[s + 1] - row_start[s];
    max_rows = std::max(max_rows, nrow);
    packed_start[s + 1] = packed_start[s] + packed_column(ncol, nrow);
    if (nrow > ncol) {
      const int first_below = rows[static_cast<std::size_t>(row_start[s] + ncol)];
      parent[s] = column_super[static_cast<std::size_t>(first_below)];
      HEADSPA_CHECK(parent[s] > static_cast<int>(s), "supernodes in topological order");
    }
  }
  cut_tree();
}

void SupernodalStructure::cut_tree() {
  const auto ns = static_cast<std::size_t>(nsuper);
  std::vector<std::int64_t> cost(ns), subtree(ns, 0);
  std::vector<int> child_start(ns + 1, 0);
  for (std::size_t s = 0; s < ns; ++s) {
    cost[s] = packed_start[s + 1] - packed_start[s];
    subtree[s] += cost[s];
    if (parent[s] >= 0) {
      subtree[static_cast<std::size_t>(parent[s])] += subtree[s];
      ++child_start[static_cast<std::size_t>(parent[s]) + 1];
    }
  }
  for (std::size_t s = 0; s < ns; ++s) child_start[s + 1] += child_start[s];
  std::vector<int> children(ns > 0 ? static_cast<std::size_t>(child_start[ns]) : 0);
  std::vector<int> fill(child_start.begin(), child_start.end() - 1);
  std::vector<int> frontier;
  for (std::size_t s = 0; s < ns; ++s) {
    if (parent[s] >= 0) {
      children[static_cast<std::size_t>(fill[static_cast<std::size_t>(parent[s])]++)] =
          static_cast<int>(s);
    } else {
      frontier.push_back(static_cast<int>(s));
    }
  }

  // Move the largest subtree of the frontier into the serial top until the frontier can be
  // split in two; then, for a few more moves, keep the cut whose longer side (top plus the
  // larger part) is shortest. The parts are filled largest subtree first, each into the
  // lighter part. The frontier is kept sorted, heaviest first (ties by index).
  std::int64_t serial = 0;
  std::int64_t frontier_total = 0;
  for (int r : frontier) frontier_total += subtree[static_cast<std::size_t>(r)];
  std::vector<int> expanded;
  auto heavier = [&subtree](int a, int b) {
    const std::int64_t wa = subtree[static_cast<std::size_t>(a)];
    const std::int64_t wb = subtree[static_cast<std::size_t>(b)];
    return wa != wb ? wa > wb : a < b;
  };
  std::sort(frontier.begin(), frontier.end(), heavier);
  auto expand = [&] {
    const int s = frontier.front();
    frontier.erase(frontier.begin());
    expanded.push_back(s);
    const auto si = static_cast<std::size_t>(s);
    serial += cost[si];
    frontier_total -= subtree[si];
    for (int c = child_start[si]; c < child_start[si + 1]; ++c) {
      const int child = children[static_cast<std::size_t>(c)];
      frontier.insert(std::upper_bound(frontier.begin(), frontier.end(), child, heavier), child);
      frontier_total += subtree[static_cast<std::size_t>(child)];
    }
  };
  while (!frontier.empty() &&
         2 * subtree[static_cast<std::size_t>(frontier.front())] > frontier_total) {
    expand();
  }
  std::int64_t best_span = std::numeric_limits<std::int64_t>::max();
  std::size_t best_expanded = 0;
  std::vector<int> best_frontier;
  for (int round = 0; round < 64 && !frontier.empty() && serial < best_span; ++round) {
    std::int64_t bins[2] = {0, 0};
    for (int r : frontier) bins[bins[1] < bins[0] ? 1 : 0] += subtree[static_cast<std::size_t>(r)];
    const std::int64_t span = serial + std::max(bins[0], bins[1]);
    if (span < best_span) {
      best_span = span;
      best_expanded = expanded.size();
      best_frontier = frontier;
    }
    expand();
  }

  // owner: -1 top, 0 or 1 a part.
  std::vector<int> owner(ns, -2);
  for (std::size_t k = 0; k < best_expanded; ++k) owner[static_cast<std::size_t>(expanded[k])] = -1;
  std::int64_t bins[2] = {0, 0};
  for (int r : best_frontier) {
    const int b = bins[1] < bins[0] ? 1 : 0;
    bins[b] += subtree[static_cast<std::size_t>(r)];
    owner[static_cast<std::size_t>(r)] = b;
  }
  for (std::size_t s = ns; s-- > 0;) {
    if (owner[s] == -2) owner[s] = parent[s] >= 0 ? owner[static_cast<std::size_t>(parent[s])] : -1;
  }
  // Each part's rows in the top must come after its own rows (true for a postordered tree
  // with sorted rows); otherwise no cut.
  top_rows_from.assign(ns, 0);
  bool cut = !best_frontier.empty();
  for (std::size_t s = 0; s < ns && cut; ++s) {
    const int ncol = super[s + 1] - super[s];
    const int nrow = row_start[s + 1] - row_start[s];
    const int* r = rows.data() + row_start[s];
    int from = nrow;
    if (owner[s] >= 0) {
      from = ncol;
      while (from < nrow &&
             owner[static_cast<std::size_t>(column_super[static_cast<std::size_t>(r[from])])] ==
                 owner[s]) {
        ++from;
      }
      for (int k = from; k < nrow; ++k) {
        if (owner[static_cast<std::size_t>(column_super[static_cast<std::size_t>(r[k])])] != -1)
          cut = false;
      }
    }
    top_rows_from[s] = from;
  }
  top.clear();
  part[0].clear();
  part[1].clear();
  top_columns.clear();
  work = {0, 0, 0};
  for (std::size_t s = 0; s < ns; ++s) {
    const int o = cut ? owner[s] : -1;
    if (!cut) top_rows_from[s] = row_start[s + 1] - row_start[s];
    (o < 0 ? top : part[static_cast<std::size_t>(o)]).push_back(static_cast<int>(s));
    work[static_cast<std::size_t>(o + 1)] += cost[s];
    if (o < 0) {
      for (int k = super[s]; k < super[s + 1]; ++k) top_columns.push_back(k);
    }
  }
}

bool SupernodalStructure::matches(const cholmod_factor& f) const {
  const auto ns = static_cast<std::size_t>(nsuper);
  return f.is_super && f.is_ll && f.xtype == CHOLMOD_REAL && f.itype == CHOLMOD_INT &&
         static_cast<int>(f.n) == n && static_cast<int>(f.nsuper) == nsuper &&
         std::equal(super.begin(), super.end(), ints(f.super)) &&
         std::equal(row_start.begin(), row_start.end(), ints(f.pi)) &&
         std::equal(value_start.begin(), value_start.end(), ints(f.px)) &&
         std::equal(rows.begin(), rows.end(), ints(f.s)) &&
         std::equal(perm.begin(), perm.end(), ints(f.Perm)) && ns + 1 == value_start.size();
}

TaskPair::TaskPair(bool threaded) {
  if (threaded) worker_ = std::thread([this] { work(); });
}

TaskPair::~TaskPair() {
  if (!worker_.joinable()) return;
  quit_.store(true, std::memory_order_release);
  posted_.fetch_add(1, std::memory_order_acq_rel);
  posted_.notify_one();
  worker_.join();
}

void TaskPair::run(Task task, void* context) {
  if (!worker_.joinable()) {
    task(context, 0);
    task(context, 1);
    return;
  }
  task_ = task;
  context_ = context;
  const std::uint32_t ticket = posted_.load(std::memory_order_relaxed) + 1;
  posted_.store(ticket, std::memory_order_release);
  posted_.notify_one();
  task(context, 0);
  std::uint32_t unclaimed = ticket - 1;
  if (claimed_.compare_exchange_strong(unclaimed, ticket, std::memory_order_acq_rel)) {
    task(context, 1);  // the worker has not started on it
    return;
  }
  for (int i = 0; i < kSpin && done_.load(std::memory_order_acquire) != ticket; ++i) cpu_relax();
  for (std::uint32_t d; (d = done_.load(std::memory_order_acquire)) != ticket;) {
    done_.wait(d, std::memory_order_acquire);
  }
}

void TaskPair::work() {
  std::uint32_t seen = 0;
  for (;;) {
    std::uint32_t ticket = posted_.load(std::memory_order_acquire);
    for (int i = 0; i < kSpin && ticket == seen; ++i) {
      cpu_relax();
      ticket = posted_.load(std::memory_order_acquire);
    }
    while (ticket == seen) {
      posted_.wait(seen, std::memory_order_acquire);
      ticket = posted_.load(std::memory_order_acquire);
    }
    if (quit_.load(std::memory_order_acquire)) return;
    seen = ticket;
    // The calling thread posts the next task only after this one's second half is done, by
    // whichever thread claims it; task_ and context_ are read only after a claim succeeds.
    std::uint32_t unclaimed = ticket - 1;
    if (!claimed_.compare_exchange_strong(unclaimed, ticket, std::memory_order_acq_rel)) continue;
    task_(context_, 1);
    done_.store(ticket, std::memory_order_release);
    done_.notify_one();
  }
}

SupernodalWorkspace::SupernodalWorkspace(const SupernodalStructure& s, bool allow_vector_kernels)
    : mark(static_cast<std::size_t>(s.nsuper), 0),
      vector_kernels(allow_vector_kernels && vector_kernels_available()) {
  for (std::size_t h = 0; h < 2; ++h) {
    w[h].assign(static_cast<std::size_t>(s.max_rows), 0.0);
    t[h].assign(static_cast<std::size_t>(s.max_rows), 0.0);
    top_update[h].assign(static_cast<std::size_t>(s.n), 0.0);
  }
  visit.reserve(static_cast<std::size_t>(s.nsuper));
}

namespace {

// One supernode's place in the structure and its packed values (T: float or double), which
// stand for scale * value.
template <class T>
struct Supernode {
  int k1, ncol, nrow;  // first column, columns, rows
  const int* rows;
  const T* block;
  double scale;
  Supernode(const SupernodalStructure& s, const T* values, double value_scale, int sn) {
    const auto si = static_cast<std::size_t>(sn);
    k1 = s.super[si];
    ncol = s.super[si + 1] - k1;
    nrow = s.row_start[si + 1] - s.row_start[si];
    rows = s.rows.data() + s.row_start[si];
    block = values;
    scale = value_scale;
  }
  // w = y at the supernode's rows: its own columns, then the rows below (a backward step).
  void gather(const double* y, double* w) const {
    for (int r = 0; r < ncol; ++r) w[r] = y[k1 + r];
    for (int r = ncol; r < nrow; ++r) w[r] = y[rows[r]];
  }
};

// A stored value as the double it stands for: the scale is a power of two, so the product is
// exact (and for doubles, whose scale is 1, it is the value itself).
template <class T>
double at(const T* x, int r, double scale) {
  return static_cast<double>(x[r]) * scale;
}

// Four partial sums in a fixed order: vectorisable and deterministic. The scale, a power of
// two, is applied once to the sum: the same bits as scaling every entry (no sum or product
// here comes near overflow or the subnormals), one multiplication per entry fewer.
template <class T>
double dot4(const T* a, double scale, const double* b, int len) {
  double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
  int r = 0;
  for (; r + 4 <= len; r += 4) {
    a0 += static_cast<double>(a[r]) * b[r];
    a1 += static_cast<double>(a[r + 1]) * b[r + 1];
    a2 += static_cast<double>(a[r + 2]) * b[r + 2];
    a3 += static_cast<double>(a[r + 3]) * b[r + 3];
  }
  for (; r < len; ++r) a0 += static_cast<double>(a[r]) * b[r];
  return ((a0 + a1) + (a2 + a3)) * scale;
}

// Calls f(values, scale) with supernode sn's stored values in their own type.
template <class F>
void with_values(const PackedFactor& l, int sn, F&& f) {
  const auto si = static_cast<std::size_t>(sn);
  if (l.single[si] != 0) {
    f(l.singles.get() + l.start[si], l.scale[si]);
  } else {
    f(l.doubles.get() + l.start[si], 1.0);
  }
}

// w[r] -= sum over the four columns c[k] (c[k][r]: row r) of c[k][r] * wk[k], for r in [ra, rb):
// four columns per load and store of w.
template <class T>
void subtract4(const std::array<const T*, 4>& c, double scale, const double* wk, double* w, int ra,
               int rb) {
  // The scale goes on the multipliers (the same bits: see dot4).
  const double w0 = wk[0] * scale, w1 = wk[1] * scale, w2 = wk[2] * scale, w3 = wk[3] * scale;
  for (int r = ra; r < rb; ++r) {
    w[r] -= (static_cast<double>(c[0][r]) * w0 + static_cast<double>(c[1][r]) * w1) +
            (static_cast<double>(c[2][r]) * w2 + static_cast<double>(c[3][r]) * w3);
  }
}

// The columns j .. j+3 of a supernode of nrow rows, each indexed by row.
template <class T>
std::array<const T*, 4> columns4(const T* block, int j, int nrow) {
  std::array<const T*, 4> c{};
  for (int k = 0; k < 4; ++k)
    c[static_cast<std::size_t>(k)] = block + packed_column(j + k, nrow) - (j + k);
  return c;
}

// The passes' kernels on four columns. dots4: the sums of four columns over the same rows,
// out[k] = dot4(c[k], scale, w, len), the same bits. subtract4: as the free function above.
// Portable: four dot4 calls, and subtract4 itself. Avx2 (x86-64 with AVX2): the four columns
// side by side, w loaded once for all four (dots4: each column's four partial sums in one
// register; subtract4: four rows a step); multiplications and additions stay separate
// instructions (no FMA), in the same order, so the bits are those of the portable kernels.
struct PortableSolveKernels {
  template <class T>
  static void dots4(const std::array<const T*, 4>& c, double scale, const double* w, int len,
                    double* out) {
    for (std::size_t k = 0; k < 4; ++k) out[k] = dot4(c[k], scale, w, len);
  }
  template <class T>
  static void subtract4(const std::array<const T*, 4>& c, double scale, const double* wk, double* w,
                        int ra, int rb) {
    detail::subtract4(c, scale, wk, w, ra, rb);
  }
};

#if defined(__x86_64__)
struct Avx2SolveKernels {
  __attribute__((target("avx2"))) static __m256d load4(const float* x) {
    return _mm256_cvtps_pd(_mm_loadu_ps(x));
  }
  __attribute__((target("avx2"))) static __m256d load4(const double* x) {
    return _mm256_loadu_pd(x);
  }
  template <class T>
  __attribute__((target("avx2"))) static void dots4(const std::array<const T*, 4>& c, double scale,
                                                    const double* w, int len, double* out) {
    const T* c0 = c[0];
    const T* c1 = c[1];
    const T* c2 = c[2];
    const T* c3 = c[3];
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, s2 = s0, s3 = s0;
    int r = 0;
    for (; r + 4 <= len; r += 4) {
      const __m256d x = _mm256_loadu_pd(w + r);
      s0 = _mm256_add_pd(s0, _mm256_mul_pd(load4(c0 + r), x));
      s1 = _mm256_add_pd(s1, _mm256_mul_pd(load4(c1 + r), x));
      s2 = _mm256_add_pd(s2, _mm256_mul_pd(load4(c2 + r), x));
      s3 = _mm256_add_pd(s3, _mm256_mul_pd(load4(c3 + r), x));
    }
    alignas(32) double a[4][4];
    _mm256_store_pd(a[0], s0);
    _mm256_store_pd(a[1], s1);
    _mm256_store_pd(a[2], s2);
    _mm256_store_pd(a[3], s3);
    for (std::size_t k = 0; k < 4; ++k) {
      const T* ck = c[k];
      double* ak = a[k];
      for (int q = r; q < len; ++q) ak[0] += static_cast<double>(ck[q]) * w[q];
      out[k] = ((ak[0] + ak[1]) + (ak[2] + ak[3])) * scale;
    }
  }
  template <class T>
  __attribute__((target("avx2"))) static void subtract4(const std::array<const T*, 4>& c,
                                                        double scale, const double* wk, double* w,
                                                        int ra, int rb) {
    const T* c0 = c[0];
    const T* c1 = c[1];
    const T* c2 = c[2];
    const T* c3 = c[3];
    const double w0 = wk[0] * scale, w1 = wk[1] * scale, w2 = wk[2] * scale, w3 = wk[3] * scale;
    const __m256d x0 = _mm256_set1_pd(w0), x1 = _mm256_set1_pd(w1), x2 = _mm256_set1_pd(w2),
                  x3 = _mm256_set1_pd(w3);
    int r = ra;
    for (; r + 4 <= rb; r += 4) {
      const __m256d p01 =
          _mm256_add_pd(_mm256_mul_pd(load4(c0 + r), x0), _mm256_mul_pd(load4(c1 + r), x1));
      const __m256d p23 =
          _mm256_add_pd(_mm256_mul_pd(load4(c2 + r), x2), _mm256_mul_pd(load4(c3 + r), x3));
      _mm256_storeu_pd(w + r, _mm256_sub_pd(_mm256_loadu_pd(w + r), _mm256_add_pd(p01, p23)));
    }
    for (; r < rb; ++r) {
      w[r] -= (static_cast<double>(c0[r]) * w0 + static_cast<double>(c1[r]) * w1) +
              (static_cast<double>(c2[r]) * w2 + static_cast<double>(c3[r]) * w3);
    }
  }
};

#endif

// Forward solve of the diagonal block's columns j0 .. j1-1, updating the rows below them down
// to rb - 1 (from j1 on they are not solved): four columns at a time, their small triangle
// first and then every row below it; each row's updates come in the same order whatever rb.
template <class K, class T>
void forward_triangle(const T* block, double scale, const double* inverse, int nrow, int j0, int j1,
                      int rb, double* w) {
  int j = j0;
  for (; j + 4 <= j1; j += 4) {
    const auto c = columns4(block, j, nrow);
    for (int k = 0; k < 4; ++k) {
      const T* ck = c[static_cast<std::size_t>(k)];
      const double wk = w[j + k] * inverse[j + k];
      w[j + k] = wk;
      for (int r = j + k + 1; r < j + 4; ++r) w[r] -= at(ck, r, scale) * wk;
    }
    K::subtract4(c, scale, w + j, w, j + 4, rb);
  }
  for (; j < j1; ++j) {
    const T* col = block + packed_column(j, nrow) - j;
    const double wj = w[j] * inverse[j];
    w[j] = wj;
    for (int r = j + 1; r < rb; ++r) w[r] -= at(col, r, scale) * wj;
  }
}

// The rows [ra, rb) of w after columns j0 .. j1-1 (w final there): four columns at a time.
template <class K, class T>
void forward_below(const T* block, double scale, int nrow, int j0, int j1, int ra, int rb,
                   double* w) {
  int j = j0;
  for (; j + 4 <= j1; j += 4) K::subtract4(columns4(block, j, nrow), scale, w + j, w, ra, rb);
  for (; j < j1; ++j) {
    const T* col = block + packed_column(j, nrow) - j;
    const double wj = w[j];
    for (int r = ra; r < rb; ++r) w[r] -= at(col, r, scale) * wj;
  }
}

// Forward step on supernode sn: solve with its diagonal block and subtract the block below from
// the rows it touches; rows from position `split` on are added into `far` instead of y.
template <class K, class T>
void forward_supernode(const SupernodalStructure& s, const T* values, double scale,
                       const double* inverse, double* w, int sn, int split, double* y,
                       double* far) {
  const Supernode sv(s, values, scale, sn);
  const int k1 = sv.k1, ncol = sv.ncol, nrow = sv.nrow;
  const int* rows = sv.rows;
  for (int r = 0; r < ncol; ++r) w[r] = y[k1 + r];
  for (int r = ncol; r < nrow; ++r) w[r] = 0.0;
  forward_triangle<K>(sv.block, scale, inverse + k1, nrow, 0, ncol, nrow, w);
  for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
  for (int r = ncol; r < split; ++r) y[rows[r]] += w[r];
  for (int r = split; r < nrow; ++r) far[rows[r]] += w[r];
}

// Backward step on supernode sn: reads y at its rows below (final already), writes its columns.
// The columns are solved in blocks of four from the last: a block's four sums over every row
// below it (the rest of the diagonal block, solved already, and the rows below the supernode;
// contiguous in each column) side by side, then its small triangle. The first ncol % 4 columns
// are solved one at a time.
template <class K, class T>
void backward_supernode(const SupernodalStructure& s, const T* values, double scale,
                        const double* inverse, double* w, int sn, double* y) {
  const Supernode sv(s, values, scale, sn);
  const int k1 = sv.k1, ncol = sv.ncol, nrow = sv.nrow;
  const T* block = sv.block;
  sv.gather(y, w);
  int j0 = ncol - 4;
  for (; j0 >= 0; j0 -= 4) {
    const auto c = columns4(block, j0, nrow);
    double t[4];
    K::dots4(std::array<const T*, 4>{c[0] + j0 + 4, c[1] + j0 + 4, c[2] + j0 + 4, c[3] + j0 + 4},
             scale, w + j0 + 4, nrow - j0 - 4, t);
    for (int k = 3; k >= 0; --k) {
      const T* ck = c[static_cast<std::size_t>(k)];
      double sum = t[k];
      for (int i = k + 1; i < 4; ++i) sum += at(ck, j0 + i, scale) * w[j0 + i];
      w[j0 + k] = (w[j0 + k] - sum) * inverse[k1 + j0 + k];
    }
  }
  for (int j = j0 + 3; j >= 0; --j) {
    const T* col = block + packed_column(j, nrow);
    w[j] = (w[j] - dot4(col + 1, scale, w + j + 1, nrow - j - 1)) * inverse[k1 + j];
  }
  for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
}

// Supernodes of the top with at least this many entries are solved by blocks of kBlock
// columns: each block's small triangle on one thread, its rows below in two halves side by side.
constexpr std::int64_t kSplitEntries = 1 << 16;
constexpr int kBlock = 64;

bool split_supernode(const SupernodalStructure& s, int sn) {
  const auto si = static_cast<std::size_t>(sn);
  return s.packed_start[si + 1] - s.packed_start[si] >= kSplitEntries;
}

template <class T>
struct BlockContext {
  const T* block;
  double scale;
  int nrow, j0, j1, mid;
  double* w;
  double* t0;
  double* t1;
};

// Forward, rows [j1, nrow) of one half: subtract columns j0 .. j1-1 (each row gets the same
// arithmetic as with one thread, so the bits are the same).
template <class K, class T>
void forward_block_half(void* context, int half) {
  const auto& c = *static_cast<const BlockContext<T>*>(context);
  const int ra = half == 0 ? c.j1 : c.mid;
  const int rb = half == 0 ? c.mid : c.nrow;
  forward_below<K>(c.block, c.scale, c.nrow, c.j0, c.j1, ra, rb, c.w);
}

#if defined(__x86_64__)
template <class T>
__attribute__((target("avx2"), flatten)) void forward_block_half_avx2(void* context, int half) {
  forward_block_half<Avx2SolveKernels, T>(context, half);
}
#endif

// forward_block_half for this machine.
template <class T>
TaskPair::Task forward_block_task(bool vector_kernels) {
#if defined(__x86_64__)
  if (vector_kernels) return forward_block_half_avx2<T>;
#endif
  return forward_block_half<PortableSolveKernels, T>;
}

// Backward, rows [j1, nrow) of one half: each column's sum over those rows.
template <class K, class T>
void backward_block_half(void* context, int half) {
  const auto& c = *static_cast<const BlockContext<T>*>(context);
  const int ra = half == 0 ? c.j1 : c.mid;
  const int rb = half == 0 ? c.mid : c.nrow;
  double* t = half == 0 ? c.t0 : c.t1;
  int j = c.j0;
  for (; j + 4 <= c.j1; j += 4) {
    const auto col = columns4(c.block, j, c.nrow);
    K::dots4(std::array<const T*, 4>{col[0] + ra, col[1] + ra, col[2] + ra, col[3] + ra}, c.scale,
             c.w + ra, rb - ra, t + j);
  }
  for (; j < c.j1; ++j) {
    const T* col = c.block + packed_column(j, c.nrow) - j;
    t[j] = dot4(col + ra, c.scale, c.w + ra, rb - ra);
  }
}

#if defined(__x86_64__)
template <class T>
__attribute__((target("avx2"), flatten)) void backward_block_half_avx2(void* context, int half) {
  backward_block_half<Avx2SolveKernels, T>(context, half);
}
#endif

// backward_block_half for this machine.
template <class T>
TaskPair::Task backward_block_task(bool vector_kernels) {
#if defined(__x86_64__)
  if (vector_kernels) return backward_block_half_avx2<T>;
#endif
  return backward_block_half<PortableSolveKernels, T>;
}

template <class T>
void forward_split_supernode(const SupernodalStructure& s, const T* values, double scale,
                             const double* inverse, double* w, TaskPair& pair, bool vector_kernels,
                             int sn, double* y) {
  const Supernode sv(s, values, scale, sn);
  const int k1 = sv.k1, ncol = sv.ncol, nrow = sv.nrow;
  const int* rows = sv.rows;
  const T* block = sv.block;
  for (int r = 0; r < ncol; ++r) w[r] = y[k1 + r];
  for (int r = ncol; r < nrow; ++r) w[r] = 0.0;
  for (int j0 = 0; j0 < ncol; j0 += kBlock) {
    const int j1 = std::min(j0 + kBlock, ncol);
    forward_triangle<PortableSolveKernels>(block, scale, inverse + k1, nrow, j0, j1, j1, w);
    if (j1 < nrow) {
      BlockContext<T> context{block, scale,   nrow,   j0, j1, j1 + (nrow - j1) / 2,
                              w,     nullptr, nullptr};
      pair.run(forward_block_task<T>(vector_kernels), &context);
    }
  }
  for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
  for (int r = ncol; r < nrow; ++r) y[rows[r]] += w[r];
}

template <class T>
void backward_split_supernode(const SupernodalStructure& s, const T* values, double scale,
                              const double* inverse, double* w, double* t0, double* t1,
                              TaskPair& pair, bool vector_kernels, int sn, double* y) {
  const Supernode sv(s, values, scale, sn);
  const int k1 = sv.k1, ncol = sv.ncol, nrow = sv.nrow;
  const T* block = sv.block;
  sv.gather(y, w);
  for (int j1 = ncol; j1 > 0; j1 -= std::min(j1, kBlock)) {
    const int j0 = std::max(j1 - kBlock, 0);
    // Blocks are cut from the end, so the first columns make the short block.
    BlockContext<T> context{block, scale, nrow, j0, j1, j1 + (nrow - j1) / 2, w, t0, t1};
    if (j1 < nrow) {
      pair.run(backward_block_task<T>(vector_kernels), &context);
    } else {
      for (int j = j0; j < j1; ++j) t0[j] = t1[j] = 0.0;
    }
    for (int j = j1 - 1; j >= j0; --j) {
      const T* col = block + packed_column(j, nrow) - j;
      w[j] = (w[j] - ((t0[j] + t1[j]) + dot4(col + j + 1, scale, w + j + 1, j1 - j - 1))) *
             inverse[k1 + j];
    }
  }
  for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
}

// The size in bytes of supernode sn's stored values.
std::int64_t value_bytes(const SupernodalStructure& s, const PackedFactor& l, int sn) {
  const auto si = static_cast<std::size_t>(sn);
  const std::int64_t count = s.packed_start[si + 1] - s.packed_start[si];
  return count * (l.single[si] != 0 ? std::int64_t{sizeof(float)} : std::int64_t{sizeof(double)});
}

// Requests a supernode's values from memory; returns their size in bytes.
std::int64_t prefetch_supernode(const SupernodalStructure& s, const PackedFactor& l, int sn) {
  const std::int64_t bytes = value_bytes(s, l, sn);
  with_values(l, sn, [&](const auto* values, double) {
    const auto* begin = reinterpret_cast<const char*>(values);
    for (const char* p = begin; p < begin + bytes; p += 64) __builtin_prefetch(p);
  });
  return bytes;
}

// Keeps about kAheadBytes of the values of the supernodes a pass solves next requested from
// memory: the supernodes of a part are small, and a backward pass visits them downwards in
// memory, which the hardware's stream detection does not follow (a forward pass asks ahead
// too, which costs it nothing measurable).
template <class It>
class Lookahead {
 public:
  Lookahead(const SupernodalStructure& s, const PackedFactor& l, It begin, It end)
      : s_(s), l_(l), next_(begin), end_(end) {}
  // Before supernode sn (the next in the list) is solved.
  void before(int sn) {
    while (next_ != end_ && ahead_ < kAheadBytes) {
      ahead_ += prefetch_supernode(s_, l_, *next_);
      ++next_;
    }
    ahead_ -= value_bytes(s_, l_, sn);
  }

 private:
  static constexpr std::int64_t kAheadBytes = 16384;
  const SupernodalStructure& s_;
  const PackedFactor& l_;
  It next_, end_;
  std::int64_t ahead_ = 0;
};

#if defined(__x86_64__)
template <class T>
__attribute__((target("avx2"), flatten)) void forward_supernode_avx2(const SupernodalStructure& s,
                                                                     const T* values, double scale,
                                                                     const double* inverse,
                                                                     double* w, int sn, int split,
                                                                     double* y, double* far) {
  forward_supernode<Avx2SolveKernels>(s, values, scale, inverse, w, sn, split, y, far);
}
#endif

// A forward step on supernode sn, split across both threads when it is large.
void forward_step(const SupernodalStructure& s, const PackedFactor& l, bool vector_kernels,
                  double* w, TaskPair* pair, int sn, int split, double* y, double* far) {
  const double* inverse = l.inverse_diagonal.data();
  with_values(l, sn, [&](const auto* values, double scale) {
    if (pair != nullptr && split_supernode(s, sn)) {
      forward_split_supernode(s, values, scale, inverse, w, *pair, vector_kernels, sn, y);
      return;
    }
#if defined(__x86_64__)
    if (vector_kernels) {
      forward_supernode_avx2(s, values, scale, inverse, w, sn, split, y, far);
      return;
    }
#endif
    forward_supernode<PortableSolveKernels>(s, values, scale, inverse, w, sn, split, y, far);
  });
}

#if defined(__x86_64__)
template <class T>
__attribute__((target("avx2"), flatten)) void backward_supernode_avx2(const SupernodalStructure& s,
                                                                      const T* values, double scale,
                                                                      const double* inverse,
                                                                      double* w, int sn,
                                                                      double* y) {
  backward_supernode<Avx2SolveKernels>(s, values, scale, inverse, w, sn, y);
}
#endif

void backward_step(const SupernodalStructure& s, const PackedFactor& l, bool vector_kernels,
                   double* w, double* t0, double* t1, TaskPair* pair, int sn, double* y) {
  const double* inverse = l.inverse_diagonal.data();
  with_values(l, sn, [&](const auto* values, double scale) {
    if (pair != nullptr && split_supernode(s, sn)) {
      backward_split_supernode(s, values, scale, inverse, w, t0, t1, *pair, vector_kernels, sn, y);
      return;
    }
#if defined(__x86_64__)
    if (vector_kernels) {
      backward_supernode_avx2(s, values, scale, inverse, w, sn, y);
      return;
    }
#endif
    backward_supernode<PortableSolveKernels>(s, values, scale, inverse, w, sn, y);
  });
}

struct PassContext {
  const SupernodalStructure* s;
  const PackedFactor* values;
  SupernodalWorkspace* ws;
  double* y;
};

void forward_half(void* context, int half) {
  const auto& c = *static_cast<const PassContext*>(context);
  const auto h = static_cast<std::size_t>(half);
  double* w = c.ws->w[h].data();
  double* far = c.ws->top_update[h].data();
  const std::vector<int>& list = c.s->part[h];
  Lookahead look(*c.s, *c.values, list.begin(), list.end());
  for (auto it = list.begin(); it != list.end(); ++it) {
    look.before(*it);
    forward_step(*c.s, *c.values, c.ws->vector_kernels, w, nullptr, *it,
                 c.s->top_rows_from[static_cast<std::size_t>(*it)], c.y, far);
  }
}

void backward_half(void* context, int half) {
  const auto& c = *static_cast<const PassContext*>(context);
  const auto h = static_cast<std::size_t>(half);
  double* w = c.ws->w[h].data();
  const std::vector<int>& list = c.s->part[h];
  Lookahead look(*c.s, *c.values, list.rbegin(), list.rend());
  for (auto it = list.rbegin(); it != list.rend(); ++it) {
    look.before(*it);
    // A part's supernodes are not split: no sums by halves.
    backward_step(*c.s, *c.values, c.ws->vector_kernels, w, nullptr, nullptr, nullptr, *it, c.y);
  }
}

// The binary exponent span within which a supernode's nonzero entries are stored as floats:
// scaled so that the largest lies near 2^120, the smallest then stays above 2^-121, inside
// float's normal range (from 2^-126), and no entry becomes a slow denormal or zero.
constexpr int kSingleExponentSpan = 240;
constexpr int kSingleTopExponent = 120;
// Scales stay far inside double's range, so that value * (1 / scale) is exact too.
constexpr int kLargestScaleExponent = 1000;

// Copies the packed values of a structure's factor, supernode by supernode, as floats where
// they fit (allow_single). column(sn, j, nrow) points at the entry of row j of column j of
// supernode sn, followed by the entries of the rows below it. One pass: each supernode's
// entries are scanned for their range and copied while they are still in the cache. Both
// arrays have room for every entry; the pages past the last entry written are never touched,
// so they take no memory.
// A packed factor's per-supernode arrays as they are before any supernode is packed: each at
// offset 0, scale 1, in doubles.
PackedFactor unpacked(const SupernodalStructure& s) {
  const auto ns = static_cast<std::size_t>(s.nsuper);
  PackedFactor out;
  out.start.assign(ns, 0);
  out.scale.assign(ns, 1.0);
  out.single.assign(ns, 0);
  out.inverse_diagonal.assign(static_cast<std::size_t>(s.n), 0.0);
  return out;
}

template <class Column>
PackedFactor pack(const SupernodalStructure& s, bool allow_single, bool huge_pages, Column column) {
  const auto ns = static_cast<std::size_t>(s.nsuper);
  PackedFactor out = unpacked(s);
  const auto entries = static_cast<std::size_t>(s.packed_start.back());
  out.singles = allocate_array<float>(allow_single ? entries : 0, huge_pages);
  out.doubles = allocate_array<double>(entries, huge_pages);
  std::int64_t double_entries = 0;
  for (std::size_t sn = 0; sn < ns; ++sn) {
    const int ncol = s.super[sn + 1] - s.super[sn];
    const int nrow = s.row_start[sn + 1] - s.row_start[sn];
    // The smallest nonzero and the largest magnitude among the entries a solve reads, and
    // their sum, which a NaN or an infinity makes non-finite.
    double smallest = std::numeric_limits<double>::infinity(), largest = 0.0, sum = 0.0;
    for (int j = 0; j < ncol; ++j) {
      const double* from = column(sn, j, nrow);
      for (int r = 0; r < nrow - j; ++r) {
        const double a = std::abs(from[r]);
        sum += a;
        largest = std::max(largest, a);
        const double nonzero = a > 0.0 ? a : std::numeric_limits<double>::infinity();
        smallest = std::min(smallest, nonzero);
      }
    }
    int low = 0, high = 0;
    std::frexp(smallest, &low);
    std::frexp(largest, &high);
    const bool zero = largest == 0.0;
    const bool single = allow_single && std::isfinite(sum) &&
                        (zero || (high - low <= kSingleExponentSpan &&
                                  std::abs(high - kSingleTopExponent) < kLargestScaleExponent));
    const std::int64_t count = s.packed_start[sn + 1] - s.packed_start[sn];
    for (int j = 0; j < ncol; ++j) {
      out.inverse_diagonal[static_cast<std::size_t>(s.super[sn] + j)] =
          1.0 / column(sn, j, nrow)[0];
    }
    // Each entry divided by the scale (a power of two: exact).
    auto copy = [&](auto* to, double scale) {
      const double inverse = 1.0 / scale;
      using T = std::remove_pointer_t<decltype(to)>;
      for (int j = 0; j < ncol; ++j) {
        const double* from = column(sn, j, nrow);
        for (int r = 0; r < nrow - j; ++r) *to++ = static_cast<T>(from[r] * inverse);
      }
    };
    if (single) {
      out.single[sn] = 1;
      out.scale[sn] = zero ? 1.0 : std::ldexp(1.0, high - kSingleTopExponent);
      out.start[sn] = out.single_entries;
      copy(out.singles.get() + out.single_entries, out.scale[sn]);
      out.single_entries += count;
    } else {
      out.start[sn] = double_entries;
      copy(out.doubles.get() + double_entries, 1.0);
      double_entries += count;
    }
  }
  return out;
}

}  // namespace

PackedFactor pack_factor(const SupernodalStructure& s, const cholmod_factor& f, bool allow_single) {
  HEADSPA_CHECK(s.matches(f) && f.x != nullptr && f.dtype == CHOLMOD_DOUBLE,
                "a numeric factor of doubles with the structure");
  const auto* x = static_cast<const double*>(f.x);
  return pack(s, allow_single, /*huge_pages=*/false, [&](std::size_t sn, int j, int nrow) {
    return x + s.value_start[sn] + static_cast<std::ptrdiff_t>(j) * nrow + j;
  });
}

PackedFactor pack_values(const SupernodalStructure& s, FreeArray<double> values,
                         std::span<const double> ranges, bool allow_single) {
  HEADSPA_CHECK(ranges.size() == 2 * static_cast<std::size_t>(s.nsuper), "a range per supernode");
  const auto ns = static_cast<std::size_t>(s.nsuper);
  PackedFactor out = unpacked(s);
  const auto entries = static_cast<std::size_t>(s.packed_start.back());
  out.doubles = allocate_array<double>(entries, /*huge_pages=*/true);
  // The floats are written over the values, from the front: a supernode's floats end before
  // the next supernode's values begin (a float takes half a double, and the packed layout has
  // no padding), and each supernode's values are read before its floats are written over
  // them (the first float of a supernode lies at or before its first value).
  auto* singles = static_cast<float*>(static_cast<void*>(values.get()));
  std::vector<double> entry;  // one supernode's values in packed order
  std::int64_t double_entries = 0;
  for (std::size_t sn = 0; sn < ns; ++sn) {
    const std::int64_t count = s.packed_start[sn + 1] - s.packed_start[sn];
    const double smallest = ranges[2 * sn], largest = ranges[2 * sn + 1];
    int low = 0, high = 0;
    std::frexp(smallest, &low);
    std::frexp(largest, &high);
    const bool zero = largest == 0.0;
    const bool single = allow_single && largest <= std::numeric_limits<double>::max() &&
                        (zero || (high - low <= kSingleExponentSpan &&
                                  std::abs(high - kSingleTopExponent) < kLargestScaleExponent));
    entry.assign(values.get() + s.value_start[sn], values.get() + s.value_start[sn] + count);
    const int ncol = s.super[sn + 1] - s.super[sn];
    const int nrow = s.row_start[sn + 1] - s.row_start[sn];
    for (int j = 0; j < ncol; ++j) {
      out.inverse_diagonal[static_cast<std::size_t>(s.super[sn] + j)] =
          1.0 / entry[static_cast<std::size_t>(packed_column(j, nrow))];
    }
    if (single) {
      out.single[sn] = 1;
      out.scale[sn] = zero ? 1.0 : std::ldexp(1.0, high - kSingleTopExponent);
      out.start[sn] = out.single_entries;
      const double inverse = 1.0 / out.scale[sn];  // a power of two: exact
      float* to = singles + out.single_entries;
      for (std::size_t i = 0; i < entry.size(); ++i) to[i] = static_cast<float>(entry[i] * inverse);
      out.single_entries += count;
    } else {
      out.start[sn] = double_entries;
      std::copy(entry.begin(), entry.end(), out.doubles.get() + double_entries);
      double_entries += count;
    }
  }
  out.singles = FreeArray<float>(static_cast<float*>(static_cast<void*>(values.release())));
  return out;
}

void forward_dense(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
                   TaskPair& pair, double* y) {
  PassContext context{&s, &l, &ws, y};
  if (!s.part[0].empty() || !s.part[1].empty()) {
    pair.run(forward_half, &context);
    double* u0 = ws.top_update[0].data();
    double* u1 = ws.top_update[1].data();
    for (int k : s.top_columns) {
      y[k] += u0[k] + u1[k];
      u0[k] = 0.0;
      u1[k] = 0.0;
    }
  }
  double* w = ws.w[0].data();
  for (int sn : s.top) {
    forward_step(s, l, ws.vector_kernels, w, &pair, sn,
                 s.top_rows_from[static_cast<std::size_t>(sn)], y, y);
  }
}

void forward_sparse(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
                    TaskPair& pair, std::span<const int> nonzero_columns, double* y) {
  if (++ws.stamp == 0) {  // wrapped: clear the marks once
    std::fill(ws.mark.begin(), ws.mark.end(), 0);
    ws.stamp = 1;
  }
  ws.visit.clear();
  for (int column : nonzero_columns) {
    for (int sn = s.column_super[static_cast<std::size_t>(column)];
         sn >= 0 && ws.mark[static_cast<std::size_t>(sn)] != ws.stamp;
         sn = s.parent[static_cast<std::size_t>(sn)]) {
      ws.mark[static_cast<std::size_t>(sn)] = ws.stamp;
      ws.visit.push_back(sn);
    }
  }
  std::sort(ws.visit.begin(), ws.visit.end());  // children before parents
  double* w = ws.w[0].data();
  for (int sn : ws.visit) {
    const auto si = static_cast<std::size_t>(sn);
    forward_step(s, l, ws.vector_kernels, w, &pair, sn, s.row_start[si + 1] - s.row_start[si], y,
                 y);
  }
}

void backward(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
              TaskPair& pair, double* y) {
  double* w = ws.w[0].data();
  for (auto it = s.top.rbegin(); it != s.top.rend(); ++it) {
    backward_step(s, l, ws.vector_kernels, w, ws.t[0].data(), ws.t[1].data(), &pair, *it, y);
  }
  if (!s.part[0].empty() || !s.part[1].empty()) {
    PassContext context{&s, &l, &ws, y};
    pair.run(backward_half, &context);
  }
}

}  // namespace headspa::geometry::detail
