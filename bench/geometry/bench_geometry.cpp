// Benchmark of headspa's numerical geometry core, printing medians:
//   heat-method geodesics (precompute = Laplacian, analysis and factorisation; one solve) against
//   CGAL's Heat_method_3 (Direct mode, Eigen SimplicialLDLT) on the same mesh, with the ratio;
//   the log map per 3 cm patch; closest-point and signed-distance queries.
// The comparison: the same vertices and faces; the same time step t = h^2 with h the mean edge
// length (CGAL averages over edges, headspa over the edges of the faces: equal on a closed mesh
// such as the default head, within a fraction of a per cent on the open scan); both use AMD.
//   precompute: headspa = HeatGeodesicSolver's constructor (cotan Laplacian, mass, per-face
//     data for the divergence, components, ordering and analysis, both numeric factorisations);
//     CGAL = its constructor (cotan and mass matrices, both factorisations, plus one heat solve,
//     gradient and divergence with no source, which it runs there).
//   solve: both = heat step, normalised gradient, divergence, Poisson step and the shift to 0 at
//     the source, for one source vertex (CGAL's estimate_geodesic_distances after a source
//     change; headspa's distance() into a reused vector).
// Both are timed in pairs, headspa's then CGAL's, and each ratio is the median of the pairs'
// ratios, so that each pair meets the same load on a shared machine.
// On meshes factored by headspa's own Cholesky it also prints the floor under that precompute:
// the AMD ordering and one numeric factorisation, each timed alone after a CGAL precompute,
// beside CGAL's precompute divided by 4.
// Threads: headspa factors its two systems side by side on two threads, each with OpenBLAS held to
// one thread and CHOLMOD's OpenMP regions serial; the "on one thread" line factors them one after
// the other. Eigen's SimplicialLDLT and both solves run on one thread.
// Meshes: a 100k-vertex default head and the Lee Perry-Smith scan (skipped when absent).
#include "headspa/geometry/heat_geodesic.hpp"
#include "headspa/geometry/import.hpp"
#include "headspa/geometry/laplacian.hpp"
#include "headspa/geometry/log_map.hpp"
#include "headspa/geometry/surface_query.hpp"
// Private to the geometry module: the floor below times its ordering and factorisation alone.
#include "geometry/small_cholesky.hpp"
#if HEADSPA_BENCH_DEFAULT_HEAD
#include "headspa/anatomy/default_head.hpp"
#endif

#include <CGAL/Exact_predicates_inexact_constructions_kernel.h>
#include <CGAL/Heat_method_3/Surface_mesh_geodesic_distances_3.h>
#include <CGAL/Surface_mesh.h>
#include <Eigen/Geometry>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <exception>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using headspa::geometry::TriangleMesh;
using headspa::geometry::Vec3;
using Clock = std::chrono::steady_clock;
using Kernel = CGAL::Exact_predicates_inexact_constructions_kernel;
using CgalMesh = CGAL::Surface_mesh<Kernel::Point_3>;
using CgalHeat =
    CGAL::Heat_method_3::Surface_mesh_geodesic_distances_3<CgalMesh, CGAL::Heat_method_3::Direct>;

double seconds(const std::function<void()>& f) {
  const auto start = Clock::now();
  f();
  return std::chrono::duration<double>(Clock::now() - start).count();
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  const std::size_t n = v.size();
  return n % 2 == 1 ? v[n / 2] : 0.5 * (v[n / 2 - 1] + v[n / 2]);
}

double median_of(int reps, const std::function<void()>& f) {
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) t.push_back(seconds(f));
  return median(t);
}

