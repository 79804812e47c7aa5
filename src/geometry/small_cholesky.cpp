#include "small_cholesky.hpp"

#include "headspa/core/error.hpp"

#include <suitesparse/amd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <limits>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace headspa::geometry::detail {

// AMD's order and the supernodes of its assembly tree (amd_ordering).
struct AmdOrdering {
  std::vector<int> order;  // order[k] = the vertex eliminated k-th
  // The supernodes of the assembly tree in pivot order (empty when the tree's form was not
  // the one described above): first column, entries of the first column, parent.
  std::vector<int> first, count, parent;
};

// One triangle of the graph in pivot order: for each pivot k its neighbours i < k (upper) or
// i > k (lower), at index[start[k] .. start[k+1]), with their graph slots (lower only).
// Every later pass of the analysis streams one of them.
struct Triangle {
  std::vector<int> start, index, slot;
};

namespace {

// Values in a supernode of nrow rows whose first ncol columns are the lower trapezoid.
std::int64_t trapezoid(std::int64_t ncol, std::int64_t nrow) {
  return ncol * nrow - ncol * (ncol - 1) / 2;
}

// Offset of column j of a supernode of nrow rows from its first value.
std::int64_t column_offset(int j, int nrow) {
  return static_cast<std::int64_t>(j) * nrow - static_cast<std::int64_t>(j) * (j - 1) / 2;
}

std::size_t idx(int i) { return static_cast<std::size_t>(i); }

// AMD's ordering of the graph, and the supernodes of its assembly tree. amd_2 is AMD's core,
// which amd_order calls after checking and copying the matrix: the graph here is already in
// the form it needs (both triangles, no diagonal, no repeats), so it gets a copy of it with
// room to grow. Besides the order, amd_2 leaves (amd_2.c documents its arguments) the
// assembly tree of the elimination: each principal variable e (nv[e] > 0) stands for nv[e]
// pivots placed together, ending with e, its parent is pe[e] (-1 at a root), and elen[e] is
// the number of entries of the first of those pivots' columns of L (its diagonal included).

AmdOrdering amd_ordering(const SymmetricGraph& g) {
  const int n = g.n;
  const int nz = g.start[idx(n)];
  AmdOrdering out;
  out.order.resize(idx(n));
  if (nz == 0) {
    for (int k = 0; k < n; ++k) out.order[idx(k)] = k;
    return out;
  }
  // More room than amd_order gives (1.2 nz + n): AMD then never has to compact its lists (it
  // did once on the Lee Perry-Smith scan, 2% of its time).
  const int iwlen = nz + nz / 2 + 2 * n;
  std::vector<int> pe(idx(n)), len(idx(n)), iw(idx(iwlen)), nv(idx(n)), next(idx(n)), head(idx(n)),
      elen(idx(n)), degree(idx(n)), w(idx(n));
  for (int v = 0; v < n; ++v) {
    pe[idx(v)] = g.start[idx(v)];
    len[idx(v)] = g.start[idx(v) + 1] - g.start[idx(v)];
  }
  std::copy(g.index.begin(), g.index.begin() + nz, iw.begin());
  std::array<double, AMD_CONTROL> control{};
  std::array<double, AMD_INFO> info{};
  amd_defaults(control.data());
  amd_2(n, pe.data(), iw.data(), len.data(), iwlen, nz, nv.data(), next.data(), out.order.data(),
        head.data(), elen.data(), degree.data(), w.data(), control.data(), info.data());

  // The tree's supernodes, checked to tile the order, each ending with its principal variable,
  // each parent a later supernode.
  std::vector<int>& block = w;  // per principal variable: its supernode
  int start = 0;
  for (int k = 0; k < n; ++k) {
    const int e = out.order[idx(k)];
    if (nv[idx(e)] <= 0) continue;
    if (k - start + 1 != nv[idx(e)] || elen[idx(e)] < nv[idx(e)] || elen[idx(e)] > n - start) {
      out.first.clear();
      return out;
    }
    block[idx(e)] = static_cast<int>(out.first.size());
    out.first.push_back(start);
    out.count.push_back(elen[idx(e)]);
    start = k + 1;
  }
  if (start != n) {
    out.first.clear();
    return out;
  }
  out.parent.resize(out.first.size());
  for (int k = 0; k < n; ++k) {
    const int e = out.order[idx(k)];
    if (nv[idx(e)] <= 0) continue;
    const int b = block[idx(e)];
    const int up = pe[idx(e)];
    out.parent[idx(b)] = up < 0 ? -1 : (nv[idx(up)] > 0 ? block[idx(up)] : b);
    if (up >= 0 && out.parent[idx(b)] <= b) {
      out.first.clear();
      return out;
    }
  }
  return out;
}

template <bool kLower>
Triangle triangle(const SymmetricGraph& g, const std::vector<int>& order,
                  const std::vector<int>& inverse) {
  const int n = g.n;
  const int nz = g.start[idx(n)];
  Triangle t;
  t.start.resize(idx(n) + 1);
  t.index.resize(idx(nz) + 1);  // each neighbour is written and counted when it is on this side
  if (kLower) t.slot.resize(idx(nz) + 1);
  int count = 0;
  for (int k = 0; k < n; ++k) {
    t.start[idx(k)] = count;
    const int v = order[idx(k)];
    for (int q = g.start[idx(v)]; q < g.start[idx(v) + 1]; ++q) {
      const int i = inverse[idx(g.index[idx(q)])];
      t.index[idx(count)] = i;
      if (kLower) t.slot[idx(count)] = q;
      count += (kLower ? i > k : i < k) ? 1 : 0;
    }
  }
  t.start[idx(n)] = count;
  HEADSPA_CHECK(2 * count == nz, "a symmetric graph without self loops");
  t.index.resize(idx(count));
  if (kLower) t.slot.resize(idx(count));
  return t;
}

// The elimination tree (Liu): for each entry (i < k) of column k, climb from i towards the
// root, pointing every node passed at k (path compression).
std::vector<int> elimination_tree(const Triangle& upper) {
  const int n = static_cast<int>(upper.start.size()) - 1;
  std::vector<int> parent(idx(n), -1), ancestor(idx(n), -1);
  for (int k = 0; k < n; ++k) {
    for (int q = upper.start[idx(k)]; q < upper.start[idx(k) + 1]; ++q) {
      for (int i = upper.index[idx(q)]; i != -1 && i < k;) {
        const int up = ancestor[idx(i)];
        ancestor[idx(i)] = k;
        if (up == -1) parent[idx(i)] = k;
        i = up;
      }
    }
  }
  return parent;
}

// Whether the order is a postorder of the forest (each subtree contiguous, ending at its
// root): it is exactly when every subtree's range of as many indices ending at its root lies
// within its parent's.
bool is_postorder(const std::vector<int>& parent) {
  const int n = static_cast<int>(parent.size());
  std::vector<int> size(idx(n), 0);
  for (int j = 0; j < n; ++j) {
    size[idx(j)] += 1;
    if (parent[idx(j)] >= 0) size[idx(parent[idx(j)])] += size[idx(j)];
  }
  for (int j = 0; j < n; ++j) {
    const int p = parent[idx(j)];
    if (p >= 0 && j - size[idx(j)] < p - size[idx(p)]) return false;
  }
  return true;
}

// A postorder of the forest: children in ascending order, each subtree contiguous.
std::vector<int> postorder(const std::vector<int>& parent) {
  const int n = static_cast<int>(parent.size());
  std::vector<int> head(idx(n), -1), next(idx(n), -1), stack, post;
  post.reserve(idx(n));
  stack.reserve(idx(n));
  for (int j = n - 1; j >= 0; --j) {
    if (parent[idx(j)] < 0) continue;
    next[idx(j)] = head[idx(parent[idx(j)])];
    head[idx(parent[idx(j)])] = j;
  }
  for (int root = 0; root < n; ++root) {
    if (parent[idx(root)] >= 0) continue;
    stack.push_back(root);
    while (!stack.empty()) {
      const int p = stack.back();
      const int child = head[idx(p)];
      if (child < 0) {
        stack.pop_back();
        post.push_back(p);
      } else {
        head[idx(p)] = next[idx(child)];
        stack.push_back(child);
      }
    }
  }
  return post;
}

// Column counts of L (diagonal included) for a postordered tree (Gilbert, Ng and Peyton):
// row i's subtree has as leaves the columns j < i of its entries whose first descendant lies
// past the previous leaf's; each leaf adds one to its column and takes one off where its path
// meets the previous leaf's (their least common ancestor, found with path compression).
std::vector<int> column_counts(const Triangle& lower, const std::vector<int>& parent) {
  const int n = static_cast<int>(parent.size());
  std::vector<int> delta(idx(n), 0), first(idx(n), -1), max_first(idx(n), -1),
      previous_leaf(idx(n), -1), ancestor(idx(n));
  for (int k = 0; k < n; ++k) {
    int j = k;
    delta[idx(j)] = first[idx(j)] == -1 ? 1 : 0;
    for (; j != -1 && first[idx(j)] == -1; j = parent[idx(j)]) first[idx(j)] = k;
  }
  for (int i = 0; i < n; ++i) ancestor[idx(i)] = i;
  for (int j = 0; j < n; ++j) {
    if (parent[idx(j)] != -1) --delta[idx(parent[idx(j)])];
    for (int q = lower.start[idx(j)]; q < lower.start[idx(j) + 1]; ++q) {
      const int i = lower.index[idx(q)];
      if (first[idx(j)] <= max_first[idx(i)]) continue;  // j is not a leaf of row i
      max_first[idx(i)] = first[idx(j)];
      const int previous = previous_leaf[idx(i)];
      previous_leaf[idx(i)] = j;
      ++delta[idx(j)];
      if (previous == -1) continue;  // the first leaf of row i
      int root = previous;
      while (root != ancestor[idx(root)]) root = ancestor[idx(root)];
      for (int s = previous; s != root;) {
        const int up = ancestor[idx(s)];
        ancestor[idx(s)] = root;
        s = up;
      }
      --delta[idx(root)];
    }
    if (parent[idx(j)] != -1) ancestor[idx(j)] = parent[idx(j)];
  }
  for (int j = 0; j < n; ++j) {
    if (parent[idx(j)] != -1) delta[idx(parent[idx(j)])] += delta[idx(j)];
  }
  return delta;
}

// Merging of a supernode into its parent (the next supernode): always while the result has at
// most kRelaxColumns[0] columns; otherwise while the share of explicit zeros in the result stays
// under kRelaxZeros[i] for results of at most kRelaxColumns[i + 1] columns (the last share for
// any width).
constexpr std::array<int, 3> kRelaxColumns = {4, 16, 48};
constexpr std::array<double, 3> kRelaxZeros = {0.8, 0.1, 0.05};

bool relax(std::int64_t columns, std::int64_t zeros, std::int64_t entries) {
  if (columns <= kRelaxColumns[0]) return true;
  const auto share = static_cast<double>(zeros) / static_cast<double>(entries);
  if (columns <= kRelaxColumns[1]) return share < kRelaxZeros[0];
  if (columns <= kRelaxColumns[2]) return share < kRelaxZeros[1];
  return share < kRelaxZeros[2];
}

}  // namespace

