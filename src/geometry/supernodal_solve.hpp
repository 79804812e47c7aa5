// Triangular solves with a supernodal Cholesky factor copied out of CHOLMOD (private).
//
// CHOLMOD factors; headspa solves. The heat method's solve is two pairs of triangular solves on a
// factor of a few million nonzeros and is bound by how fast the factor streams from memory, so
// the solves here read each factor entry once per pass with no per-supernode BLAS call, permute
// with the solve, and allocate nothing:
//   - the symbolic structure (supernodes, row indices, permutation) is stored once and shared by
//     the factors of one analysis (the heat and Poisson factors);
//   - the values are copied once into a packed lower-trapezoid layout: CHOLMOD stores each
//     supernode's diagonal block as a full square, whose upper triangle (about a sixth of the
//     factor on a head) a solve never reads but would drag through the cache line by line;
//   - a supernode's values are stored as floats, scaled by a power of two, when its nonzero
//     entries span at most 2^240 (float's normal range is 2^253), and as doubles otherwise.
//     Floats halve the bytes a pass streams. Both factors are M-matrix-like or well scaled, so a
//     solve has little cancellation and float rounding of the entries (relative 6e-8) moves
//     distances by micrometres; what float cannot hold is range. The heat factor's fill entries
//     carry the heat step's exp(-d / sqrt(t)) decay: on the 100k-vertex head a sixth of its
//     entries lie in supernodes spanning more than 70 decades, which stay double (rounding
//     them to float would flush the small ones to zero and move distances by millimetres).
//     The Poisson factor spans about 28 decades and is all float;
//   - the supernodes lie in memory in ascending order. A pass asks for the next 16 KB of values
//     ahead of time (software prefetch): a backward pass visits the small supernodes of the
//     tree's lower levels in descending order, which the hardware's stream detection does not
//     follow. On the 100k head that took a backward pass from about 4 to 2.5 ms; laying a
//     factor out in backward order as well gained no more than the noise (2%);
//   - a step works on four columns at a time: a forward step subtracts four solved columns from
//     the rows below them in one sweep, a backward step sums four columns over every row below
//     them side by side and then solves their small triangle. Where the CPU has AVX2 the
//     kernels are vectorised by hand (vector_kernels_available): same sums, same order,
//     multiplications and additions as separate instructions, so the same bits as the portable
//     kernels. Each column's reciprocal diagonal (PackedFactor::inverse_diagonal, in double) is
//     multiplied by rather than the diagonal divided by;
//   - forward_sparse solves L y = b for a right-hand side with a few nonzeros: only the
//     supernodes on the paths from those columns to the root of the elimination tree are
//     visited (the heat step's right-hand side is one vertex or one face);
//   - the full passes run on two threads. The elimination tree is cut once into a serial top
//     (the supernodes nearest the root) and two parts of about equal size, each a set of whole
//     subtrees hanging from the top. The two parts are independent: a backward pass solves the top
//     and then both parts side by side, and reads and writes exactly what the serial order would,
//     so it gives the same bits. A forward pass solves both parts side by side first; each part's
//     updates to the top's rows go to that part's own buffer, added to the right-hand side in a
//     fixed order before the top is solved. The result does not depend on timing or on whether
//     a second thread runs at all (with one thread the parts run in turn, same bits).
// Layout: supernode s holds columns super[s] .. super[s+1]-1 and rows rows[row_start[s] ..
// row_start[s+1]) (its own columns first, then the rows below, ascending), and
// packed_start[s+1] - packed_start[s] packed values: column j (0-based within s) holds rows
// j .. nrow(s)-1, diagonal first, and starts j * nrow - j * (j - 1) / 2 values after the first.
#pragma once

#include "numerics_detail.hpp"

#include <suitesparse/cholmod.h>

#include <array>
#include <atomic>
#include <cstdint>
#include <memory>
#include <span>
#include <thread>
#include <vector>

namespace headspa::geometry::detail {

// The shared symbolic part of supernodal factors of one analysis.
struct SupernodalStructure {
  int n = 0;
  int nsuper = 0;
  std::vector<int> super;                  // nsuper + 1: first column of each supernode
  std::vector<int> row_start;              // nsuper + 1: offsets into rows
  std::vector<std::int64_t> value_start;   // nsuper + 1: offsets into the source's values
  std::vector<std::int64_t> packed_start;  // nsuper + 1: offsets into the packed values
  std::vector<int> rows;                   // row indices, per supernode
  std::vector<int> parent;                 // supernodal elimination tree, -1 at a root
  std::vector<int> column_super;           // n: the supernode of each column
  std::vector<int> perm;                   // n: perm[k] = the original index of pivot k
  std::vector<int> inverse_perm;           // n: inverse_perm[perm[k]] = k
  int max_rows = 0;                        // the tallest supernode

  // The two-way cut of the elimination tree (file comment). Supernode lists are ascending
  // (children before parents). When the tree does not allow a cut, both parts are empty and
  // the top is every supernode.
  std::vector<int> top;
  std::array<std::vector<int>, 2> part;
  std::vector<int> top_columns;        // columns of the top's supernodes, ascending
  std::vector<int> top_rows_from;      // per supernode: position in its rows where top rows begin
  std::array<std::int64_t, 3> work{};  // packed values in the top and in each part