#if !HEADSPA_BENCH_DEFAULT_HEAD
// A geodesic icosahedron of frequency k (10 k^2 + 2 vertices) on an ellipsoid with head-like
// semi-axes: the stand-in when the default head is not built.
TriangleMesh head_like_ellipsoid(int k) {
  const double t = (1.0 + std::sqrt(5.0)) / 2.0;
  const std::vector<Vec3> ico = {{-1, t, 0}, {1, t, 0}, {-1, -t, 0}, {1, -t, 0},
                                 {0, -1, t}, {0, 1, t}, {0, -1, -t}, {0, 1, -t},
                                 {t, 0, -1}, {t, 0, 1}, {-t, 0, -1}, {-t, 0, 1}};
  const int faces[20][3] = {{0, 11, 5}, {0, 5, 1},  {0, 1, 7},   {0, 7, 10}, {0, 10, 11},
                            {1, 5, 9},  {5, 11, 4}, {11, 10, 2}, {10, 7, 6}, {7, 1, 8},
                            {3, 9, 4},  {3, 4, 2},  {3, 2, 6},   {3, 6, 8},  {3, 8, 9},
                            {4, 9, 5},  {2, 4, 11}, {6, 2, 10},  {8, 6, 7},  {9, 8, 1}};
  TriangleMesh m;
  std::map<std::array<long long, 3>, int> index;
  auto vertex = [&](const Vec3& p) {
    const Vec3 u = p.normalized();
    const std::array<long long, 3> key{std::llround(u.x() * 1e9), std::llround(u.y() * 1e9),
                                       std::llround(u.z() * 1e9)};
    const auto [it, inserted] = index.emplace(key, static_cast<int>(m.vertices.size()));
    if (inserted) m.vertices.push_back(u);
    return it->second;
  };
  for (const auto& f : faces) {
    const Vec3 a = ico[static_cast<std::size_t>(f[0])], b = ico[static_cast<std::size_t>(f[1])],
               c = ico[static_cast<std::size_t>(f[2])];
    auto at = [&](int i, int j) {
      return vertex(a + (b - a) * (static_cast<double>(i) / k) +
                    (c - a) * (static_cast<double>(j) / k));
    };
    for (int i = 0; i < k; ++i) {
      for (int j = 0; i + j < k; ++j) {
        m.faces.push_back({at(i, j), at(i + 1, j), at(i, j + 1)});
        if (i + j + 1 < k) m.faces.push_back({at(i + 1, j), at(i + 1, j + 1), at(i, j + 1)});
      }
    }
  }
  for (Vec3& p : m.vertices) p = Vec3(0.078 * p.x(), 0.11 * p.y(), 0.095 * p.z());
  return m;
}
#endif

// Shortest paths along mesh edges (an upper bound of the geodesic distance, a few per cent above
// it on a fine mesh): the referee when headspa and CGAL disagree.
std::vector<double> edge_dijkstra(const TriangleMesh& mesh, int source) {
  const headspa::geometry::VertexAdjacency adj = headspa::geometry::vertex_adjacency(mesh);
  std::vector<double> d(mesh.vertex_count(), std::numeric_limits<double>::infinity());
  std::vector<std::pair<double, int>> heap{{0.0, source}};
  d[static_cast<std::size_t>(source)] = 0.0;
  while (!heap.empty()) {
    std::pop_heap(heap.begin(), heap.end(), std::greater<>());
    const auto [dv, v] = heap.back();
    heap.pop_back();
    if (dv > d[static_cast<std::size_t>(v)]) continue;
    for (int i = adj.offsets[static_cast<std::size_t>(v)];
         i < adj.offsets[static_cast<std::size_t>(v) + 1]; ++i) {
      const int w = adj.indices[static_cast<std::size_t>(i)];
      const double dw = dv + (mesh.vertices[static_cast<std::size_t>(w)] -
                              mesh.vertices[static_cast<std::size_t>(v)])
                                 .norm();
      if (dw < d[static_cast<std::size_t>(w)]) {
        d[static_cast<std::size_t>(w)] = dw;
        heap.emplace_back(dw, w);
        std::push_heap(heap.begin(), heap.end(), std::greater<>());
      }
    }
  }
  return d;
}

// Adds the mesh's vertices and faces to `out`; returns, per face, whether CGAL's halfedge mesh
// took it (it refuses faces that would make it non-manifold).
std::vector<char> add_to_cgal_mesh(const TriangleMesh& mesh, CgalMesh& out) {
  for (const Vec3& p : mesh.vertices) out.add_vertex(Kernel::Point_3(p.x(), p.y(), p.z()));
  std::vector<char> added;
  added.reserve(mesh.faces.size());
  for (const auto& f : mesh.faces) {
    const auto face = out.add_face(CgalMesh::Vertex_index(static_cast<unsigned>(f[0])),
                                   CgalMesh::Vertex_index(static_cast<unsigned>(f[1])),
                                   CgalMesh::Vertex_index(static_cast<unsigned>(f[2])));
    added.push_back(face != CgalMesh::null_face() ? 1 : 0);
  }
  return added;
}