struct SmallCholeskyAnalyser::State {
  Triangle upper, lower;
  AmdOrdering amd;          // the order and AMD's supernodes
  bool use_amd = false;     // the supernodes come from AMD's tree
  std::vector<int> parent;  // the elimination tree (when AMD's supernodes are not used)
  bool reordered = false;   // the order was made a postorder after the lower triangle was built
  std::atomic<bool> lost{false};         // a row walk left the supernodes' rows or tree
  std::vector<int> front, back;          // per supernode: where the next row goes from either end
  std::array<std::vector<int>, 2> mark;  // per supernode: the last row that visited it
  // The rows still to walk: [low, high) packed as low * 2^32 + high.
  std::atomic<std::uint64_t> unwalked{0};
};

SmallCholeskyAnalyser::SmallCholeskyAnalyser(const SymmetricGraph& graph)
    : graph_(graph), state_(std::make_unique<State>()) {
  HEADSPA_CHECK(graph.n > 0 && graph.start.size() == idx(graph.n) + 1, "a graph with vertices");
  analysis_.n = graph.n;
}

SmallCholeskyAnalyser::~SmallCholeskyAnalyser() = default;

void SmallCholeskyAnalyser::order() {
  SmallCholeskyAnalysis& a = analysis_;
  state_->amd = amd_ordering(graph_);
  state_->use_amd = !state_->amd.first.empty();
  a.perm = state_->amd.order;
  a.inverse_perm.resize(idx(a.n));
  for (int k = 0; k < a.n; ++k) a.inverse_perm[idx(a.perm[idx(k)])] = k;
}

