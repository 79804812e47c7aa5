// Triangular solves with a supernodal Cholesky factor copied out of CHOLMOD (private).
//
// CHOLMOD factors; headspa solves. The heat method's solve is two pairs of triangular solves on a
// factor of a few million nonzeros and is bound by how fast the factor streams from memory, so
// the solves here read each factor entry once per pass with no per-supernode BLAS call, permute
// with the solve, and allocate nothing:
//   - the symbolic structure (supernodes, row indices, permutation) is stored once and shared by
//     the factors of one analysis (the heat and Poisson factors);
//   - the values stay in CHOLMOD's factor (no copy). They stay double: a float copy would halve
//     the traffic, but the factor's fill entries span hundreds of orders of magnitude (they
//     carry the heat step's exp(-d / sqrt(t)) decay) and float flushes the small ones to zero,
//     which on the 100k head moved distances by up to 8 mm;
//   - forward_sparse solves L y = b for a right-hand side with a few nonzeros: only the
//     supernodes on the paths from those columns to the root of the elimination tree are
//     visited (the heat step's right-hand side is one vertex or one face).
// Layout (CHOLMOD's): supernode s holds columns super[s] .. super[s+1]-1 as a dense column-major
// block of nrow(s) rows (leading dimension nrow(s)); its row indices are rows[row_start[s] ..
// row_start[s+1]), the first ncol(s) of which are its own columns.
#pragma once

#include <suitesparse/cholmod.h>

#include <cstdint>
#include <span>
#include <vector>

namespace headspa::geometry::detail {

// The shared symbolic part of supernodal factors of one analysis.
struct SupernodalStructure {
  int n = 0;
  int nsuper = 0;
  std::vector<int> super;                 // nsuper + 1: first column of each supernode
  std::vector<int> row_start;             // nsuper + 1: offsets into rows
  std::vector<std::int64_t> value_start;  // nsuper + 1: offsets into a factor's values
  std::vector<int> rows;                  // row indices, per supernode
  std::vector<int> parent;                // supernodal elimination tree, -1 at a root
  std::vector<int> column_super;          // n: the supernode of each column
  std::vector<int> perm;                  // n: perm[k] = the original index of pivot k
  std::vector<int> inverse_perm;          // n: inverse_perm[perm[k]] = k
  int max_rows = 0;                       // the tallest supernode

  // Copies the structure of a numeric supernodal LL^T factor.
  explicit SupernodalStructure(const cholmod_factor& factor);
  // True when the factor has exactly this structure.
  bool matches(const cholmod_factor& factor) const;
};

// The numeric values of one factor with a SupernodalStructure (CHOLMOD's array, not owned).
struct SupernodalValues {
  const double* x = nullptr;
};

// Reusable buffers of the sparse forward solve and the dense per-supernode workspace.
struct SupernodalWorkspace {
  std::vector<double> w;   // max_rows
  std::vector<int> mark;   // nsuper, stamped with `stamp`
  std::vector<int> visit;  // supernodes to visit
  int stamp = 0;
  explicit SupernodalWorkspace(const SupernodalStructure& s);
};

// y := L^{-1} y (permuted space), over every supernode.
void forward_dense(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws,
                   double* y);
// y := L^{-1} y where y is zero outside `nonzero_columns` (permuted indices); entries off the
// elimination-tree paths of those columns stay zero.
void forward_sparse(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws,
                    std::span<const int> nonzero_columns, double* y);
// y := L^{-T} y (permuted space).
void backward(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws, double* y);

}  // namespace headspa::geometry::detail