bool build_cgal_mesh(const TriangleMesh& mesh, CgalMesh& out) {
  const std::vector<char> added = add_to_cgal_mesh(mesh, out);
  const auto failed = std::count(added.begin(), added.end(), 0);
  if (failed > 0) std::printf("  CGAL: %td faces could not be added (non-manifold)\n", failed);
  return failed == 0;
}

// The mesh without the faces CGAL's halfedge mesh cannot hold (where a scan is not a manifold),
// and without the vertices left on no face, so that both sides can run on the same mesh.
TriangleMesh cgal_compatible(const TriangleMesh& mesh, int* dropped) {
  CgalMesh scratch;
  const std::vector<char> added = add_to_cgal_mesh(mesh, scratch);
  TriangleMesh out;
  std::vector<int> index(mesh.vertices.size(), -1);
  *dropped = 0;
  for (std::size_t f = 0; f < mesh.faces.size(); ++f) {
    if (added[f] == 0) {
      ++*dropped;
      continue;
    }
    headspa::geometry::Face kept{};
    for (std::size_t k = 0; k < 3; ++k) {
      int& i = index[static_cast<std::size_t>(mesh.faces[f][k])];
      if (i < 0) {
        i = static_cast<int>(out.vertices.size());
        out.vertices.push_back(mesh.vertices[static_cast<std::size_t>(mesh.faces[f][k])]);
      }
      kept[k] = i;
    }
    out.faces.push_back(kept);
  }
  return out;
}

// The floor of the precompute on the own-Cholesky path. Both numeric factorisations need the
// whole AMD ordering first (SuiteSparse's AMD hands it out only when it returns), and the two
// cores share them, so no precompute of that path can finish before the ordering plus one
// factorisation's time. Times both, each after a CGAL precompute as in the pairs, on the heat
// system M + t L (the M-matrix heat step's matrix) with the graph built beforehand; prints them
// beside CGAL's precompute divided by 4, the target's budget.
void print_precompute_floor(const TriangleMesh& mesh, const CgalMesh& cm, int pairs) {
  namespace g = headspa::geometry;
  namespace d = headspa::geometry::detail;
  const Eigen::SparseMatrix<double> laplacian = g::cotan_laplacian(mesh);
  const Eigen::VectorXd mass = g::lumped_mass(mesh);
  const double h = g::mean_edge_length(mesh);
  const double t = h * h;
  d::SymmetricGraph graph;
  graph.n = static_cast<int>(laplacian.cols());
  graph.start.push_back(0);
  std::vector<double> diagonal(static_cast<std::size_t>(graph.n)), off_diagonal;
  for (int v = 0; v < graph.n; ++v) {
    double rest = 0.0;
    for (Eigen::SparseMatrix<double>::InnerIterator it(laplacian, v); it; ++it) {
      if (it.index() == v) continue;
      graph.index.push_back(static_cast<int>(it.index()));
      off_diagonal.push_back(t * std::min(it.value(), 0.0));
      rest -= off_diagonal.back();
    }
    graph.start.push_back(static_cast<int>(graph.index.size()));
    diagonal[static_cast<std::size_t>(v)] = mass[v] + rest;
  }
  std::vector<double> cgal_times, order_times, factor_times;
  for (int i = 0; i < pairs; ++i) {
    cgal_times.push_back(seconds([&] { CgalHeat heat(cm); }));
    d::SmallCholeskyAnalyser analyser(graph);
    order_times.push_back(seconds([&] { analyser.order(); }));
    analyser.tree();
    analyser.lower_triangle();
    analyser.supernodes();
    analyser.rows(0);
    const d::SmallCholeskyAnalysis analysis = analyser.take();
    d::SmallCholeskyWorkspace workspace(analysis);
    std::vector<double> values(static_cast<std::size_t>(analysis.value_count()) +
                               d::kSupernodePadding);
    std::vector<double> ranges(2 * static_cast<std::size_t>(analysis.nsuper()));
    cgal_times.push_back(seconds([&] { CgalHeat heat(cm); }));
    bool ok = true;
    factor_times.push_back(seconds([&] {
      ok = d::factor_small_cholesky(analysis, diagonal, off_diagonal, workspace, values.data(),
                                    ranges);
    }));
    if (!ok) throw std::runtime_error("the heat system did not factor");
  }
  const double order = median(order_times), factor = median(factor_times);
  std::printf(
      "  floor of headspa's precompute: AMD ordering %.2f ms + one factorisation %.2f ms = %.2f ms"
      " (each after a CGAL precompute, medians of %d); CGAL's precompute / 4 = %.2f ms\n",
      1e3 * order, 1e3 * factor, 1e3 * (order + factor), pairs, 1e3 * median(cgal_times) / 4.0);
}

