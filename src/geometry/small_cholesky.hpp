// headspa's own sparse Cholesky factorisation for small symmetric positive definite matrices
// (private to the geometry module).
//
// On a mesh of a few thousand vertices CHOLMOD's fixed costs outweigh its arithmetic: its
// analysis and its supernodal factorisation (a BLAS call and set-up per supernode) took 5 ms
// and 6.5-8 ms a factor on the Lee Perry-Smith scan (8839 vertices, 0.2M factor values), where
// the factorisation's arithmetic is 4.4M multiply-adds. Here:
//   - ordering: AMD (SuiteSparse's amd_2, on a copy of the graph made for it), the only
//     third-party step;
//   - symbolic analysis, done once for every matrix with the pattern: the elimination tree
//     (Liu's algorithm with path compression), its postorder, the column counts (Gilbert, Ng and
//     Peyton's skeleton algorithm), fundamental supernodes merged with a bounded share of
//     explicit zeros, and the row indices of each supernode, found by walking each row's subtree
//     in the supernodal tree (so they come out ascending);
//   - numeric factorisation: left-looking supernodal LL^T in headspa's packed layout (column j
//     of a supernode holds its rows j .. nrow-1, diagonal first; supernodal_solve.hpp), with
//     plain loops for the small dense blocks, no BLAS and no allocation (a workspace made once
//     per analysis). One factorisation is sequential, so its values are the same bits on any
//     thread;
//   - the solves are supernodal_solve.hpp's, on this structure.
// The matrix is given as the graph of its off-diagonal pattern (symmetric, no self loops, no
// duplicates) with one value per adjacency slot (the value of slot (v, w) must equal that of
// (w, v); the lower triangle is read) and a diagonal.
#pragma once

#include <cstdint>
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

// The symbolic factorisation of a graph's matrices.
struct SmallCholeskyAnalysis {
  int n = 0;
  std::vector<int> perm;          // perm[k] = the vertex of pivot k
  std::vector<int> inverse_perm;  // inverse_perm[perm[k]] = k
  // Supernodes (supernodal_solve.hpp's layout): columns super[s] .. super[s+1]-1, rows
  // rows[row_start[s] .. row_start[s+1]) ascending (its own columns first), packed values
  // packed_start[s] .. packed_start[s+1].
  std::vector<int> super;
  std::vector<int> row_start;
  std::vector<int> rows;
  std::vector<std::int64_t> packed_start;
  std::vector<int> column_super;  // n: the supernode of each column
  std::vector<int> super_parent;  // supernodal elimination tree, -1 at a root
  int max_rows = 0;               // the tallest supernode
  int max_columns = 0;            // the widest supernode
  // Where the matrix entries go in the packed values: the diagonal of vertex v at
  // diagonal_at[v]; the off-diagonal entry of graph slot q at entry_at[e] for q = entry_slot[e]
  // (one slot of each pair (v, w), the one in the lower triangle's column).
  std::vector<std::int64_t> diagonal_at;
  std::vector<std::int64_t> entry_at;
  std::vector<int> entry_slot;
  double factor_entries = 0.0;  // nonzeros of the factor (without explicit zeros)
  double multiply_adds = 0.0;   // of one numeric factorisation, explicit zeros included

  int nsuper() const { return static_cast<int>(super.size()) - 1; }
  std::int64_t packed_size() const { return packed_start.back(); }
  // The factor's values with room after them that the factorisation reads (and ignores).
  std::int64_t padded_size() const { return packed_start.back() + 8; }
};

// Orders (AMD) and analyses the graph's matrices.
SmallCholeskyAnalysis analyse_small_cholesky(const SymmetricGraph& graph);

// Reusable buffers of one numeric factorisation (one per thread that factors).
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
// (per graph slot) into `values` (padded_size() doubles, overwritten). False when the matrix
// is not numerically positive definite (a pivot <= 0 or not finite).
bool factor_small_cholesky(const SmallCholeskyAnalysis& analysis, std::span<const double> diagonal,
                           std::span<const double> off_diagonal, SmallCholeskyWorkspace& workspace,
                           double* values);

}  // namespace headspa::geometry::detail