bool SmallCholeskyAnalyser::tree_keeps_order() const { return state_->use_amd; }

void SmallCholeskyAnalyser::lower_triangle() {
  state_->lower = triangle<true>(graph_, analysis_.perm, analysis_.inverse_perm);
}

void SmallCholeskyAnalyser::tree() {
  SmallCholeskyAnalysis& a = analysis_;
  State& st = *state_;
  const int n = a.n;
  st.upper = triangle<false>(graph_, a.perm, a.inverse_perm);
  if (st.use_amd) return;  // AMD's tree gives the supernodes
  st.parent = elimination_tree(st.upper);
  if (is_postorder(st.parent)) return;
  // AMD's order is not a postorder of the tree (it usually is): make it one.
  const std::vector<int> post = postorder(st.parent);
  std::vector<int> post_inverse(idx(n)), order(idx(n)), tree(idx(n));
  for (int k = 0; k < n; ++k) post_inverse[idx(post[idx(k)])] = k;
  for (int k = 0; k < n; ++k) {
    order[idx(k)] = a.perm[idx(post[idx(k)])];
    const int p = st.parent[idx(post[idx(k)])];
    tree[idx(k)] = p < 0 ? -1 : post_inverse[idx(p)];
  }
  a.perm = std::move(order);
  st.parent = std::move(tree);
  for (int k = 0; k < n; ++k) a.inverse_perm[idx(a.perm[idx(k)])] = k;
  st.upper = triangle<false>(graph_, a.perm, a.inverse_perm);
  st.reordered = true;
}