void bench_mesh(const std::string& name, const TriangleMesh& mesh) {
  namespace g = headspa::geometry;
  std::printf("-- %s: %zu vertices, %zu faces, mean edge %.2f mm\n", name.c_str(),
              mesh.vertex_count(), mesh.face_count(), 1e3 * g::mean_edge_length(mesh));
  const int reps = 5;
  const int source = static_cast<int>(mesh.vertex_count() / 3);

  // headspa: precompute (Laplacian, mass, analysis, factorisations) and one solve.
  g::HeatGeodesicOptions options;
  const double our_pre = median_of(reps, [&] { g::HeatGeodesicSolver s(mesh, options); });
  g::HeatGeodesicSolver solver(mesh, options);
  Eigen::VectorXd ours;
  solver.distance(std::span<const int>(&source, 1), ours);
  std::vector<double> solve_times;
  for (int i = 0; i < 3 * reps; ++i) {
    const int s = (source + 7919 * i) % static_cast<int>(mesh.vertex_count());
    solve_times.push_back(seconds([&] { solver.distance(std::span<const int>(&s, 1), ours); }));
  }
  const double our_solve = median(solve_times);
  solver.distance(std::span<const int>(&source, 1), ours);
  const g::HeatPrecomputeReport& pr = solver.precompute_report();
  std::printf(
      "  headspa heat method (%s, %d numeric factorisation(s), factor nnz %.2fM, stored as "
      "floats: heat %.0f%%, Poisson %.0f%%):\n",
      options.poisson == g::HeatPoissonMethod::kSecondFactor ? "kSecondFactor" : "kSharedFactor",
      pr.numeric_factorisations, 1e-6 * pr.factor_nonzeros, 100.0 * pr.heat_single_fraction,
      100.0 * pr.poisson_single_fraction);
  std::printf(
      "    precompute %8.1f ms (analysis %.1f ms, numeric %.1f ms, packing %.1f ms)   solve %7.2f "
      "ms\n",
      1e3 * our_pre, 1e3 * pr.analyse_seconds, 1e3 * pr.factorise_seconds, 1e3 * pr.pack_seconds,
      1e3 * our_solve);
  // The same precompute on one thread, as Eigen's is: the two factorisations one after the
  // other (the solver runs CHOLMOD's OpenMP regions and OpenBLAS on one thread either way).
  double our_pre_one_thread = 0.0;
  {
    g::HeatGeodesicOptions sequential = options;
    sequential.concurrent_factorisations = false;
    our_pre_one_thread = median_of(reps, [&] { g::HeatGeodesicSolver s(mesh, sequential); });
    std::printf("    precompute on one thread %8.1f ms (the factorisations one after the other)\n",
                1e3 * our_pre_one_thread);
  }

  // The strict single-numeric-factor variant.
  {
    g::HeatGeodesicOptions shared;
    shared.poisson = g::HeatPoissonMethod::kSharedFactor;
    const double pre = median_of(3, [&] { g::HeatGeodesicSolver s(mesh, shared); });
    g::HeatGeodesicSolver s(mesh, shared);
    Eigen::VectorXd d;
    const double solve = median_of(3, [&] { s.distance(std::span<const int>(&source, 1), d); });
    std::printf(
        "  headspa kSharedFactor (1 numeric factorisation, PCG Poisson):\n"
        "    precompute %8.1f ms   solve %7.2f ms (%d PCG iterations)   max |diff| %.2e m\n",
        1e3 * pre, 1e3 * solve, s.last_solve_report().poisson_iterations,
        (d - ours).cwiseAbs().maxCoeff());
  }

  // CGAL Heat_method_3 on the same vertices and faces.
  CgalMesh cm;
  if (build_cgal_mesh(mesh, cm)) {
    // Precomputes in pairs too, headspa's then CGAL's, for the same reason as the solves below:
    // the ratio is the median of the pairs' ratios (more pairs where they are quick).
    const int pre_pairs = mesh.vertex_count() > 50000 ? reps : 8 * reps + 1;
    std::vector<double> cgal_pre_times, pre_ours, pre_ratios;
    for (int i = 0; i < pre_pairs; ++i) {
      const double t_ours = seconds([&] { g::HeatGeodesicSolver s(mesh, options); });
      const double t_cgal = seconds([&] { CgalHeat h(cm); });
      pre_ours.push_back(t_ours);
      cgal_pre_times.push_back(t_cgal);
      pre_ratios.push_back(t_cgal / t_ours);
    }
    const double cgal_pre = median(cgal_pre_times);
    CgalHeat hm(cm);
    auto dist = cm.add_property_map<CgalMesh::Vertex_index, double>("v:distance", 0.0).first;
    // Solves in pairs, headspa's then CGAL's from the same source, so that each pair meets the
    // same load on a shared machine: the ratio is the median of the pairs' ratios.
    std::vector<double> cgal_times, pair_ours, pair_ratios;
    for (int i = 0; i < 8 * reps + 1; ++i) {
      const int s = (source + 7919 * i) % static_cast<int>(mesh.vertex_count());
      const double t_ours = seconds([&] { solver.distance(std::span<const int>(&s, 1), ours); });
      const double t_cgal = seconds([&] {
        hm.clear_sources();
        hm.add_source(CgalMesh::Vertex_index(static_cast<unsigned>(s)));
        hm.estimate_geodesic_distances(dist);
      });
      pair_ours.push_back(t_ours);
      cgal_times.push_back(t_cgal);
      pair_ratios.push_back(t_cgal / t_ours);
    }
    const double cgal_solve = median(cgal_times);
    solver.distance(std::span<const int>(&source, 1), ours);
    hm.clear_sources();
    hm.add_source(CgalMesh::Vertex_index(static_cast<unsigned>(source)));
    hm.estimate_geodesic_distances(dist);
    double max_diff = 0.0, max_d = 0.0, ours_far = 0.0, cgal_far = 0.0, graph_far = 0.0;
    const std::vector<double> graph = edge_dijkstra(mesh, source);
    for (std::size_t v = 0; v < mesh.vertex_count(); ++v) {
      const double c = dist[CgalMesh::Vertex_index(static_cast<unsigned>(v))];
      max_diff = std::max(max_diff, std::abs(c - ours[static_cast<Eigen::Index>(v)]));
      max_d = std::max(max_d, c);
      if (std::isfinite(graph[v])) {
        ours_far = std::max(ours_far, ours[static_cast<Eigen::Index>(v)]);
        cgal_far = std::max(cgal_far, c);
        graph_far = std::max(graph_far, graph[v]);
      }
    }
    std::printf(
        "  farthest vertex: headspa %.1f mm, CGAL %.1f mm, edge-graph Dijkstra %.1f mm "
        "(an upper bound)\n",
        1e3 * ours_far, 1e3 * cgal_far, 1e3 * graph_far);
    std::printf(
        "  CGAL Heat_method_3 (Direct, SimplicialLDLT):\n"
        "    precompute %8.1f ms (headspa %.1f ms in the same %zu pairs)   solve %7.2f ms (headspa "
        "%.2f ms in the same %zu pairs)\n",
        1e3 * cgal_pre, 1e3 * median(pre_ours), pre_ratios.size(), 1e3 * cgal_solve,
        1e3 * median(pair_ours), pair_ratios.size());
    std::printf(
        "  ratio CGAL/headspa (medians of the pairs' ratios): precompute %.2fx (%.2fx on one "
        "thread, unpaired)   solve %.2fx   (target >= 4x each)\n",
        median(pre_ratios), cgal_pre / our_pre_one_thread, median(pair_ratios));
    std::printf(
        "  (same mesh and t = h^2; precompute: both constructors with both factorisations; solve:"
        " heat step to shifted distance, one source)\n");
    std::printf("  max |headspa - CGAL| = %.3f%% of the largest distance\n",
                100.0 * max_diff / std::max(max_d, 1e-300));
    if (pr.own_factorisation) print_precompute_floor(mesh, cm, pre_pairs);
  }

  // Log map per 3 cm patch, centred on spread-out vertices.
  {
    const double lap = median_of(reps, [&] { (void)g::cotan_laplacian(mesh); });
    std::printf("  cotan Laplacian assembly %.1f ms\n", 1e3 * lap);
    const g::LogMap log_map(mesh);
    g::LogMapPatch patch;
    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> pick(0, static_cast<int>(mesh.vertex_count()) - 1);
    std::vector<double> times;
    std::vector<double> sizes;
    for (int i = 0; i < 300; ++i) {
      g::LogMapRequest request;
      request.centre = log_map.vertex_point(pick(rng));
      request.radius_m = 0.03;
      times.push_back(seconds([&] { log_map.compute(request, patch); }));
      sizes.push_back(static_cast<double>(patch.vertices().size()));
    }
    std::vector<double> exp_times;
    for (int i = 0; i < 200; ++i) {
      const double a = 0.1 * i;
      const Eigen::Vector2d uv(0.02 * std::cos(a), 0.02 * std::sin(a));
      exp_times.push_back(seconds([&] { (void)patch.exp(uv); }));
    }
    std::printf(
        "  log map, 3 cm patch: %.3f ms per patch (median of 300; %.0f vertices per patch)"
        "   target <= 1 ms;  exp %.1f us per point\n",
        1e3 * median(times), median(sizes), 1e6 * median(exp_times));
  }

  // Surface queries near the surface.
  {
    const double build = median_of(3, [&] { g::SurfaceQuery q(mesh); });
    const g::SurfaceQuery query(mesh);
    std::mt19937 rng(7);
    std::normal_distribution<double> offset(0.0, 0.005);
    std::vector<Vec3> points;
    for (int i = 0; i < 20000; ++i) {
      const Vec3& p = mesh.vertices[static_cast<std::size_t>(rng() % mesh.vertex_count())];
      points.emplace_back(p + Vec3(offset(rng), offset(rng), offset(rng)));
    }
    double sink = 0.0;
    const double closest = median_of(reps, [&] {
      for (const Vec3& p : points) sink += query.closest_point(p)->distance;
    });
    const double signed_d = median_of(reps, [&] {
      for (const Vec3& p : points) sink += query.signed_distance(p);
    });
    std::printf(
        "  surface query: build %.1f ms, closest point %.2f us, signed distance %.2f us"
        " (checksum %.3g)\n",
        1e3 * build, 1e6 * closest / static_cast<double>(points.size()),
        1e6 * signed_d / static_cast<double>(points.size()), sink);
  }
}

}  // namespace

