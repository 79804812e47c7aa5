// Geodesic distance on a triangle mesh by the heat method (Crane, Weischedel and Wardetzky,
// "Geodesics in Heat", ACM TOG 2013): one sparse Cholesky analysis shared by both of its linear
// systems, factored once per mesh and reused by every solve.
//
// Algorithm, for a source set S on a mesh with cotangent Laplacian L (positive semi-definite,
// see laplacian.hpp), lumped mass M and time step t = time_factor * h^2 (h = mean edge length):
//   1. heat step:    (M + t L) u = delta_S          (u: heat after one implicit Euler step)
//   2. direction:    X = -grad u / |grad u| on every face
//   3. Poisson step: L phi = b,  b_i = sum_f area_f <X_f, grad psi_i>   (b = -div X)
//   4. shift:        distance = phi - phi(S), clamped at 0.
//
// Factorisation. The fill-reducing ordering (AMD) and the symbolic analysis are computed once,
// for the common sparsity pattern of both systems, and A = M + t L is factored on it:
//   - meshes of at most small_mesh_vertices vertices (150000 by default) by headspa's own
//     sparse Cholesky (src/geometry/small_cholesky.hpp: SuiteSparse's AMD, whose assembly tree
//     gives the supernodes and column counts, then its own row structure, relaxed supernodes
//     and a left-looking supernodal LL^T with register-blocked products, no BLAS). On the Lee
//     Perry-Smith scan (8839 vertices) CHOLMOD's analysis took 5 ms and each factorisation
//     6.5-8 ms, most of it fixed costs per supernode, for 4.4M multiply-adds; the own analysis
//     takes about 3 ms (AMD 2.3-2.4 of it) and a factorisation about 1.1-1.3 ms. The calling
//     thread and a worker split the work: the calling thread builds the graph AMD needs (without
//     the slots of the face edges) and orders it; meanwhile the worker builds the graph again
//     with the slots and the Laplacian, mass and face data on them. Then whichever is free takes
//     the lower triangle of the pattern while the other builds the upper one, they share the
//     supernodes' row walks, and each factors one system; the first to finish builds the
//     solves' structure and each packs its own factor. Every step is sequential within itself,
//     so the factors are the same bits whichever thread makes them, side by side or in turn
//     (concurrent_factorisations). The factors are made in 2 MB pages and packed to floats in
//     place (fresh 4 KB pages cost a fault of about 2 us each on the development machine, 1 ms
//     a factor of the scan). Measured on default heads, icospheres and the scan, the own path's
//     precompute took half of CHOLMOD's or less at every size tried up to 150k vertices (21
//     against 55 ms at 29k, 126-133 against 267-308 ms at 101k, 458-470 against 822-838 ms at
//     150k), its solves the same time or less; at 199k the two were about even, so the
//     threshold keeps larger meshes on CHOLMOD;
//   - larger meshes by CHOLMOD (supernodal LL^T, BLAS from OpenBLAS).
// kSharedFactor always uses CHOLMOD (its conjugate gradients solve with CHOLMOD's factor).
// The heat step must be a direct solve with A: far from the source u is as small as
// exp(-d / sqrt(t)) and only a direct solve keeps the direction of its gradient right there. No
// single numeric factor solves the Poisson step both exactly and cheaply: L = (A - M) / t
// differs from A by a full-rank term, and A^{-1} damps exactly the smooth modes a distance is
// made of. HeatGeodesicOptions::poisson chooses:
//   - kSecondFactor (default): a second numeric factorisation, of L + eps M
//     (eps = 1e-10 * 4 pi / area, which changes phi by a relative 1e-10), on the same analysis.
//     One direct solve per Poisson step. Measured on an icosphere of 163842 vertices: the
//     precompute is 1.3-2x that of kSharedFactor, the solve 60-100x faster.
//   - kSharedFactor: a single numeric factor. The Poisson step runs preconditioned conjugate
//     gradients on L phi = b with A^{-1} as preconditioner, to poisson_tolerance (relative
//     residual; the right-hand side is smooth, so a norm-wise test is the right stopping rule).
//     The preconditioned spectrum is t l / (1 + t l) over the eigenvalues l of M^{-1} L, so the
//     iteration count grows like diameter / h: 97 iterations at 40962 vertices, 181 at 163842
//     (unit-sphere icospheres, tolerance 1e-7). Exact and the smallest memory, but each
//     iteration costs one solve with the factor; for meshes that are solved from once or twice.
// Solves (kSecondFactor). The triangular solves are headspa's own
// (src/geometry/supernodal_solve.hpp), on packed copies of either path's supernodal factors. A
// solve is bound by memory traffic: on the 100k-vertex default head each factor holds 8.0M values
// in CHOLMOD's layout, and a solve streams them three times, not four: the heat step's right-hand
// side is one vertex (or one face), so its forward solve visits only the supernodes on that
// column's path to the root of the elimination tree; its backward solve and both Poisson solves
// are full passes. To stream less and faster:
//   - the values are copied once, packed (the upper triangles of the diagonal blocks dropped:
//     6.8M values read per pass instead of 8.0M), and CHOLMOD's factors are freed;
//   - a supernode whose entries fit float's range after scaling by a power of two is stored as
//     floats (single_values): all of the Poisson factor and 83% of the heat factor's entries on
//     that head. The heat factor's fill entries carry the heat's exp(-d / sqrt(t)) decay and
//     span up to 107 decades within a column; the supernodes spanning more than 2^240 stay
//     double, so no entry is flushed to zero. Rounding the entries to float moves distances by
//     at most 3 um on that head and on the Lee Perry-Smith scan (1.7e-5 of the largest
//     distance): the heat step is an M-matrix solve with no cancellation and only its
//     gradient's direction is used, and the Poisson factor's near-singular mode is the constant,
//     which the shift removes. The arithmetic stays double;
//   - the divergence step reads each face as one 24-byte record: its corners and the face laid
//     flat in its plane, three lengths as floats (40 bytes with doubles, single_values off).
//     Area times a hat function's gradient is the opposite edge turned a quarter turn and
//     halved, and the step needs only inner products of those, which the flat face keeps; the
//     gradient is formed from differences of u across the face. Against area-weighted
//     gradients in 3-D (48 bytes a face) the step itself took 0.78-1.51 ms against 1.27-2.35 ms
//     on the 100k-vertex head (one thread, medians of 60 alternating calls, two runs), and
//     solves on the Lee Perry-Smith scan 11% less back to back (0.370 against 0.431 ms, medians
//     of 10 alternating runs), the same after a CGAL solve;
//   - supernodes are merged with half the explicit zeros CHOLMOD allows by default;
//   - each full pass runs on two threads (parallel_solves), over two halves of the elimination
//     tree cut once at precompute, and the largest supernodes at the top of the tree by blocks
//     of columns, their rows split between the threads; each thread asks for the next 16 KB of
//     values ahead; the divergence of the heat step's gradient runs on two halves of the faces.
//     The distances are the same bits with one thread or two (precompute_report().solve_threads
//     says which ran).
//   - a forward pass subtracts four columns at a time from the rows below them (one load and
//     store of each row's value per four columns; about 4% off a solve);
//   - a backward pass sums four columns at a time too: each block of four columns, from the
//     last, over every row below the block (the rest of the diagonal block, solved already, and
//     the rows below the supernode lie contiguous in each column), then the block's small
//     triangle. Where the CPU has AVX2 (vector_solves) the four columns' sums run side by side,
//     each column's four partial sums in one register, and the four columns of a forward pass
//     update four rows a step; multiplications and additions stay separate instructions (no
//     FMA), so the bits are those of the portable kernels. Each column's reciprocal diagonal is
//     kept in double and multiplied by: a division sat on every column's critical path. On a
//     pass of one thread over CHOLMOD's factor of that head's heat system (a probe): forward
//     4.2-4.6 to 3.0-3.4 ms, backward 6.2-6.9 to 3.6-4.3 ms; on the Lee Perry-Smith scan 0.133
//     to 0.088 ms and 0.171 to 0.093 ms;
//   - everything between the two solves stays in the factor's pivot order.
// Together: on that head a solve takes about 6.5-8 ms (9-12 ms before the four-column kernels)
// against 16-19 ms with double values and 31-36 ms for the single-threaded solve straight on
// CHOLMOD's layout.
// Tried and left out, measured on that head:
//   - floats throughout, unscaled: float flushes the heat factor's small fill entries to zero
//     and distances moved by up to 8 mm (2.5%).
//   - laying each factor out in the order its heaviest pass visits the supernodes (descending
//     for a backward pass): with the 16 KB lookahead, no faster within the noise (2%).
//   - METIS instead of AMD: 23% fewer factor values and half the flops, but CHOLMOD's METIS
//     ordering alone takes 0.5 s, more than it saves in the factorisations. A geometric nested
//     dissection (median planes, CAMD inside the parts) analysed in about the same time as AMD
//     but saved only 6-9% of the values. Choosing each cut among the three axes by the smaller
//     separator saved 13-15% of the values and 36% of the flops, and solves on one thread took
//     about 9% less time, but the cuts cost 60-70 ms (35 ms along the principal axis, which
//     saves less) and the analysis came to 90-130 ms against AMD's 30 ms, more than the
//     factorisations saved (about 30 ms).
//   - still fewer explicit zeros (zrelax 0.2, 0.02, 0.01): no faster to solve within the
//     noise, 25% slower factorisations; more of them (0.8, 0.2-0.4, 0.1-0.2): slower solves.
//   - looking 32 or 64 KB ahead instead of 16 KB (no faster within the noise, before and after
//     the four-column kernels); AVX2 or AVX-512 builds of the one-column kernels (no faster:
//     each column's sum is one chain of dependent additions, whatever the vector width); the
//     backward pass's sums below the diagonal block four columns at a time in portable code,
//     with a division per column still on the critical path (same bits, 5% slower);
//   - with the four-column kernels: asking for each supernode's values from its end in a
//     backward pass, the order its blocks are now solved in (a pass of one thread 3.9-4.6 ms
//     against 3.6-4.3 ms); an AVX2 sum for the first ncol % 4 columns, which are solved one at
//     a time (no change within the noise: scan solves 0.216-0.260 against 0.211-0.254 ms); the
//     divergence step four faces at a time with AVX2, square roots and quotients side by side
//     (same bits; scan solves 0.258-0.319 against 0.258-0.278 ms: its time is in the reads of
//     u and the additions into the vertices, not the arithmetic).
// Tried and left out for the small-mesh path, measured on the Lee Perry-Smith scan:
//   - its own single-threaded solves on double factors: faster when run back to back (0.39 ms),
//     but 0.83-0.92 ms in pairs with CGAL's solve (cold caches), where the two-thread solves on
//     floats above take 0.44-0.45 ms;
//   - a first cut of the mesh by a median plane, with AMD on the halves side by side: 14-39M
//     flops a factorisation against AMD's 8.9M; AMD on a graph coarsened by matching neighbours
//     (half the ordering time): 13-15M flops;
//   - AMD without aggressive absorption, or the vertices relabelled first (breadth first, by a
//     coordinate, at random): the same time within the noise; other relaxation of the
//     supernodes (more or fewer explicit zeros): the same factorisation and solve times.
//   - the median-plane cut again, but with each half ordered by CAMD together with the
//     separator (held last), so that the halves' fill into the separator is counted: 11.8M
//     flops for the best of 18 cuts (3 axes, 3 principal axes, 3 split fractions; separator of
//     142 vertices) against AMD's 8.9M, each half's CAMD taking 1.6-1.8 ms against AMD's 3.4 ms
//     for the whole; with the worker's values moved after the ordering that saves under 0.4 ms
//     and the factorisations lose about as much;
//   - waking the solves' second thread at the start of a solve, ahead of the serial heat
//     forward pass, so that its wake-up (46 us median after 2 ms idle, 78 us after 5 ms, on the
//     development machine) overlaps that pass, with or without each thread then prefetching its
//     share of both factors: 2-4% faster after pauses of 1-5 ms between solves and no change
//     within the noise in the bench's pairs with CGAL. The pairs' penalty (0.44-0.48 ms back to
//     back, 0.67-0.95 ms in pairs) is mostly the second core going idle during CGAL's solve:
//     after a 2 ms busy pause on the calling thread a solve took 0.62-0.70 ms, 0.46-0.54 ms when
//     the second thread was kept spinning through the pause, which would hold a core busy
//     between calls;
//   - packing the factors to floats in place a chunk of 32 values at a time instead of copying
//     each supernode's values out first: slower (0.35-0.42 against 0.24-0.34 ms a factor);
//   - where a solve right after a CGAL solve loses its time: the heat step's backward pass, the
//     first full pass over the heat factor, took 200-340 us against 95-140 us back to back,
//     both threads' halves 1.5-2 times slower, while the Poisson passes lost 0-20 us; waking
//     the worker cost the calling thread 17-26 us and the worker started 40-55 us later.
//     Keeping the worker spinning for 5 ms after each task (as OpenMP runtimes do) helped after
//     a 2 ms busy pause (483-514 against 558-579 us) but not after a CGAL solve (627-737
//     against 634-715 us), and a spinning thread competes with the controller on two cores;
//     asking for each supernode's row indices along with its values: no change (ratios 1.01
//     back to back, 1.04 after a CGAL solve, medians of 10 alternating runs); solving on one
//     thread from the float factors: slower back to back (0.61-0.97 ms) and after a CGAL solve
//     (0.85-1.09 ms) than on two (0.38-0.47 and 0.73-0.84 ms);
//   - a full geometric nested dissection (each part cut at the median of its longest extent,
//     the smaller side of the cut as separator, parts of 32-1024 vertices ordered by AMD or
//     left as they are): 48-127M flops a factorisation against AMD's 8.9M, for orderings of
//     0.42-3.5 ms against AMD's 2.6 ms;
//   - an independent set of vertices of degree 6 or less eliminated first (as multiple minimum
//     degree does) and AMD on the graph left, with the cliques they make: AMD took 2.42 against
//     3.09 ms and the factor 9.15M flops against 8.88M, but building that graph took 0.45 ms;
//     degrees up to 4, 5, 7 or 8, or two or three rounds, did no better;
//   - the matrix's values gathered into pivot order before each factorisation, so that it
//     reads them in sequence rather than through the order and the graph's slots: the
//     factorisations took 1276-1292 against 1287-1318 us, within the noise;
//   - packing each supernode as soon as the factorisation is done with it (its values still in
//     the cache), into float and double arrays at fixed offsets, instead of a pass over the
//     factor afterwards: the calling thread's factorisation and packing took 1501 against
//     1515 us, and the whole constructor no less (median ratio 1.007 over 8 alternating sets of
//     201 constructions): the packing's work moves into the factorisation, and the floats go to
//     lines not yet in the cache instead of over the values;
//   - the worker spinning (up to 2^16 pauses) instead of sleeping while it waits for the
//     ordering and the supernodes, so that its core is still running when the Poisson
//     factorisation starts: precomputes in pairs with CGAL's, alternating with and without,
//     came to median ratios of 0.98, 0.98 and 1.03 (three runs of 201 constructions), no gain.
// A solve after a pause loses most of its time to the pause's length, whatever the pause did
// (a probe alternating the pauses in one process, the same solver, two runs). On one thread:
// 0.45-0.55 ms back to back; 0.50-0.64 ms after an 8 MB sweep (0.3 ms); 0.53-0.66 ms after
// 1.7 ms of busy waiting on the clock; 0.56-0.68 ms after 1.7 ms of sorting 1000 random
// integers (much branching, 4 KB of data); 0.58-0.72 ms after a CGAL solve (1.9-2.1 ms);
// 0.61-0.76 ms after sorting 20000 (6.1-6.6 ms). On two threads: 0.33-0.38, 0.39-0.43,
// 0.47-0.53, 0.52-0.55, 0.52-0.57 and 0.62-0.63 ms. Fewer bytes in the factors would win back
// only the small part that the data accounts for.
// Where the scan's precompute goes now (a probe's timeline of 101 constructions, calling
// thread): checks and the worker's start 40-50 us, the graph for AMD 205-215 us, AMD 2.39-2.43
// ms, the upper triangle 80-95 us, the supernodes 125-130 us, the row walks 190-200 us, the
// heat factorisation 1.28-1.44 ms and its packing 0.22-0.29 ms, the solves' thread 30-55 us.
// The factorisation alone on one thread takes 1.09-1.14 ms with its data in the cache and
// 1.35-1.43 ms after a 64 MB sweep; two side by side on the two cores take no longer each, so
// the cores are not two threads of one. In pairs with CGAL's precompute the worker, whose core
// sat idle through CGAL's, factors the Poisson system in 1.6-2.2 ms against the calling
// thread's 1.4-1.6 ms, and the calling thread waits up to 0.4 ms for it at the end.
// On the unit sphere (icosphere, 40962 vertices) the distance is within 1% of the great-circle
// distance with either method (tests/geometry/heat_geodesic_test.cpp).
//
// Obtuse triangles. Where the angles opposite an edge sum to more than pi the cotan weight is
// negative, M + t L is not an M-matrix and the heat u can go negative (the discrete maximum
// principle fails); the direction -grad u then points the wrong way far from the source. On the
// 100k default head (30% of corners obtuse) 9141 vertices got u < 0 and the farthest distance came
// out 269 mm with t = h^2 but 336 mm with t = 4 h^2 (a plain Eigen implementation of the same
// steps gives the same 269 mm). With m_matrix_heat_step (default) the heat step uses L with its
// positive off-diagonal entries set to zero and the diagonal rebalanced, which keeps u > 0: the
// same head then gives 313, 318 and 323 mm for t = h^2, 4 h^2, 16 h^2 (CGAL's Heat_method_3
// gives 317 mm). Only the heat step changes (it only supplies the direction field); the Poisson
// step keeps the exact L, and meshes without obtuse triangles (the test icospheres) are
// unaffected. The cost: on a randomly jittered unit icosphere (163842 vertices, 13% / 22% of
// corners obtuse) the mean relative error grows from 1.05% / 0.43% to 1.9% / 4.5%; turn it off
// for such meshes. An intrinsic Delaunay Laplacian would fix both and is not implemented.
//
// Boundaries (scans are open at the neck): Neumann only, the natural boundary condition of L.
// Crane et al. average the Neumann and the Dirichlet solutions of step 1; the Dirichlet problem
// is a different matrix and would need a second factorisation, so it is left out. Near a
// boundary the isolines meet it at right angles, which bends them by a few per cent within a
// few mean edge lengths of the boundary; elsewhere the result is unchanged.
//
// Vertices in a connected component without a source get +infinity. Faces of zero area carry no
// gradient.
//
// Example (many sources on one mesh):
//   HeatGeodesicSolver solver(mesh);                  // factorises once
//   Eigen::VectorXd d;
//   solver.distance(std::array{nasion}, d);           // reuses all buffers
//   const Eigen::VectorXd d2 = solver.distance(SurfacePoint{face, {0.2, 0.3, 0.5}});
// One-off:
//   const Eigen::VectorXd d = heat_geodesic_distance(mesh, vertex);
#pragma once