void SmallCholeskyAnalyser::supernodes() {
  SmallCholeskyAnalysis& a = analysis_;
  State& st = *state_;
  const int n = a.n;
  // Fundamental supernodes (first column, entries of the first column of L, the supernode of
  // their parent): AMD's, or made from the elimination tree and the column counts.
  std::vector<int> fundamental, first_count, fundamental_parent;
  if (st.use_amd) {
    fundamental = std::move(st.amd.first);
    first_count = std::move(st.amd.count);
    fundamental_parent = std::move(st.amd.parent);
  } else {
    if (st.reordered) lower_triangle();
    const std::vector<int>& parent = st.parent;
    const std::vector<int> count = column_counts(st.lower, parent);
    // A column joins the previous one when it is that column's parent, its only child, and its
    // column has one entry fewer.
    std::vector<int> children(idx(n), 0), fundamental_of(idx(n));
    for (int j = 0; j < n; ++j) {
      if (parent[idx(j)] >= 0) ++children[idx(parent[idx(j)])];
    }
    for (int j = 0; j < n; ++j) {
      const bool joins = j > 0 && parent[idx(j) - 1] == j &&
                         count[idx(j) - 1] == count[idx(j)] + 1 && children[idx(j)] == 1;
      if (!joins) {
        fundamental.push_back(j);
        first_count.push_back(count[idx(j)]);
      }
      fundamental_of[idx(j)] = static_cast<int>(fundamental.size()) - 1;
    }
    fundamental_parent.resize(fundamental.size());
    for (std::size_t f = 0; f < fundamental.size(); ++f) {
      const int last = (f + 1 < fundamental.size() ? fundamental[f + 1] : n) - 1;
      const int up = parent[idx(last)];
      fundamental_parent[f] = up < 0 ? -1 : fundamental_of[idx(up)];
    }
  }
  const int nf = static_cast<int>(fundamental.size());
  fundamental.push_back(n);
  for (int f = 0; f < nf; ++f) {
    a.factor_entries += static_cast<double>(
        trapezoid(fundamental[idx(f) + 1] - fundamental[idx(f)], first_count[idx(f)]));
  }

  // Relaxed amalgamation, from the root down: supernode f merges into the group that starts
  // with its parent when that parent is f + 1 (f is its last child, so the columns stay
  // contiguous). The merged rows are f's columns and the group's rows (f's rows below its
  // columns lie among its parent's).
  std::vector<int> group_columns(idx(nf)), group_rows(idx(nf));
  std::vector<std::int64_t> group_zeros(idx(nf), 0);
  std::vector<char> merges_up(idx(nf), 0);
  for (int f = 0; f < nf; ++f) {
    group_columns[idx(f)] = fundamental[idx(f) + 1] - fundamental[idx(f)];
    group_rows[idx(f)] = first_count[idx(f)];
  }
  for (int f = nf - 2; f >= 0; --f) {
    if (fundamental_parent[idx(f)] != f + 1) continue;
    const std::int64_t columns = group_columns[idx(f)] + group_columns[idx(f) + 1];
    const std::int64_t rows = group_columns[idx(f)] + group_rows[idx(f) + 1];
    const std::int64_t entries = trapezoid(columns, rows);
    const std::int64_t zeros =
        entries - trapezoid(group_columns[idx(f)], group_rows[idx(f)]) -
        (trapezoid(group_columns[idx(f) + 1], group_rows[idx(f) + 1]) - group_zeros[idx(f) + 1]);
    if (!relax(columns, zeros, entries)) continue;
    merges_up[idx(f)] = 1;
    group_columns[idx(f)] = static_cast<int>(columns);
    group_rows[idx(f)] = static_cast<int>(rows);
    group_zeros[idx(f)] = zeros;
  }

  // The supernodes and their tree.
  std::vector<int> super_of(idx(nf));  // the supernode each fundamental one went into
  a.row_start.assign(1, 0);
  a.value_start.assign(1, 0);
  for (int f = 0; f < nf; ++f) {
    if (f > 0 && merges_up[idx(f) - 1] != 0) {
      super_of[idx(f)] = static_cast<int>(a.super.size()) - 1;  // the group's, pushed last
      continue;
    }
    const int ncol = group_columns[idx(f)], nrow = group_rows[idx(f)];
    a.super.push_back(fundamental[idx(f)]);
    a.row_start.push_back(a.row_start.back() + nrow);
    a.value_start.push_back(a.value_start.back() + trapezoid(ncol, nrow) + kSupernodePadding);
    a.stored_entries += static_cast<double>(trapezoid(ncol, nrow));
    a.max_rows = std::max(a.max_rows, nrow);
    a.max_columns = std::max(a.max_columns, ncol);
    super_of[idx(f)] = static_cast<int>(a.super.size()) - 1;
  }
  a.super.push_back(n);
  const int ns = a.nsuper();
  a.column_super.resize(idx(n));
  for (int s = 0; s < ns; ++s) {
    for (int j = a.super[idx(s)]; j < a.super[idx(s) + 1]; ++j) a.column_super[idx(j)] = s;
  }
  // A supernode's parent is the parent of its last fundamental supernode.
  a.super_parent.assign(idx(ns), -1);
  for (int f = 0; f < nf; ++f) {
    const int up = fundamental_parent[idx(f)];
    if (up >= 0 && super_of[idx(up)] != super_of[idx(f)]) {
      a.super_parent[idx(super_of[idx(f)])] = super_of[idx(up)];
    }
  }

  // Each supernode's own columns head its rows; rows() fills in the rest from both ends.
  a.rows.resize(idx(a.row_start.back()));
  st.front.resize(idx(ns));
  st.back.resize(idx(ns));
  for (int s = 0; s < ns; ++s) {
    int at = a.row_start[idx(s)];
    for (int j = a.super[idx(s)]; j < a.super[idx(s) + 1]; ++j) a.rows[idx(at++)] = j;
    st.front[idx(s)] = at;
    st.back[idx(s)] = a.row_start[idx(s) + 1];
  }
  for (auto& m : st.mark) m.assign(idx(ns), -1);
  st.unwalked.store(static_cast<std::uint64_t>(n));
}