int main() {
  try {
#if HEADSPA_BENCH_DEFAULT_HEAD
    headspa::anatomy::DefaultHeadOptions head_options;
    head_options.target_vertices = 100000;
    const TriangleMesh head = headspa::anatomy::make_default_head(head_options).mesh;
    bench_mesh("default head (make_default_head, target 100k vertices)", head);
#else
    bench_mesh("head-like ellipsoid stand-in (default head not built)", head_like_ellipsoid(100));
#endif
    const std::string scan =
        std::string(HEADSPA_SHARED_DATA) + "/heads/lee_perry_smith/lee_perry_smith.obj";
    if (!std::filesystem::exists(scan)) {
      std::printf("-- Lee Perry-Smith scan: skipped (%s not found)\n", scan.c_str());
      return 0;
    }
    TriangleMesh lps = headspa::geometry::load_mesh_file(scan);
    headspa::geometry::clean_mesh(lps);
    // The file is in arbitrary units: scale it so the ear-to-ear extent (x) is 16 cm.
    const auto box = headspa::geometry::bounding_box(lps);
    headspa::geometry::transform(lps, Eigen::Matrix3d::Identity(), 0.16 / box.extent().x(),
                                 Vec3::Zero());
    // CGAL's Surface_mesh refuses the scan's few non-manifold faces; both sides run without them.
    int dropped = 0;
    lps = cgal_compatible(lps, &dropped);
    bench_mesh("Lee Perry-Smith scan (welded; x extent scaled to 0.16 m; " +
                   std::to_string(dropped) + " non-manifold faces left out for CGAL)",
               lps);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "bench_geometry: %s\n", e.what());
    return 1;
  }
  return 0;
}