#include "headspa/geometry/mesh.hpp"
#include "headspa/geometry/surface_point.hpp"

#include <Eigen/Core>

#include <memory>
#include <span>
#include <string>

namespace headspa::geometry {

// How the Poisson step uses the single factorisation (see the file comment).
enum class HeatPoissonMethod {
  kSecondFactor,  // a second numeric factor of L + eps M on the shared analysis (default)
  kSharedFactor,  // PCG on L with (M + t L)^{-1} as preconditioner: one numeric factor
};

// Options of the heat method.
struct HeatGeodesicOptions {
  // t = time_factor * (mean edge length)^2. 1 is the value recommended by Crane et al.
  double time_factor = 1.0;
  HeatPoissonMethod poisson = HeatPoissonMethod::kSecondFactor;
  // Heat step with only the non-positive off-diagonal entries of L, an M-matrix (see the file
  // comment on obtuse triangles).
  bool m_matrix_heat_step = true;
  // kSecondFactor: factor the two systems side by side on two threads, rather than in turn
  // (and copy the two factors for the solves side by side). Either way OpenBLAS is held to one
  // thread while they are factored (and restored after), so the factors are the same bits
  // whatever the machine's core count, and the OpenMP regions CHOLMOD opens while factoring
  // run on the factorising thread alone (OpenMP's max-active-levels, set per thread).
  bool concurrent_factorisations = true;
  // kSecondFactor: run each full triangular pass of a solve on two threads (on large meshes),
  // rather than on the calling thread alone. The distances are the same bits either way.
  bool parallel_solves = true;
  // kSecondFactor: run the triangular passes with AVX2 kernels where the CPU has AVX2 (x86-64),
  // rather than the portable ones. The distances are the same bits either way.
  bool vector_solves = true;
  // kSecondFactor: store the factors' supernodes as floats (scaled by a power of two) where
  // their entries fit float's range, halving the bytes a solve streams there; the arithmetic
  // stays double. Distances move by micrometres (supernodal_solve.hpp); false keeps doubles.
  bool single_values = true;
  // kSecondFactor: meshes of at most this many vertices are analysed and factored by headspa's
  // own sparse Cholesky (src/geometry/small_cholesky.hpp), larger ones by CHOLMOD (see the file
  // comment); 0 sends every mesh to CHOLMOD.
  int small_mesh_vertices = 150000;
  // kSharedFactor only: stop when |L phi - b| <= poisson_tolerance * |b|.
  double poisson_tolerance = 1e-7;
  // kSharedFactor only: at most this many conjugate-gradient iterations.
  int poisson_max_iterations = 1000;