  // Copies the structure of a numeric supernodal LL^T factor and cuts its tree.
  explicit SupernodalStructure(const cholmod_factor& factor);
  // The structure of supernodes (super, row_start, rows as above) in the pivot order perm, for
  // values laid out like the packed ones but starting at value_start[s] (pack_values); cuts its
  // tree.
  SupernodalStructure(int n, std::vector<int> super, std::vector<int> row_start,
                      std::vector<int> rows, std::vector<int> perm,
                      std::vector<std::int64_t> value_start);
  // True when the factor has exactly this structure.
  bool matches(const cholmod_factor& factor) const;

 private:
  void finish();  // everything but the copied arrays
  void cut_tree();
};

// The packed values of one factor (file comment), supernode by supernode: as floats where the
// supernode's nonzero entries span few enough binary orders of magnitude to fit float's normal
// range after scaling by a power of two (the stored float times scale[s] is the entry rounded
// to float), as doubles otherwise. The solves' arithmetic is double either way.
struct PackedFactor {
  // The float and the double supernodes' values, each in ascending order. Each array has room
  // for every entry, but the pages past the last one written take no memory.
  FreeArray<float> singles;
  FreeArray<double> doubles;
  std::vector<std::int64_t> start;   // per supernode: first value in singles or doubles
  std::vector<double> scale;         // per supernode: a power of two (1 for doubles)
  std::vector<std::uint8_t> single;  // per supernode: 1 when stored as floats
  // Per column (pivot order): 1 / the diagonal entry, from the factor's doubles. The solves
  // multiply by it rather than divide by the stored diagonal (a division is on each column's
  // critical path; a multiplication is a quarter of its latency).
  std::vector<double> inverse_diagonal;
  std::int64_t single_entries = 0;  // entries stored as floats
};

// Copies a numeric supernodal factor with this structure into the packed layout; with
// allow_single false every supernode stays double.
PackedFactor pack_factor(const SupernodalStructure& structure, const cholmod_factor& factor,
                         bool allow_single);

// The same for values laid out as the packed layout but with supernode s starting at
// structure.value_start[s] (a factor of headspa's own, small_cholesky.hpp), taking them over:
// the floats are written over them (no new memory to fault in), the doubles (if any) copied
// into 2 MB pages (allocate_bytes). ranges[2 s] and ranges[2 s + 1] are supernode s's smallest
// nonzero and largest magnitudes (NaN when an entry is).
PackedFactor pack_values(const SupernodalStructure& structure, FreeArray<double> values,
                         std::span<const double> ranges, bool allow_single);

// Runs a task as two halves, one on the calling thread and one on a worker thread that waits
// between tasks (or both on the calling thread, in turn, when not threaded). Posting a task
// allocates nothing. Whichever thread claims the second half first runs it: the calling thread
// takes it when it finishes the first half before the worker has started on it, so it never
// waits for a worker that is not running (on a machine whose cores are all busy, the worker
// may not get one for milliseconds). The halves write to separate places, so the results are
// the same bits whichever thread runs them.
class TaskPair {
 public:
  using Task = void (*)(void* context, int half);
  explicit TaskPair(bool threaded);
  ~TaskPair();
  TaskPair(const TaskPair&) = delete;
  TaskPair& operator=(const TaskPair&) = delete;

  // task(context, 0) here and task(context, 1) on the worker; returns when both are done.
  void run(Task task, void* context);
  bool threaded() const noexcept { return worker_.joinable(); }

 private:
  void work();
  std::thread worker_;
  std::atomic<std::uint32_t> posted_{0};   // ticket of the latest task
  std::atomic<std::uint32_t> claimed_{0};  // ticket of the latest second half claimed
  std::atomic<std::uint32_t> done_{0};     // ticket of the latest second half the worker ran
  std::atomic<bool> quit_{false};
  Task task_ = nullptr;
  void* context_ = nullptr;
};

// True when this machine runs the solves' AVX2 kernels (x86-64 with AVX2). They give the same
// bits as the portable kernels: the same sums in the same order, multiplications and additions
// as separate operations (no FMA).
bool vector_kernels_available();

// Reusable buffers: per half, the dense per-supernode workspace and the forward pass's updates
// to the top's rows; the sparse forward solve's marks.
struct SupernodalWorkspace {
  std::array<std::vector<double>, 2> w;  // max_rows each
  std::array<std::vector<double>, 2> t;  // max_rows each: a split supernode's sums by halves
  std::array<std::vector<double>, 2> top_update;  // n each, zero between passes
  std::vector<int> mark;                          // nsuper, stamped with `stamp`
  std::vector<int> visit;                         // supernodes to visit
  int stamp = 0;
  bool vector_kernels = false;  // the passes use the AVX2 kernels (same bits as the portable ones)
  SupernodalWorkspace(const SupernodalStructure& s, bool allow_vector_kernels);
};

// y := L^{-1} y (permuted space), over every supernode.
void forward_dense(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
                   TaskPair& pair, double* y);
// y := L^{-1} y where y is zero outside `nonzero_columns` (permuted indices); entries off the
// elimination-tree paths of those columns stay zero.
void forward_sparse(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
                    TaskPair& pair, std::span<const int> nonzero_columns, double* y);
// y := L^{-T} y (permuted space).
void backward(const SupernodalStructure& s, const PackedFactor& l, SupernodalWorkspace& ws,
              TaskPair& pair, double* y);

}  // namespace headspa::geometry::detail