void SmallCholeskyAnalyser::rows(int half) {
  // Row k goes into every supernode its row subtree passes, walked up the supernodal tree from
  // the supernodes of its entries left of the diagonal. Half 0 takes rows from the front in
  // ascending order and writes each supernode's rows from its front; half 1 takes them from
  // the back in descending order and writes from the back: each supernode's rows come out
  // ascending, whichever half walks which rows, and the halves meet exactly where the rows
  // each supernode's column count promised run out.
  SmallCholeskyAnalysis& a = analysis_;
  State& st = *state_;
  std::vector<int>& mark = st.mark[idx(half)];
  std::vector<int>& fill = half == 0 ? st.front : st.back;
  constexpr std::uint64_t kChunk = 64;
  for (;;) {
    std::uint64_t range = st.unwalked.load();
    std::uint64_t low, high, first, last;
    do {
      low = range >> 32;
      high = range & 0xffffffffu;
      if (low >= high) return;
      const std::uint64_t take = std::min(kChunk, high - low);
      first = half == 0 ? low : high - take;
      last = half == 0 ? low + take : high;
    } while (!st.unwalked.compare_exchange_weak(
        range, half == 0 ? (last << 32) | high : (low << 32) | first));
    for (std::uint64_t step = 0; step < last - first; ++step) {
      const int k = static_cast<int>(half == 0 ? first + step : last - 1 - step);
      const int own = a.column_super[idx(k)];
      for (int q = st.upper.start[idx(k)]; q < st.upper.start[idx(k) + 1]; ++q) {
        for (int s = a.column_super[idx(st.upper.index[idx(q)])]; s != own && mark[idx(s)] != k;
             s = a.super_parent[idx(s)]) {
          // A walk past a root, or past a supernode's rows (each half stays within the rows
          // below its columns), means the tree or the counts do not fit the pattern: take()
          // then analyses again from the elimination tree.
          if (s < 0 || (half == 0 ? fill[idx(s)] >= a.row_start[idx(s) + 1]
                                  : fill[idx(s)] <= a.row_start[idx(s)] + a.super[idx(s) + 1] -
                                                        a.super[idx(s)])) {
            st.lost.store(true);
            return;
          }
          mark[idx(s)] = k;
          if (half == 0) {
            a.rows[idx(fill[idx(s)]++)] = k;
          } else {
            a.rows[idx(--fill[idx(s)])] = k;
          }
        }
      }
    }
  }
}

SmallCholeskyAnalysis SmallCholeskyAnalyser::take() {
  SmallCholeskyAnalysis& a = analysis_;
  State& st = *state_;
  auto met = [&] {
    if (st.lost.load()) return false;
    for (int s = 0; s < a.nsuper(); ++s) {
      if (st.front[idx(s)] != st.back[idx(s)]) return false;
    }
    return true;
  };
  if (!met()) {
    // AMD's tree did not fit (its column counts may be upper bounds): the elimination tree and
    // exact counts instead, on this thread.
    HEADSPA_CHECK(st.use_amd, "supernode row counts");
    st.use_amd = false;
    st.lost.store(false);
    const int n = a.n;
    a = SmallCholeskyAnalysis{};
    a.n = n;
    a.perm = st.amd.order;
    a.inverse_perm.resize(idx(n));
    for (int k = 0; k < n; ++k) a.inverse_perm[idx(a.perm[idx(k)])] = k;
    tree();
    supernodes();
    rows(0);
    HEADSPA_CHECK(met(), "supernode row counts");
  }
  a.lower_start = std::move(st.lower.start);
  a.lower = std::move(st.lower.index);
  a.lower_slot = std::move(st.lower.slot);
  return std::move(a);
}