  // False (with the reason in *why when why is not null) when a field is out of range.
  bool IsValid(std::string* why) const;
};

// What the precomputation did.
struct HeatPrecomputeReport {
  double time_step = 0.0;                // t (mesh units squared)
  double analyse_seconds = 0.0;          // ordering and supernodal analysis
  double factorise_seconds = 0.0;        // numeric factorisation(s)
  double pack_seconds = 0.0;             // kSecondFactor: copying the factors for headspa's solves
  double factor_nonzeros = 0.0;          // nonzeros of one Cholesky factor
  int numeric_factorisations = 0;        // 1 (kSharedFactor) or 2 (kSecondFactor)
  bool own_factorisation = false;        // factored by headspa's own Cholesky (a small mesh)
  int solve_threads = 1;                 // threads of a solve's full triangular passes
  bool vector_solves = false;            // kSecondFactor: the passes ran the AVX2 kernels
  double serial_fraction = 1.0;          // kSecondFactor: share of the factor solved by one thread
  double heat_single_fraction = 0.0;     // kSecondFactor: share of the heat factor as floats
  double poisson_single_fraction = 0.0;  // and of the Poisson factor
};

// What the last distance solve did.
struct HeatSolveReport {
  int poisson_iterations = 0;              // 0 for kSecondFactor (one direct solve)
  double poisson_relative_residual = 0.0;  // |L phi - b| / |b|
  bool converged = true;                   // false when the iteration cap was reached
};

// Heat-method geodesic distance with a precomputed factorisation, for many solves on one mesh.
// Construction analyses and factorises; every distance() call afterwards is two triangular
// solves (plus the Poisson iterations of kSharedFactor) and reuses preallocated buffers: a call
// that writes into an existing vector of the right size allocates nothing on the heap in
// headspa's code (kSharedFactor: CHOLMOD's solve reuses its dense workspaces too).
// Not thread-safe: a solver owns its buffers; use one solver per thread.
class HeatGeodesicSolver {
 public:
  // Analyses and factorises. Throws InputError when the options are invalid, the mesh has no
  // faces or a face refers to a missing vertex, or the factorisation fails (a degenerate mesh).
  explicit HeatGeodesicSolver(const TriangleMesh& mesh, const HeatGeodesicOptions& options = {});
  ~HeatGeodesicSolver();
  HeatGeodesicSolver(HeatGeodesicSolver&&) noexcept;
  HeatGeodesicSolver& operator=(HeatGeodesicSolver&&) noexcept;
  HeatGeodesicSolver(const HeatGeodesicSolver&) = delete;
  HeatGeodesicSolver& operator=(const HeatGeodesicSolver&) = delete;

  // Distance (mesh units) from one vertex to every vertex.
  Eigen::VectorXd distance(int source_vertex);
  // Distance to the nearest of several source vertices (at least one).
  Eigen::VectorXd distance(std::span<const int> source_vertices);
  // Distance from a point inside a face.
  Eigen::VectorXd distance(const SurfacePoint& source);

  // The same, writing into out (resized only when its size differs from the vertex count).
  void distance(std::span<const int> source_vertices, Eigen::VectorXd& out);
  void distance(const SurfacePoint& source, Eigen::VectorXd& out);

  int vertex_count() const noexcept;
  const HeatPrecomputeReport& precompute_report() const noexcept;
  const HeatSolveReport& last_solve_report() const noexcept;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// One-off: the heat-method distance from source_vertex to every vertex (precomputes and
// discards). Prefer HeatGeodesicSolver for more than one source set on the same mesh.
Eigen::VectorXd heat_geodesic_distance(const TriangleMesh& mesh, int source_vertex,
                                       const HeatGeodesicOptions& options = {});

}  // namespace headspa::geometry
