#include "supernodal_solve.hpp"

#include "headspa/core/error.hpp"

#include <algorithm>

namespace headspa::geometry::detail {

namespace {

const int* ints(void* p) { return static_cast<const int*>(p); }

}  // namespace

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
  inverse_perm.assign(static_cast<std::size_t>(n), 0);
  for (int k = 0; k < n; ++k)
    inverse_perm[static_cast<std::size_t>(perm[static_cast<std::size_t>(k)])] = k;
  column_super.assign(static_cast<std::size_t>(n), 0);
  parent.assign(ns, -1);
  for (std::size_t s = 0; s < ns; ++s) {
    for (int k = super[s]; k < super[s + 1]; ++k)
      column_super[static_cast<std::size_t>(k)] = static_cast<int>(s);
  }
  for (std::size_t s = 0; s < ns; ++s) {
    const int ncol = super[s + 1] - super[s];
    const int nrow = row_start[s + 1] - row_start[s];
    max_rows = std::max(max_rows, nrow);
    if (nrow > ncol) {
      const int first_below = rows[static_cast<std::size_t>(row_start[s] + ncol)];
      parent[s] = column_super[static_cast<std::size_t>(first_below)];
      HEADSPA_CHECK(parent[s] > static_cast<int>(s), "supernodes in topological order");
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

SupernodalWorkspace::SupernodalWorkspace(const SupernodalStructure& s)
    : w(static_cast<std::size_t>(s.max_rows)), mark(static_cast<std::size_t>(s.nsuper), 0) {
  visit.reserve(static_cast<std::size_t>(s.nsuper));
}

namespace {

// Forward step on supernode s: solve with its diagonal block, then subtract the block below
// from the rows it touches. Each column is one contiguous multiply-subtract.
void forward_supernode(const SupernodalStructure& s, const double* values, double* w, int sn,
                       double* y) {
  const auto si = static_cast<std::size_t>(sn);
  const int k1 = s.super[si];
  const int ncol = s.super[si + 1] - k1;
  const int nrow = s.row_start[si + 1] - s.row_start[si];
  const int* rows = s.rows.data() + s.row_start[si];
  const double* block = values + s.value_start[si];
  for (int r = 0; r < ncol; ++r) w[r] = y[k1 + r];
  for (int r = ncol; r < nrow; ++r) w[r] = 0.0;
  for (int j = 0; j < ncol; ++j) {
    const double* col = block + static_cast<std::ptrdiff_t>(j) * nrow;
    const double wj = w[j] / (col[j]);
    w[j] = wj;
    for (int r = j + 1; r < nrow; ++r) w[r] -= (col[r]) * wj;
  }
  for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
  for (int r = ncol; r < nrow; ++r) y[rows[r]] += w[r];
}

}  // namespace

void forward_dense(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws,
                   double* y) {
  for (int sn = 0; sn < s.nsuper; ++sn) forward_supernode(s, l.x, ws.w.data(), sn, y);
}

void forward_sparse(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws,
                    std::span<const int> nonzero_columns, double* y) {
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
  for (int sn : ws.visit) forward_supernode(s, l.x, ws.w.data(), sn, y);
}

void backward(const SupernodalStructure& s, SupernodalValues l, SupernodalWorkspace& ws,
              double* y) {
  double* w = ws.w.data();
  for (int sn = s.nsuper - 1; sn >= 0; --sn) {
    const auto si = static_cast<std::size_t>(sn);
    const int k1 = s.super[si];
    const int ncol = s.super[si + 1] - k1;
    const int nrow = s.row_start[si + 1] - s.row_start[si];
    const int* rows = s.rows.data() + s.row_start[si];
    const double* block = l.x + s.value_start[si];
    for (int r = 0; r < ncol; ++r) w[r] = y[k1 + r];
    for (int r = ncol; r < nrow; ++r) w[r] = y[rows[r]];
    for (int j = ncol - 1; j >= 0; --j) {
      const double* col = block + static_cast<std::ptrdiff_t>(j) * nrow;
      // Four partial sums in a fixed order: vectorisable and deterministic.
      double a0 = 0.0, a1 = 0.0, a2 = 0.0, a3 = 0.0;
      int r = j + 1;
      for (; r + 4 <= nrow; r += 4) {
        a0 += (col[r]) * w[r];
        a1 += (col[r + 1]) * w[r + 1];
        a2 += (col[r + 2]) * w[r + 2];
        a3 += (col[r + 3]) * w[r + 3];
      }
      for (; r < nrow; ++r) a0 += (col[r]) * w[r];
      w[j] = (w[j] - ((a0 + a1) + (a2 + a3))) / (col[j]);
    }
    for (int r = 0; r < ncol; ++r) y[k1 + r] = w[r];
  }
}

}  // namespace headspa::geometry::detail
