// headspa's own sparse Cholesky factorisation for small symmetric positive definite matrices
// (private to the geometry module).
//
// On a mesh of a few thousand vertices CHOLMOD's fixed costs outweigh its arithmetic: on the
// Lee Perry-Smith scan (8839 vertices, 0.2M factor values) its analysis took 5 ms and its
// supernodal factorisation (a BLAS call and set-up per supernode) 6.5-8 ms a factor, for 4.4M
// multiply-adds. Here:
//   - ordering: AMD (SuiteSparse's amd_2, on a copy of the graph made for it), the only
//     third-party step;
//   - symbolic analysis, done once for every matrix with the pattern: the supernodes, their
//     tree and the entries of each one's first column come from AMD's assembly tree (amd_2
//     leaves it behind: each principal variable's pivots are placed together, with its parent
//     and its column count), checked to tile the order with every parent later in it; where
//     they do not (AMD sets very dense rows aside, outside its tree) or a row does not fit
//     them, the elimination tree (Liu's algorithm with path compression), a postorder when
//     AMD's order is not one, and the column counts (Gilbert, Ng and Peyton's skeleton
//     algorithm) give the fundamental supernodes instead. Supernodes are merged into their
//     parents while the merged one has few enough explicit zeros, and the row indices of each
//     are found by walking each row's subtree in the supernodal tree (so they come out
//     ascending), by two threads from either end when there are two;
//   - numeric factorisation: left-looking supernodal LL^T. Each supernode gets the matrix's
//     entries, then the updates of the supernodes below it, each an 8 x 4 block product held in
//     registers and subtracted through a map of relative row positions, then its own columns
//     by panels of 8 (left-looking within a panel, one block product for the columns right of
//     it). No BLAS and no allocation (a workspace made once per factorisation). The block
//     product is compiled twice, for any x86-64 and for AVX2 with fused multiply-adds, and the
//     second runs where the CPU has it. A factorisation is sequential, so its values are the
//     same bits on any thread and in every run on one machine.
// The factor is then copied into supernodal_solve.hpp's packed layout for the solves.
//
// Layout of a factor: supernode s holds columns super[s] .. super[s+1]-1 and rows
// rows[row_start[s] .. row_start[s+1]) (its own columns first, then the rows below, ascending);
// its values start at value_start[s]: column j (0-based within s) holds rows j .. nrow-1,
// diagonal first, and starts j * nrow - j * (j - 1) / 2 values after the first;
// kSupernodePadding values of no meaning follow the last column.
// The matrix is given as the graph of its off-diagonal pattern (symmetric, no self loops, no
// repeats) with one value per adjacency slot (slot (v, w) and slot (w, v) must hold the same
// value) and a diagonal.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <vector>

namespace headspa::geometry::detail {

// The off-diagonal pattern of a symmetric n x n matrix: the neighbours of vertex v are
// index[start[v] .. start[v+1]), in any order, without v itself and without repeats.
struct SymmetricGraph {
  int n = 0;
  std::vector<int> start;  // n + 1
  std::vector<int> index;  // start[n]
};

// Values after each supernode's last column that block products may read past its last row.
inline constexpr int kSupernodePadding = 8;

// The symbolic factorisation of a graph's matrices.
struct SmallCholeskyAnalysis {
  int n = 0;
  std::vector<int> perm;                  // perm[k] = the vertex of pivot k
  std::vector<int> inverse_perm;          // inverse_perm[perm[k]] = k
  std::vector<int> super;                 // nsuper + 1: first column of each supernode
  std::vector<int> row_start;             // nsuper + 1: offsets into rows
  std::vector<int> rows;                  // row indices (pivots), per supernode, ascending
  std::vector<std::int64_t> value_start;  // nsuper + 1: offsets into a factor's values
  std::vector<int> column_super;          // n: the supernode of each column
  std::vector<int> super_parent;          // supernodal elimination tree, -1 at a root
  int max_rows = 0;                       // the tallest supernode
  int max_columns = 0;                    // the widest supernode
  // The matrix below the diagonal in pivot order: column j's entries are in the rows
  // lower[lower_start[j] .. lower_start[j+1]), from the graph slots lower_slot[...].
  std::vector<int> lower_start, lower, lower_slot;
  double factor_entries = 0.0;  // nonzeros of the factor (without explicit zeros)
  double stored_entries = 0.0;  // values a solve reads (explicit zeros included)

  int nsuper() const { return static_cast<int>(super.size()) - 1; }
  // The number of values of a factor.
  std::int64_t value_count() const { return value_start.back(); }
};

// Orders (AMD) and analyses the graph's matrices. Throws InternalError when the graph is not
// symmetric or has self loops.
SmallCholeskyAnalysis analyse_small_cholesky(const SymmetricGraph& graph);

// The same analysis in steps, so that a second thread can take some of them: order(); then
// tree() and lower_triangle() (on any thread; side by side only when tree_keeps_order()); then
// supernodes(); then rows(0) and rows(1) side by side (or rows(0) alone, which then walks every
// row); then take(). The result is the same whichever thread runs which step.
class SmallCholeskyAnalyser {
 public:
  explicit SmallCholeskyAnalyser(const SymmetricGraph& graph);  // keeps a reference
  ~SmallCholeskyAnalyser();
  SmallCholeskyAnalyser(const SmallCholeskyAnalyser&) = delete;
  SmallCholeskyAnalyser& operator=(const SmallCholeskyAnalyser&) = delete;

  void order();  // AMD, and its assembly tree's supernodes when they check out
  // After order(): true when tree() leaves the order as it is (AMD's supernodes are used), so
  // that lower_triangle() may run on another thread alongside it.
  bool tree_keeps_order() const;
  void lower_triangle();  // the matrix below the diagonal in pivot order
  // The matrix above it (and, without AMD's supernodes, the elimination tree, in postorder).
  void tree();
  void supernodes();    // the supernodes, merged, and their tree
  void rows(int half);  // the supernodes' row indices, half 0 from the front, 1 from the back
  // The analysis; when a row did not fit AMD's supernodes, made again from the elimination
  // tree here first.
  SmallCholeskyAnalysis take();

 private:
  struct State;
  const SymmetricGraph& graph_;
  SmallCholeskyAnalysis analysis_;
  std::unique_ptr<State> state_;
};

// Reusable buffers of the factorisation (one per thread that factors).
struct SmallCholeskyWorkspace {
  explicit SmallCholeskyWorkspace(const SmallCholeskyAnalysis& analysis);
  std::vector<int> relative;  // n: a row's position within the supernode being factored
  std::vector<int> head;      // per supernode: first supernode of its update list, -1 if none
  std::vector<int> next;      // per supernode: next in the list it is on
  std::vector<int> position;  // per supernode: its first row not yet used by an update
  std::vector<int> map;       // max_rows: an updating supernode's rows, relative to the target
  std::vector<const double*> columns;  // max_columns: columns of the supernode being read
};

// LL^T of the matrix with diagonal `diagonal` (per vertex) and off-diagonal `off_diagonal`
// (per graph slot) into `values` (value_count() doubles, overwritten), with each supernode's
// smallest nonzero and largest magnitude in ranges[2 s] and ranges[2 s + 1] (the largest is NaN
// when an entry is). False when the matrix is not numerically positive definite (a pivot <= 0
// or not finite).
bool factor_small_cholesky(const SmallCholeskyAnalysis& analysis, std::span<const double> diagonal,
                           std::span<const double> off_diagonal, SmallCholeskyWorkspace& workspace,
                           double* values, std::span<double> ranges);

}  // namespace headspa::geometry::detail