SmallCholeskyAnalysis analyse_small_cholesky(const SymmetricGraph& graph) {
  SmallCholeskyAnalyser analyser(graph);
  analyser.order();
  analyser.lower_triangle();
  analyser.tree();
  analyser.supernodes();
  analyser.rows(0);
  return analyser.take();
}

SmallCholeskyWorkspace::SmallCholeskyWorkspace(const SmallCholeskyAnalysis& a)
    : relative(idx(a.n), 0),
      head(idx(a.nsuper()), -1),
      next(idx(a.nsuper()), -1),
      position(idx(a.nsuper()), 0),
      map(idx(a.max_rows), 0),
      columns(idx(a.max_columns), nullptr) {}

namespace {

// The loop that does most of the arithmetic, for any x86-64 (SSE2: two doubles a register) and
// for AVX2 with fused multiply-adds (four doubles a register):
//   block(columns, count, r0, c0, products): products[c][i] = sum over k < count of
//     columns[k][r0 + i] * columns[k][c0 + c], for i < kRows and c < kColumns, the partial
//     sums held in registers across the columns. It reads up to kRows - 1 rows past the last
//     one a caller uses and kColumns - 1 past the last target (the supernode padding).
constexpr int kColumns = 4;

struct PortableKernels {
  static constexpr int kRows = 4;
  using Double2 = double __attribute__((vector_size(16)));
  static Double2 load(const double* p) {
    Double2 v;
    std::memcpy(&v, p, sizeof v);
    return v;
  }
  static void block(const double* const* columns, int count, int r0, int c0,
                    double (&products)[kColumns][kRows]) {
    Double2 p00 = {}, p01 = {}, p10 = {}, p11 = {}, p20 = {}, p21 = {}, p30 = {}, p31 = {};
    for (int k = 0; k < count; ++k) {
      const double* column = columns[k];
      const Double2 low = load(column + r0), high = load(column + r0 + 2);
      const double b0 = column[c0], b1 = column[c0 + 1], b2 = column[c0 + 2], b3 = column[c0 + 3];
      p00 += low * b0;
      p01 += high * b0;
      p10 += low * b1;
      p11 += high * b1;
      p20 += low * b2;
      p21 += high * b2;
      p30 += low * b3;
      p31 += high * b3;
    }
    std::memcpy(products[0], &p00, sizeof p00);
    std::memcpy(products[0] + 2, &p01, sizeof p01);
    std::memcpy(products[1], &p10, sizeof p10);
    std::memcpy(products[1] + 2, &p11, sizeof p11);
    std::memcpy(products[2], &p20, sizeof p20);
    std::memcpy(products[2] + 2, &p21, sizeof p21);
    std::memcpy(products[3], &p30, sizeof p30);
    std::memcpy(products[3] + 2, &p31, sizeof p31);
  }
  // range[0] = min(range[0], the smallest nonzero |x[r]|), range[1] = max(range[1], the
  // largest |x[r]|; NaN when one is), for r < length.
  static void magnitudes(const double* x, int length, double* range) {
    for (int r = 0; r < length; ++r) {
      const double a = std::abs(x[r]);
      if (a > 0.0) range[0] = std::min(range[0], a);
      range[1] = a <= range[1] ? range[1] : a;  // keeps a NaN
    }
  }
};

#if defined(__x86_64__)
struct Avx2Kernels {
  static constexpr int kRows = 8;
  __attribute__((target("avx2,fma"))) static void block(const double* const* columns, int count,
                                                        int r0, int c0,
                                                        double (&products)[kColumns][kRows]) {
    __m256d p00 = _mm256_setzero_pd(), p01 = p00, p10 = p00, p11 = p00, p20 = p00, p21 = p00,
            p30 = p00, p31 = p00;
    for (int k = 0; k < count; ++k) {
      const double* column = columns[k];
      const __m256d low = _mm256_loadu_pd(column + r0);
      const __m256d high = _mm256_loadu_pd(column + r0 + 4);
      const __m256d b0 = _mm256_broadcast_sd(column + c0);
      const __m256d b1 = _mm256_broadcast_sd(column + c0 + 1);
      const __m256d b2 = _mm256_broadcast_sd(column + c0 + 2);
      const __m256d b3 = _mm256_broadcast_sd(column + c0 + 3);
      p00 = _mm256_fmadd_pd(low, b0, p00);
      p01 = _mm256_fmadd_pd(high, b0, p01);
      p10 = _mm256_fmadd_pd(low, b1, p10);
      p11 = _mm256_fmadd_pd(high, b1, p11);
      p20 = _mm256_fmadd_pd(low, b2, p20);
      p21 = _mm256_fmadd_pd(high, b2, p21);
      p30 = _mm256_fmadd_pd(low, b3, p30);
      p31 = _mm256_fmadd_pd(high, b3, p31);
    }
    _mm256_storeu_pd(products[0], p00);
    _mm256_storeu_pd(products[0] + 4, p01);
    _mm256_storeu_pd(products[1], p10);
    _mm256_storeu_pd(products[1] + 4, p11);
    _mm256_storeu_pd(products[2], p20);
    _mm256_storeu_pd(products[2] + 4, p21);
    _mm256_storeu_pd(products[3], p30);
    _mm256_storeu_pd(products[3] + 4, p31);
  }
  __attribute__((target("avx2,fma"))) static void magnitudes(const double* x, int length,
                                                             double* range) {
    const __m256d infinity = _mm256_set1_pd(std::numeric_limits<double>::infinity());
    const __m256d sign = _mm256_set1_pd(-0.0);
    __m256d low = infinity, high = _mm256_setzero_pd();
    int r = 0;
    for (; r + 4 <= length; r += 4) {
      const __m256d a = _mm256_andnot_pd(sign, _mm256_loadu_pd(x + r));
      // max_pd returns its second operand when either is a NaN: the NaN is kept.
      high = _mm256_max_pd(high, a);
      const __m256d nonzero = _mm256_cmp_pd(a, _mm256_setzero_pd(), _CMP_GT_OQ);
      low = _mm256_min_pd(low, _mm256_blendv_pd(infinity, a, nonzero));
    }
    double lows[4], highs[4];
    _mm256_storeu_pd(lows, low);
    _mm256_storeu_pd(highs, high);
    for (int k = 0; k < 4; ++k) {
      range[0] = std::min(range[0], lows[k]);
      range[1] = highs[k] <= range[1] ? range[1] : highs[k];
    }
    for (; r < length; ++r) {
      const double a = std::abs(x[r]);
      if (a > 0.0) range[0] = std::min(range[0], a);
      range[1] = a <= range[1] ? range[1] : a;
    }
  }
};
#endif

// The update of a supernode (values xs, nrow rows) by `count` columns whose rows (indexed
// 0 .. rows-1, the first `targets` of them among the supernode's columns) sit at row positions
// place(r) of the supernode: for each target c and each row r >= c,
//   column place(c) at row position place(r) -= sum over k of columns[k][r] * columns[k][c].
template <class Kernels, class Place>
void subtract_products(const double* const* columns, int count, int rows, int targets, double* xs,
                       int nrow, Place place) {
  constexpr int kRows = Kernels::kRows;
  double products[kColumns][kRows];
  for (int c0 = 0; c0 < targets; c0 += kColumns) {
    const int cn = std::min(kColumns, targets - c0);
    double* target[kColumns] = {};
    for (int c = 0; c < cn; ++c) {
      const int jj = place(c0 + c);
      target[c] = xs + column_offset(jj, nrow) - jj;
    }
    for (int r0 = c0; r0 < rows; r0 += kRows) {
      Kernels::block(columns, count, r0, c0, products);
      const int rn = std::min(kRows, rows - r0);
      if (rn == kRows && r0 >= c0 + kColumns - 1) {
        // A whole block below the diagonal: its rows sit in one run of the supernode's rows
        // (a third of the blocks on the scan, and every block of a supernode's own columns) or
        // are scattered.
        const int first = place(r0);
        if (place(r0 + kRows - 1) - first == kRows - 1) {
          for (int c = 0; c < cn; ++c) {
            for (int i = 0; i < kRows; ++i) target[c][first + i] -= products[c][i];
          }
        } else {
          int at[kRows];
          for (int i = 0; i < kRows; ++i) at[i] = place(r0 + i);
          for (int c = 0; c < cn; ++c) {
            for (int i = 0; i < kRows; ++i) target[c][at[i]] -= products[c][i];
          }
        }
        continue;
      }
      for (int c = 0; c < cn; ++c) {
        // Rows above the diagonal (r < c0 + c) belong to no stored entry.
        for (int i = std::max(0, c0 + c - r0); i < rn; ++i) {
          target[c][place(r0 + i)] -= products[c][i];
        }
      }
    }
  }
}

// Columns of a supernode's diagonal block factored left-looking before the columns right of
// them are updated with one block product (right-looking by panels).
constexpr int kPanel = 8;

template <class Kernels>
bool factor(const SmallCholeskyAnalysis& a, std::span<const double> diagonal,
            std::span<const double> off_diagonal, SmallCholeskyWorkspace& ws, double* x,
            double* ranges) {
  const int ns = a.nsuper();
  std::fill(ws.head.begin(), ws.head.end(), -1);
  const double** columns = ws.columns.data();
  int* map = ws.map.data();
  for (int s = 0; s < ns; ++s) {
    const int k1 = a.super[idx(s)];
    const int ncol = a.super[idx(s) + 1] - k1;
    const int nrow = a.row_start[idx(s) + 1] - a.row_start[idx(s)];
    const int* rows = a.rows.data() + a.row_start[idx(s)];
    double* xs = x + a.value_start[idx(s)];
    for (int r = 0; r < nrow; ++r) ws.relative[idx(rows[r])] = r;

    // The matrix's entries (the padding too is set, to zero).
    std::fill(xs, x + a.value_start[idx(s) + 1], 0.0);
    for (int j = 0; j < ncol; ++j) {
      double* cj = xs + column_offset(j, nrow) - j;
      cj[j] = diagonal[idx(a.perm[idx(k1 + j)])];
      for (int q = a.lower_start[idx(k1 + j)]; q < a.lower_start[idx(k1 + j) + 1]; ++q) {
        cj[ws.relative[idx(a.lower[idx(q)])]] = off_diagonal[idx(a.lower_slot[idx(q)])];
      }
    }

    // Updates from every supernode with rows among this one's columns.
    for (int d = ws.head[idx(s)]; d != -1;) {
      const int after = ws.next[idx(d)];
      const int dcol = a.super[idx(d) + 1] - a.super[idx(d)];
      const int drow = a.row_start[idx(d) + 1] - a.row_start[idx(d)];
      const int* drows = a.rows.data() + a.row_start[idx(d)];
      const double* xd = x + a.value_start[idx(d)];
      const int p0 = ws.position[idx(d)];
      int p1 = p0;
      while (p1 < drow && drows[p1] < k1 + ncol) ++p1;
      for (int r = p0; r < drow; ++r) map[r - p0] = ws.relative[idx(drows[r])];
      // Column k of d from its row position p0 on.
      for (int k = 0; k < dcol; ++k) columns[k] = xd + column_offset(k, drow) - k + p0;
      subtract_products<Kernels>(columns, dcol, drow - p0, p1 - p0, xs, nrow,
                                 [map](int r) { return map[r]; });
      ws.position[idx(d)] = p1;
      if (p1 < drow) {
        const int t = a.column_super[idx(drows[p1])];
        ws.next[idx(d)] = ws.head[idx(t)];
        ws.head[idx(t)] = d;
      }
      d = after;
    }

    // The diagonal block and the rows below it, by panels of columns.
    for (int j0 = 0; j0 < ncol; j0 += kPanel) {
      const int j1 = std::min(j0 + kPanel, ncol);
      for (int j = j0; j < j1; ++j) {
        double* cj = xs + column_offset(j, nrow) - j;
        for (int k = j0; k < j; ++k) {
          const double* ck = xs + column_offset(k, nrow) - k;
          const double factor = ck[j];
          for (int r = j; r < nrow; ++r) cj[r] -= ck[r] * factor;
        }
        const double pivot = cj[j];
        if (!(pivot > 0.0) || !std::isfinite(pivot)) return false;
        const double diagonal_value = std::sqrt(pivot);
        const double inverse = 1.0 / diagonal_value;
        cj[j] = diagonal_value;
        for (int r = j + 1; r < nrow; ++r) cj[r] *= inverse;
      }
      if (j1 < ncol) {
        for (int k = j0; k < j1; ++k) columns[k - j0] = xs + column_offset(k, nrow) - k + j1;
        subtract_products<Kernels>(columns, j1 - j0, nrow - j1, ncol - j1, xs, nrow,
                                   [j1](int r) { return j1 + r; });
      }
    }
    // The finished supernode's range of magnitudes.
    ranges[2 * idx(s)] = std::numeric_limits<double>::infinity();
    ranges[2 * idx(s) + 1] = 0.0;
    Kernels::magnitudes(xs, static_cast<int>(trapezoid(ncol, nrow)), ranges + 2 * idx(s));
    if (nrow > ncol) {
      ws.position[idx(s)] = ncol;
      const int t = a.column_super[idx(rows[ncol])];
      ws.next[idx(s)] = ws.head[idx(t)];
      ws.head[idx(t)] = s;
    }
  }
  return true;
}

#if defined(__x86_64__)
// The same, compiled for AVX2 and FMA throughout (every call inlined).
__attribute__((target("avx2,fma"), flatten)) bool factor_avx2(const SmallCholeskyAnalysis& a,
                                                              std::span<const double> diagonal,
                                                              std::span<const double> off_diagonal,
                                                              SmallCholeskyWorkspace& ws, double* x,
                                                              double* ranges) {
  return factor<Avx2Kernels>(a, diagonal, off_diagonal, ws, x, ranges);
}

bool avx2_available() {
  static const bool available = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
  return available;
}
#endif

}  // namespace

bool factor_small_cholesky(const SmallCholeskyAnalysis& a, std::span<const double> diagonal,
                           std::span<const double> off_diagonal, SmallCholeskyWorkspace& workspace,
                           double* values, std::span<double> ranges) {
  HEADSPA_CHECK(ranges.size() == 2 * idx(a.nsuper()), "two values per supernode");
#if defined(__x86_64__)
  if (avx2_available()) {
    return factor_avx2(a, diagonal, off_diagonal, workspace, values, ranges.data());
  }
#endif
  return factor<PortableKernels>(a, diagonal, off_diagonal, workspace, values, ranges.data());
}

}  // namespace headspa::geometry::detail
