#include "headspa/geometry/heat_geodesic.hpp"

#include "headspa/core/error.hpp"
#include "headspa/geometry/laplacian.hpp"
#include "numerics_detail.hpp"
#include "small_cholesky.hpp"
#include "supernodal_solve.hpp"

#include <dlfcn.h>
#include <suitesparse/cholmod.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <exception>
#include <latch>
#include <limits>
#include <memory>
#include <mutex>
#include <numbers>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

namespace headspa::geometry {

bool HeatGeodesicOptions::IsValid(std::string* why) const {
  auto fail = [why](const char* message) {
    if (why != nullptr) *why = message;
    return false;
  };
  if (!(time_factor > 0.0) || !std::isfinite(time_factor)) {
    return fail("time_factor must be a finite number > 0");
  }
  if (!(poisson_tolerance > 0.0 && poisson_tolerance < 1.0)) {
    return fail("poisson_tolerance must lie in (0, 1)");
  }
  if (poisson_max_iterations < 1) return fail("poisson_max_iterations must be >= 1");
  if (small_mesh_vertices < 0) return fail("small_mesh_vertices must be >= 0");
  return true;
}

namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point start) {
  return std::chrono::duration<double>(Clock::now() - start).count();
}

// An integer setting of a library loaded with CHOLMOD, through its getter and setter when the
// library is there (looked up once; both null otherwise).
struct LibrarySetting {
  int (*get)() = nullptr;
  void (*set)(int) = nullptr;
  bool available() const { return get != nullptr && set != nullptr; }
};

LibrarySetting library_setting(const char* getter, const char* setter) {
  return {reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, getter)),
          reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, setter))};
}

// While alive, OpenBLAS (when it is the BLAS loaded) runs on one thread: the factors then do
// not depend on the machine's core count, and the two factorisations run side by side, one core
// each, instead of each asking for every core at once. The setting is the process's; the
// previous one is restored when the last holder goes; holders in several threads nest.
class OneBlasThread {
 public:
  OneBlasThread() {
    const std::lock_guard<std::mutex> lock(mutex());
    if (holders()++ == 0 && threads().available()) {
      saved() = threads().get();
      threads().set(1);
    }
  }
  ~OneBlasThread() {
    const std::lock_guard<std::mutex> lock(mutex());
    if (--holders() == 0 && threads().available() && saved() > 0) threads().set(saved());
  }
  OneBlasThread(const OneBlasThread&) = delete;
  OneBlasThread& operator=(const OneBlasThread&) = delete;

 private:
  static std::mutex& mutex() {
    static std::mutex m;
    return m;
  }
  static int& holders() {
    static int count = 0;
    return count;
  }
  static int& saved() {
    static int count = 0;
    return count;
  }
  static const LibrarySetting& threads() {
    static const LibrarySetting setting =
        library_setting("openblas_get_num_threads", "openblas_set_num_threads");
    return setting;
  }
};

// While alive, the OpenMP parallel regions that the calling thread opens run on that thread
// alone (its max-active-levels is 0). CHOLMOD's supernodal factorisation opens regions of a
// fixed team size inside its loop over the supernodes, to clear and copy; with the two
// factorisations running, one per core, the extra threads only wait for a core and wake each
// other. Serial regions took the two numeric factorisations of the 100k default head from
// 370-420 ms to 180-240 ms, and those of the Lee Perry-Smith scan from 19 to 11-14 ms.
// GCC's OpenMP keeps the setting per thread; where a runtime keeps one for the process, the
// guards still restore it correctly as long as they nest (the factorisations' guards do: the
// second thread's ends before the first's).
class SerialOpenMpRegions {
 public:
  SerialOpenMpRegions() {
    if (levels().available()) {
      saved_ = levels().get();
      levels().set(0);
    }
  }
  ~SerialOpenMpRegions() { end(); }
  // Restores the setting now rather than on destruction.
  void end() {
    if (saved_ >= 0) levels().set(saved_);
    saved_ = -1;
  }
  SerialOpenMpRegions(const SerialOpenMpRegions&) = delete;
  SerialOpenMpRegions& operator=(const SerialOpenMpRegions&) = delete;

 private:
  static const LibrarySetting& levels() {
    static const LibrarySetting setting =
        library_setting("omp_get_max_active_levels", "omp_set_max_active_levels");
    return setting;
  }
  int saved_ = -1;
};

}  // namespace

// A face for the divergence step of headspa's own solves: its corners as pivots and the face
// laid flat, in T: corner 0 at the origin, corner 1 at (a, 0), corner 2 at (b, c) with c > 0
// (flat = {a, b, c}; all zero for a face of zero area). The divergence needs only inner
// products of the face's edges, which any such placement keeps (flat_face).
template <class T>
struct PivotFace {
  std::array<int, 3> corner;
  std::array<T, 3> flat;
};

// {a, b, c} of a face with these corners (PivotFace), given |(p1 - p0) x (p2 - p0)|; all zero
// when that is zero.
std::array<double, 3> flat_face(const Vec3& p0, const Vec3& p1, const Vec3& p2, double twice_area) {
  const Vec3 e2 = p1 - p0;
  const double a = e2.norm();
  if (!(twice_area > 0.0) || !(a > 0.0)) return {0.0, 0.0, 0.0};
  return {a, (p2 - p0).dot(e2) / a, twice_area / a};
}

struct HeatGeodesicSolver::Impl {
  HeatGeodesicOptions options;
  int n = 0;
  std::vector<Face> faces;
  // Per face: area and the gradients of the three hat functions (constant on the face).
  std::vector<double> face_area;
  std::vector<std::array<Vec3, 3>> hat_gradient;
  // Connected components (by shared faces) and whether each holds a source in this solve.
  std::vector<int> component;
  int component_count = 0;
  std::vector<char> component_has_source;
  std::vector<double> component_shift;

  Eigen::SparseMatrix<double> laplacian;  // kSharedFactor: the CG operator
  cholmod_common common{};
  cholmod_factor* heat_factor = nullptr;     // M + t L
  cholmod_factor* poisson_factor = nullptr;  // L + eps M (kSecondFactor)
  // Dense buffers reused by every solve (CHOLMOD reallocates them only when too small).
  cholmod_dense* rhs = nullptr;
  cholmod_dense* solution = nullptr;
  cholmod_dense* work_y = nullptr;
  cholmod_dense* work_e = nullptr;
  // Frees what CHOLMOD holds (the factors, the dense buffers, the workspace) when the solver
  // goes, and when the constructor throws after starting CHOLMOD. Declared after what it
  // frees, so it runs first.
  struct CholmodRelease {
    explicit CholmodRelease(Impl* impl) : owner(impl) {}
    ~CholmodRelease();
    CholmodRelease(const CholmodRelease&) = delete;
    CholmodRelease& operator=(const CholmodRelease&) = delete;
    Impl* owner;
    bool started = false;
  };
  CholmodRelease cholmod_release{this};
  Eigen::VectorXd u, phi, b, r, z, p, q;
  // kSecondFactor: the structure of both factors for headspa's own triangular solves
  // (supernodal_solve.hpp).
  std::optional<detail::SupernodalStructure> structure;
  // kSecondFactor: packed copies of both factors' values (supernodal_solve.hpp), partly floats.
  detail::PackedFactor heat_values, poisson_values;
  std::optional<detail::SupernodalWorkspace> workspace;
  std::optional<detail::TaskPair> pair;  // the second thread of the full passes
  Eigen::VectorXd permuted;              // a right-hand side / solution in pivot order
  // kSecondFactor: the faces for the divergence step, in float when single_values is set.
  std::vector<PivotFace<float>> pivot_faces_single;
  std::vector<PivotFace<double>> pivot_faces_double;
  std::array<std::vector<double>, 2> half_divergence;  // per half of the faces, in pivot order
  std::vector<int> source_columns;  // pivots of the heat step's nonzero right-hand side

  HeatPrecomputeReport precompute;
  HeatSolveReport last;

  Impl(const TriangleMesh& mesh, const HeatGeodesicOptions& opts);
  ~Impl();
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // x = F^{-1} rhs for one of the factors; rhs and x are n-vectors.
  void solve(cholmod_factor* factor, const Eigen::VectorXd& in, Eigen::VectorXd& out);
  void poisson(Eigen::VectorXd& out);  // kSharedFactor
  // The heat step, Poisson step and shift; b holds the heat step's right-hand side, which is
  // zero off `support` (the source vertices or the source face's corners).
  void run(std::span<const int> support, Eigen::VectorXd& out);
  void heat_step_copied(std::span<const int> support);
  // kSecondFactor: run() with headspa's own solves, in pivot order.
  void run_copied(std::span<const int> support, Eigen::VectorXd& out);
  void find_components();
  // kSecondFactor on a small mesh: the precomputation with headspa's own Cholesky.
  void precompute_small(const TriangleMesh& mesh);
  // The Laplacian, mass and time step of the small path on the graph's slots, and the pivot
  // faces' gradients (their corners still vertices).
  struct SmallSystems;
  void small_systems(const TriangleMesh& mesh, const detail::SymmetricGraph& graph,
                     const std::vector<int>& edge_slot, SmallSystems& out);
};

HeatGeodesicSolver::Impl::Impl(const TriangleMesh& mesh, const HeatGeodesicOptions& opts)
    : options(opts), n(static_cast<int>(mesh.vertices.size())), faces(mesh.faces) {
  std::string why;
  if (!options.IsValid(&why)) throw InputError("HeatGeodesicOptions: " + why);
  if (mesh.faces.empty()) throw InputError("heat geodesic: the mesh has no faces");
  for (const Face& f : mesh.faces) {
    for (int v : f) {
      if (v < 0 || v >= n) throw InputError("heat geodesic: a face refers to a missing vertex");
    }
  }

  if (options.poisson == HeatPoissonMethod::kSecondFactor && n <= options.small_mesh_vertices) {
    precompute_small(mesh);
    b.setZero(n);  // the others serve kSharedFactor and CHOLMOD's own solves only
    return;
  }

  // Per-face gradient operator: grad psi_k = (N x e_k) / (2 area), e_k opposite corner k.
  face_area.resize(faces.size());
  hat_gradient.resize(faces.size());
  for (int f = 0; f < static_cast<int>(faces.size()); ++f) {
    const Vec3 normal2 = (detail::corner(mesh, f, 1) - detail::corner(mesh, f, 0))
                             .cross(detail::corner(mesh, f, 2) - detail::corner(mesh, f, 0));
    const double twice_area = normal2.norm();
    const auto fi = static_cast<std::size_t>(f);
    face_area[fi] = 0.5 * twice_area;
    for (int k = 0; k < 3; ++k) {
      const Vec3 edge = detail::corner(mesh, f, (k + 2) % 3) - detail::corner(mesh, f, (k + 1) % 3);
      hat_gradient[fi][static_cast<std::size_t>(k)] =
          twice_area > 0.0 ? Vec3(normal2.cross(edge) / (twice_area * twice_area))
                           : Vec3(Vec3::Zero());
    }
  }
  find_components();

  laplacian = cotan_laplacian(mesh);
  Eigen::VectorXd mass = lumped_mass(mesh);
  const double area = mass.sum();
  // Isolated vertices get a small mass so that the matrices stay positive definite.
  const double mass_floor = 1e-12 * area / static_cast<double>(std::max(n, 1));
  for (Eigen::Index i = 0; i < mass.size(); ++i) mass[i] = std::max(mass[i], mass_floor);
  const double h = mean_edge_length(mesh);
  precompute.time_step = options.time_factor * h * h;

  // Both matrices share the pattern of L plus the diagonal; they are written straight into
  // CHOLMOD's upper-triangular storage (column k: rows < k, then the diagonal).
  // The heat step uses L with its positive off-diagonal entries (edges whose opposite angles sum
  // to more than pi) set to zero and the diagonal rebalanced, so that M + t L is an M-matrix:
  // its solve then has no cancellation and keeps the far field (values down to 1e-200) accurate
  // entry by entry. The pattern is unchanged (explicit zeros), so both systems share one analysis.
  std::vector<int> upper_start(static_cast<std::size_t>(n) + 1, 0);
  for (int k = 0; k < n; ++k) {
    int count = 1;  // the diagonal
    for (Eigen::SparseMatrix<double>::InnerIterator it(laplacian, k); it; ++it) {
      count += it.row() < k;
    }
    upper_start[static_cast<std::size_t>(k) + 1] = upper_start[static_cast<std::size_t>(k)] + count;
  }
  const auto upper_nonzeros = static_cast<std::size_t>(upper_start.back());
  const double t = precompute.time_step;
  const double eps = 1e-10 * 4.0 * std::numbers::pi / area;  // Poisson: L + eps M
  auto upper_matrix = [&](bool heat, cholmod_common* cc) {
    cholmod_sparse* out = cholmod_allocate_sparse(
        static_cast<std::size_t>(n), static_cast<std::size_t>(n), upper_nonzeros,
        /*sorted=*/1, /*packed=*/1, /*stype=*/1, CHOLMOD_REAL, cc);
    if (out == nullptr) throw InternalError("CHOLMOD could not allocate a sparse matrix");
    std::copy(upper_start.begin(), upper_start.end(), static_cast<int*>(out->p));
    auto* rows = static_cast<int*>(out->i);
    auto* values = static_cast<double*>(out->x);
    const bool m_matrix = heat && options.m_matrix_heat_step;
    for (int k = 0; k < n; ++k) {
      int at = upper_start[static_cast<std::size_t>(k)];
      double diagonal = 0.0;      // L_kk
      double off_negative = 0.0;  // sum of the non-positive off-diagonal entries of column k
      for (Eigen::SparseMatrix<double>::InnerIterator it(laplacian, k); it; ++it) {
        const auto i = static_cast<int>(it.row());
        const double v = it.value();
        if (i == k) {
          diagonal = v;
          continue;
        }
        off_negative -= std::min(v, 0.0);
        if (i < k) {
          rows[at] = i;
          values[at] = heat ? t * (m_matrix ? std::min(v, 0.0) : v) : v;
          ++at;
        }
      }
      rows[at] = k;
      values[at] =
          heat ? mass[k] + t * (m_matrix ? off_negative : diagonal) : diagonal + eps * mass[k];
    }
    return out;
  };

  auto start_common = [](cholmod_common& cc) {
    cholmod_start(&cc);
    cc.supernodal = CHOLMOD_SUPERNODAL;
    cc.final_ll = 1;
    cc.nmethods = 1;
    cc.method[0].ordering = CHOLMOD_AMD;  // METIS gives 30% less fill but analyses 10x slower
    cc.print = 0;
    cc.error_handler = nullptr;
    // Supernodes are merged with half the explicit zeros CHOLMOD allows by default (0.8, 0.1,
    // 0.05): a solve streams every stored entry, and on the 100k head this stores 4% fewer of
    // them and solves about 8% faster, for 3% more factorisation time.
    cc.zrelax[0] = 0.4;
    cc.zrelax[1] = 0.05;
    cc.zrelax[2] = 0.02;
  };
  start_common(common);
  cholmod_release.started = true;

  cholmod_sparse* a = upper_matrix(/*heat=*/true, &common);
  auto start = Clock::now();
  heat_factor = cholmod_analyze(a, &common);
  precompute.analyse_seconds = seconds_since(start);
  start = Clock::now();
  // The two numeric factorisations share the analysis and nothing else: the Poisson factor is
  // computed on a second thread with its own CHOLMOD workspace while this thread computes the
  // heat factor. Each does the same arithmetic as it would alone, so the factors are the same
  // bits either way.
  bool poisson_ok = true;
  // OpenBLAS splits its work by the number of threads, which changes the rounding: held to one
  // thread, the factors are the same bits on any machine, concurrent or not.
  std::optional<OneBlasThread> one_blas_thread(std::in_place);
  SerialOpenMpRegions serial_regions;
  std::thread poisson_thread;
  cholmod_common poisson_common{};
  auto factor_poisson = [&] {
    cholmod_sparse* bm = nullptr;
    try {
      bm = upper_matrix(/*heat=*/false, &poisson_common);
    } catch (...) {
      poisson_ok = false;
      return;
    }
    {
      const SerialOpenMpRegions serial_here;  // this thread's own setting
      cholmod_factorize(bm, poisson_factor, &poisson_common);
    }
    cholmod_free_sparse(&bm, &poisson_common);
    poisson_ok =
        poisson_common.status == CHOLMOD_OK && poisson_factor->minor == static_cast<std::size_t>(n);
  };
  const bool second = heat_factor != nullptr && options.poisson == HeatPoissonMethod::kSecondFactor;
  if (second) {
    poisson_factor = cholmod_copy_factor(heat_factor, &common);  // the analysis only
    poisson_ok = poisson_factor != nullptr;
    if (poisson_ok) start_common(poisson_common);
    if (poisson_ok && options.concurrent_factorisations) {
      poisson_thread = std::thread(factor_poisson);
    }
  }
  if (heat_factor != nullptr) cholmod_factorize(a, heat_factor, &common);
  cholmod_free_sparse(&a, &common);
  const bool heat_ok = heat_factor != nullptr && common.status == CHOLMOD_OK &&
                       heat_factor->minor == static_cast<std::size_t>(n);
  if (poisson_thread.joinable()) {
    poisson_thread.join();
  } else if (second && poisson_ok && heat_ok) {
    factor_poisson();
  }
  if (second && poisson_factor != nullptr) cholmod_finish(&poisson_common);
  serial_regions.end();
  one_blas_thread.reset();
  precompute.factorise_seconds = seconds_since(start);
  if (!heat_ok || !poisson_ok) {
    throw InputError(
        "heat geodesic: the Cholesky factorisation failed (degenerate faces or a mesh that is "
        "not a manifold surface?)");
  }
  precompute.factor_nonzeros = common.lnz;
  precompute.numeric_factorisations = poisson_factor != nullptr ? 2 : 1;
  if (options.poisson == HeatPoissonMethod::kSecondFactor) {
    laplacian.resize(0, 0);
    // headspa's own solves read packed copies of the values (supernodal_solve.hpp), made side
    // by side (the Poisson factor's on a second thread, as it was factored) and then freed.
    start = Clock::now();
    structure.emplace(*heat_factor);
    HEADSPA_CHECK(structure->matches(*poisson_factor), "both factors share one analysis");
    std::exception_ptr poisson_error;
    auto pack_poisson = [&] {
      try {
        poisson_values = detail::pack_factor(*structure, *poisson_factor, options.single_values);
      } catch (...) {
        poisson_error = std::current_exception();
        return;
      }
      // Freed here too, through a workspace of this thread's own (CHOLMOD's bookkeeping of
      // memory in use is per workspace; the memory itself is plain malloc).
      cholmod_common own{};
      cholmod_start(&own);
      cholmod_free_factor(&poisson_factor, &own);
      cholmod_finish(&own);
    };
    std::thread pack_thread;
    if (options.concurrent_factorisations) pack_thread = std::thread(pack_poisson);
    try {
      heat_values = detail::pack_factor(*structure, *heat_factor, options.single_values);
    } catch (...) {
      if (pack_thread.joinable()) pack_thread.join();
      throw;
    }
    if (!pack_thread.joinable()) pack_poisson();
    cholmod_free_factor(&heat_factor, &common);
    if (pack_thread.joinable()) pack_thread.join();
    if (poisson_error) std::rethrow_exception(poisson_error);
    precompute.pack_seconds = seconds_since(start);
    const auto entries =
        static_cast<double>(std::max<std::int64_t>(structure->packed_start.back(), 1));
    precompute.heat_single_fraction = static_cast<double>(heat_values.single_entries) / entries;
    precompute.poisson_single_fraction =
        static_cast<double>(poisson_values.single_entries) / entries;
    workspace.emplace(*structure, options.vector_solves);
    // A second thread pays for itself from about a quarter of a million factor entries.
    const std::int64_t packed = structure->packed_start.back();
    pair.emplace(options.parallel_solves && !structure->part[1].empty() &&
                 packed >= (std::int64_t{1} << 18));
    precompute.solve_threads = pair->threaded() ? 2 : 1;
    precompute.vector_solves = workspace->vector_kernels;
    precompute.serial_fraction =
        packed > 0 ? static_cast<double>(structure->work[0]) / static_cast<double>(packed) : 1.0;
    permuted.setZero(n);
    auto fill = [&](auto& list) {
      list.resize(faces.size());
      for (std::size_t f = 0; f < faces.size(); ++f) {
        auto& pf = list[f];
        using T = typename std::remove_reference_t<decltype(pf.flat)>::value_type;
        for (std::size_t k = 0; k < 3; ++k) {
          pf.corner[k] = structure->inverse_perm[static_cast<std::size_t>(faces[f][k])];
        }
        const std::array<double, 3> flat =
            flat_face(mesh.vertices[static_cast<std::size_t>(faces[f][0])],
                      mesh.vertices[static_cast<std::size_t>(faces[f][1])],
                      mesh.vertices[static_cast<std::size_t>(faces[f][2])], 2.0 * face_area[f]);
        for (std::size_t k = 0; k < 3; ++k) pf.flat[k] = static_cast<T>(flat[k]);
      }
    };
    if (options.single_values) {
      fill(pivot_faces_single);
    } else {
      fill(pivot_faces_double);
    }
    // Only kSharedFactor's solve reads these.
    hat_gradient = {};
    face_area = {};
    for (auto& d : half_divergence) d.assign(static_cast<std::size_t>(n), 0.0);
  }

  rhs = cholmod_zeros(static_cast<std::size_t>(n), 1, CHOLMOD_REAL, &common);
  for (Eigen::VectorXd* v : {&u, &phi, &b, &r, &z, &p, &q}) v->setZero(n);
}

HeatGeodesicSolver::Impl::~Impl() = default;

HeatGeodesicSolver::Impl::CholmodRelease::~CholmodRelease() {
  if (!started) return;
  Impl& s = *owner;
  if (s.heat_factor != nullptr) cholmod_free_factor(&s.heat_factor, &s.common);
  if (s.poisson_factor != nullptr) cholmod_free_factor(&s.poisson_factor, &s.common);
  for (cholmod_dense** d : {&s.rhs, &s.solution, &s.work_y, &s.work_e}) {
    if (*d != nullptr) cholmod_free_dense(d, &s.common);
  }
  cholmod_finish(&s.common);
}

namespace {

// The edges of a mesh as a graph (the off-diagonal pattern of its Laplacian) and, for edge k of
// face f (opposite corner k, from corner k+1 to corner k+2), the graph slots of its two
// directions: edge_slot[6 f + 2 k] in the row of corner k+1, edge_slot[6 f + 2 k + 1] in the row
// of corner k+2 (-1 where a face names a vertex twice). A counting sort of the faces' edges by
// vertex, then one pass per vertex that gives each neighbour one slot, in the order the faces
// first name it. Without kSlots only the graph is made (AMD's input, wanted as soon as
// possible); with it, the same graph and the slots.
struct EdgeGraph {
  detail::SymmetricGraph graph;
  std::vector<int> edge_slot;
};

template <bool kSlots>
EdgeGraph edge_graph(const std::vector<Face>& faces, int n) {
  EdgeGraph out;
  const auto nf = faces.size();
  std::vector<int> bucket(static_cast<std::size_t>(n) + 1, 0);
  for (const Face& f : faces) {
    for (std::size_t k = 0; k < 3; ++k) {
      const int a = f[(k + 1) % 3], b = f[(k + 2) % 3];
      if (a == b) continue;
      ++bucket[static_cast<std::size_t>(a) + 1];
      ++bucket[static_cast<std::size_t>(b) + 1];
    }
  }
  for (std::size_t v = 0; v < static_cast<std::size_t>(n); ++v) bucket[v + 1] += bucket[v];
  // Per vertex, in face order: the neighbour and, with kSlots, 6 f + 2 k + direction.
  using Entry = std::conditional_t<kSlots, std::array<int, 2>, std::array<int, 1>>;
  std::vector<Entry> entries(static_cast<std::size_t>(bucket.back()));
  std::vector<int> fill(bucket.begin(), bucket.end() - 1);
  for (std::size_t f = 0; f < nf; ++f) {
    for (std::size_t k = 0; k < 3; ++k) {
      const int a = faces[f][(k + 1) % 3], b = faces[f][(k + 2) % 3];
      if (a == b) continue;
      Entry& at_a = entries[static_cast<std::size_t>(fill[static_cast<std::size_t>(a)]++)];
      Entry& at_b = entries[static_cast<std::size_t>(fill[static_cast<std::size_t>(b)]++)];
      at_a[0] = b;
      at_b[0] = a;
      if constexpr (kSlots) {
        const auto code = static_cast<int>(6 * f + 2 * k);
        at_a[1] = code;
        at_b[1] = code + 1;
      }
    }
  }
  if constexpr (kSlots) out.edge_slot.assign(6 * nf, -1);
  detail::SymmetricGraph& g = out.graph;
  g.n = n;
  g.start.assign(static_cast<std::size_t>(n) + 1, 0);
  g.index.resize(entries.size());
  std::vector<int> seen(static_cast<std::size_t>(n), -1);
  std::vector<int> slot_of(kSlots ? static_cast<std::size_t>(n) : 0);
  int slots = 0;
  for (int v = 0; v < n; ++v) {
    for (int e = bucket[static_cast<std::size_t>(v)]; e < bucket[static_cast<std::size_t>(v) + 1];
         ++e) {
      const Entry& entry = entries[static_cast<std::size_t>(e)];
      const auto wi = static_cast<std::size_t>(entry[0]);
      if (seen[wi] != v) {
        seen[wi] = v;
        if constexpr (kSlots) slot_of[wi] = slots;
        g.index[static_cast<std::size_t>(slots++)] = entry[0];
      }
      if constexpr (kSlots) out.edge_slot[static_cast<std::size_t>(entry[1])] = slot_of[wi];
    }
    g.start[static_cast<std::size_t>(v) + 1] = slots;
  }
  g.index.resize(static_cast<std::size_t>(slots));
  return out;
}

}  // namespace

struct HeatGeodesicSolver::Impl::SmallSystems {
  std::vector<double> laplacian;           // per graph slot: L(v, w), w the slot's neighbour
  std::vector<double> laplacian_diagonal;  // per vertex
  Eigen::VectorXd mass;                    // lumped, with the floor of the CHOLMOD path
  // The two systems (heat: M + t L, with the M-matrix variant when asked; Poisson: L + eps M).
  std::vector<double> heat_off, heat_diagonal, poisson_diagonal;
};

void HeatGeodesicSolver::Impl::small_systems(const TriangleMesh& mesh,
                                             const detail::SymmetricGraph& graph,
                                             const std::vector<int>& edge_slot, SmallSystems& out) {
  // One pass over the faces: area, mass, the edges' lengths (summed in mean_edge_length's
  // order), the face laid flat for the divergence step and the cotangent weights, each added to
  // its edge's two slots and its ends' diagonals in face order (so L(v, w) and L(w, v) are the
  // same bits).
  const auto nf = faces.size();
  const auto nv = static_cast<std::size_t>(n);
  out.laplacian.assign(graph.index.size(), 0.0);
  out.laplacian_diagonal.assign(nv, 0.0);
  out.mass.setZero(n);
  // The faces for the divergence step, straight in the type the solves read.
  if (options.single_values) {
    pivot_faces_single.resize(nf);
  } else {
    pivot_faces_double.resize(nf);
  }
  double edge_sum = 0.0;
  for (std::size_t f = 0; f < nf; ++f) {
    const Face& face = faces[f];
    const std::array<Vec3, 3> corners = {mesh.vertices[static_cast<std::size_t>(face[0])],
                                         mesh.vertices[static_cast<std::size_t>(face[1])],
                                         mesh.vertices[static_cast<std::size_t>(face[2])]};
    for (std::size_t k = 0; k < 3; ++k) edge_sum += (corners[k] - corners[(k + 1) % 3]).norm();
    const Vec3 normal2 = (corners[1] - corners[0]).cross(corners[2] - corners[0]);
    const double twice_area = normal2.norm();
    const double area = 0.5 * twice_area;
    for (int v : face) out.mass[v] += area / 3.0;
    auto store = [&](auto& list) {
      list[f].corner = face;  // made pivots once the order is known
      using T = typename std::remove_reference_t<decltype(list[f].flat)>::value_type;
      const std::array<double, 3> flat = flat_face(corners[0], corners[1], corners[2], twice_area);
      for (std::size_t k = 0; k < 3; ++k) list[f].flat[k] = static_cast<T>(flat[k]);
    };
    if (options.single_values) {
      store(pivot_faces_single);
    } else {
      store(pivot_faces_double);
    }
    if (!(twice_area > 0.0)) continue;
    const double gradient_scale = 0.5 / twice_area;
    for (std::size_t k = 0; k < 3; ++k) {
      // Half the cotangent at corner k, the weight of the opposite edge.
      const double w = gradient_scale *
                       (corners[(k + 1) % 3] - corners[k]).dot(corners[(k + 2) % 3] - corners[k]);
      const int ab = edge_slot[6 * f + 2 * k], ba = edge_slot[6 * f + 2 * k + 1];
      if (ab < 0) continue;
      out.laplacian[static_cast<std::size_t>(ab)] -= w;
      out.laplacian[static_cast<std::size_t>(ba)] -= w;
      out.laplacian_diagonal[static_cast<std::size_t>(face[(k + 1) % 3])] += w;
      out.laplacian_diagonal[static_cast<std::size_t>(face[(k + 2) % 3])] += w;
    }
  }
  const double area = out.mass.sum();
  // Isolated vertices get a small mass so that the matrices stay positive definite.
  const double mass_floor = 1e-12 * area / static_cast<double>(std::max(n, 1));
  for (Eigen::Index i = 0; i < out.mass.size(); ++i)
    out.mass[i] = std::max(out.mass[i], mass_floor);
  const double h = nf > 0 ? edge_sum / (3.0 * static_cast<double>(nf)) : 0.0;
  precompute.time_step = options.time_factor * h * h;
  const double t = precompute.time_step;
  const double eps = 1e-10 * 4.0 * std::numbers::pi / area;  // Poisson: L + eps M

  // The heat step's matrix: with m_matrix_heat_step, L's positive off-diagonal entries are
  // dropped and its diagonal rebalanced (the file comment on obtuse triangles).
  const bool m_matrix = options.m_matrix_heat_step;
  out.heat_off.resize(out.laplacian.size());
  out.heat_diagonal.resize(nv);
  out.poisson_diagonal.resize(nv);
  for (std::size_t v = 0; v < nv; ++v) {
    double off_negative = 0.0;  // minus the sum of the non-positive off-diagonal entries of row v
    for (int slot = graph.start[v]; slot < graph.start[v + 1]; ++slot) {
      const double l = out.laplacian[static_cast<std::size_t>(slot)];
      off_negative -= std::min(l, 0.0);
      out.heat_off[static_cast<std::size_t>(slot)] = t * (m_matrix ? std::min(l, 0.0) : l);
    }
    const double m = out.mass[static_cast<Eigen::Index>(v)];
    out.heat_diagonal[v] = m + t * (m_matrix ? off_negative : out.laplacian_diagonal[v]);
    out.poisson_diagonal[v] = out.laplacian_diagonal[v] + eps * m;
  }
}

void HeatGeodesicSolver::Impl::precompute_small(const TriangleMesh& mesh) {
  // The calling thread builds the graph and analyses it (the ordering is most of the time);
  // meanwhile a worker builds the graph again, with each face edge's slots, and computes the
  // Laplacian, mass and face data on them, and takes a share of the analysis. Then the calling
  // thread factors the heat step's system and the worker the Poisson step's; the first done
  // builds the solves' structure, and each packs its own. Each step is sequential, so the
  // factors are the same bits whichever thread computes them, side by side or in turn.
  precompute.own_factorisation = true;
  precompute.numeric_factorisations = 2;
  detail::SmallCholeskyAnalysis analysis;
  detail::SymmetricGraph pattern;  // the calling thread's graph, for the analysis
  SmallSystems systems;
  bool heat_ok = false, poisson_ok = false;
  std::exception_ptr error, worker_error;  // the first failure on each thread
  auto compute_values = [&] {
    const EdgeGraph edges = edge_graph<true>(faces, n);
    small_systems(mesh, edges.graph, edges.edge_slot, systems);
    find_components();
  };
  // The steps, in order, for two threads or one. A step is skipped once either thread has
  // failed; every latch a thread may wait for is counted down whatever happens.
  std::atomic<bool> stop{false};
  auto step = [&stop](std::exception_ptr& failure, auto&& work) {
    if (stop.load()) return;
    try {
      work();
    } catch (...) {
      failure = std::current_exception();
      stop.store(true);
    }
  };
  // A factorisation, then its packed copy for the solves (supernodal_solve.hpp).
  struct Factor {
    detail::FreeArray<double> values;
    std::vector<double> ranges;  // per supernode: smallest nonzero and largest magnitude
  };
  auto factor_system = [&](const std::vector<double>& off, const std::vector<double>& diagonal,
                           Factor& factor) {
    detail::SmallCholeskyWorkspace buffers(analysis);
    factor.values = detail::allocate_array<double>(static_cast<std::size_t>(analysis.value_count()),
                                                   /*huge_pages=*/true);
    factor.ranges.resize(2 * static_cast<std::size_t>(analysis.nsuper()));
    return detail::factor_small_cholesky(analysis, diagonal, off, buffers, factor.values.get(),
                                         factor.ranges);
  };
  // The packing needs the solves' structure: the first thread to finish its factorisation
  // builds it, the other waits for it if it has to.
  std::atomic<bool> structure_claimed{false};
  std::latch structure_ready(1);
  auto pack = [&](std::exception_ptr& failure, bool ok, Factor& factor,
                  detail::PackedFactor& packed) {
    if (!structure_claimed.exchange(true)) {
      step(failure, [&] {
        structure.emplace(n, analysis.super, analysis.row_start, analysis.rows, analysis.perm,
                          analysis.value_start);
      });
      structure_ready.count_down();
    } else {
      structure_ready.wait();
    }
    if (ok) {
      step(failure, [&] {
        packed = detail::pack_values(*structure, std::move(factor.values), factor.ranges,
                                     options.single_values);
      });
    }
  };
  Factor heat, poisson;
  // The divergence faces' corners as pivots.
  auto pivot_faces = [&] {
    auto remap = [&](auto& list) {
      for (auto& face : list) {
        for (int& corner : face.corner) {
          corner = analysis.inverse_perm[static_cast<std::size_t>(corner)];
        }
      }
    };
    remap(pivot_faces_single);
    remap(pivot_faces_double);
  };
  // The solves' buffers.
  auto solve_buffers = [&] {
    workspace.emplace(*structure, options.vector_solves);
    permuted.setZero(n);
    for (auto& d : half_divergence) d.assign(static_cast<std::size_t>(n), 0.0);
  };

  std::optional<detail::SmallCholeskyAnalyser> analyser;
  std::atomic<bool> lower_claimed{false};  // a thread has taken the lower triangle
  const bool concurrent = options.concurrent_factorisations;
  std::latch ordered(1), lower_ready(1), supernodes_ready(1), rows_done(1), analysis_ready(1),
      values_ready(1);
  std::thread worker;
  if (concurrent) {
    worker = std::thread([&] {
      step(worker_error, compute_values);
      values_ready.count_down();
      ordered.wait();
      // The lower triangle, unless the calling thread has already taken it (it does once the
      // upper one is done and this thread has not woken up yet).
      if (!stop.load() && analyser->tree_keeps_order() && !lower_claimed.exchange(true)) {
        step(worker_error, [&] { analyser->lower_triangle(); });
        lower_ready.count_down();
      }
      supernodes_ready.wait();
      step(worker_error, [&] { analyser->rows(1); });
      rows_done.count_down();
      analysis_ready.wait();
      step(worker_error, [&] {
        poisson_ok = factor_system(systems.laplacian, systems.poisson_diagonal, poisson);
      });
      pack(worker_error, poisson_ok, poisson, poisson_values);
    });
  }
  auto start = Clock::now();
  step(error, [&] { pattern = edge_graph<false>(faces, n).graph; });
  step(error, [&] {
    analyser.emplace(pattern);
    analyser->order();
  });
  ordered.count_down();
  step(error, [&] { analyser->tree(); });
  if (!lower_claimed.exchange(true)) {
    step(error, [&] { analyser->lower_triangle(); });
  } else {
    lower_ready.wait();
  }
  step(error, [&] { analyser->supernodes(); });
  supernodes_ready.count_down();
  step(error, [&] { analyser->rows(0); });
  if (concurrent) rows_done.wait();
  step(error, [&] { analysis = analyser->take(); });
  analysis_ready.count_down();
  analyser.reset();
  precompute.analyse_seconds = seconds_since(start);
  start = Clock::now();
  if (concurrent) {
    values_ready.wait();
  } else {
    step(error, compute_values);
  }
  step(error, [&] { heat_ok = factor_system(systems.heat_off, systems.heat_diagonal, heat); });
  pack(error, heat_ok, heat, heat_values);
  step(error, pivot_faces);
  step(error, solve_buffers);
  if (concurrent) {
    worker.join();
  } else {
    step(error,
         [&] { poisson_ok = factor_system(systems.laplacian, systems.poisson_diagonal, poisson); });
    pack(error, poisson_ok, poisson, poisson_values);
  }
  precompute.factorise_seconds = seconds_since(start);
  if (error) std::rethrow_exception(error);
  if (worker_error) std::rethrow_exception(worker_error);
  if (!heat_ok || !poisson_ok) {
    throw InputError(
        "heat geodesic: the Cholesky factorisation failed (degenerate faces or a mesh that is "
        "not a manifold surface?)");
  }
  precompute.factor_nonzeros = analysis.factor_entries;
  const auto entries =
      static_cast<double>(std::max<std::int64_t>(structure->packed_start.back(), 1));
  precompute.heat_single_fraction = static_cast<double>(heat_values.single_entries) / entries;
  precompute.poisson_single_fraction = static_cast<double>(poisson_values.single_entries) / entries;
  // The solves' second thread, started once the worker is gone (it spins a while first).
  pair.emplace(options.parallel_solves && !structure->part[1].empty());
  const std::int64_t packed = structure->packed_start.back();
  precompute.solve_threads = pair->threaded() ? 2 : 1;
  precompute.vector_solves = workspace->vector_kernels;
  precompute.serial_fraction =
      packed > 0 ? static_cast<double>(structure->work[0]) / static_cast<double>(packed) : 1.0;
}

void HeatGeodesicSolver::Impl::find_components() {
  // Union-find over the corners of every face.
  std::vector<int> parent(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) parent[static_cast<std::size_t>(i)] = i;
  auto root = [&parent](int x) {
    while (parent[static_cast<std::size_t>(x)] != x) {
      const int up = parent[static_cast<std::size_t>(parent[static_cast<std::size_t>(x)])];
      parent[static_cast<std::size_t>(x)] = up;
      x = up;
    }
    return x;
  };
  for (const Face& f : faces) {
    const int a = root(f[0]);
    for (int k = 1; k < 3; ++k) {
      const int c = root(f[static_cast<std::size_t>(k)]);
      if (c != a) parent[static_cast<std::size_t>(c)] = a;
    }
  }
  component.assign(static_cast<std::size_t>(n), -1);
  std::vector<int> label(static_cast<std::size_t>(n), -1);
  component_count = 0;
  for (int i = 0; i < n; ++i) {
    const auto r0 = static_cast<std::size_t>(root(i));
    if (label[r0] < 0) label[r0] = component_count++;
    component[static_cast<std::size_t>(i)] = label[r0];
  }
  component_has_source.assign(static_cast<std::size_t>(component_count), 0);
  component_shift.assign(static_cast<std::size_t>(component_count), 0.0);
}

void HeatGeodesicSolver::Impl::solve(cholmod_factor* factor, const Eigen::VectorXd& in,
                                     Eigen::VectorXd& out) {
  std::copy_n(in.data(), n, static_cast<double*>(rhs->x));
  cholmod_solve2(CHOLMOD_A, factor, rhs, nullptr, &solution, nullptr, &work_y, &work_e, &common);
  HEADSPA_CHECK(solution != nullptr, "CHOLMOD solve failed");
  std::copy_n(static_cast<const double*>(solution->x), n, out.data());
}

void HeatGeodesicSolver::Impl::poisson(Eigen::VectorXd& out) {
  const double b_norm = b.norm();
  last = HeatSolveReport{};
  if (!(b_norm > 0.0)) {
    out.setZero();
    return;
  }
  // Preconditioned conjugate gradients on the singular, consistent system L phi = b; the
  // preconditioner is the factor of M + t L. The null-space drift (a constant per component)
  // is removed by the shift afterwards.
  out.setZero();
  r = b;
  solve(heat_factor, r, z);
  p = z;
  double rz = r.dot(z);
  int it = 0;
  double rel = 1.0;
  while (it < options.poisson_max_iterations) {
    q.noalias() = laplacian * p;
    const double pq = p.dot(q);
    if (!(pq > 0.0)) break;
    const double alpha = rz / pq;
    out.noalias() += alpha * p;
    r.noalias() -= alpha * q;
    ++it;
    rel = r.norm() / b_norm;
    if (rel <= options.poisson_tolerance) break;
    solve(heat_factor, r, z);
    const double rz_next = r.dot(z);
    p = z + (rz_next / rz) * p;
    rz = rz_next;
  }
  last.poisson_iterations = it;
  last.poisson_relative_residual = rel;
  last.converged = rel <= options.poisson_tolerance;
}

namespace {

// The entries [first, second) of `count` that half 0 or 1 of a two-thread task takes.
std::pair<std::size_t, std::size_t> half_range(std::size_t count, int half) {
  return half == 0 ? std::pair<std::size_t, std::size_t>{0, count / 2}
                   : std::pair<std::size_t, std::size_t>{count / 2, count};
}

template <class T>
struct DivergenceContext {
  const std::vector<PivotFace<T>>* faces;
  const double* u;
  std::array<std::vector<double>, 2>* out;
};

// One half of the faces: out[half] = sum over its faces of area * <X, grad psi_i>,
// X = -grad u / |grad u|. On a face laid flat (PivotFace), with e_k the edge opposite corner k
// (e_0 = (b - a, c), e_1 = (-b, -c), e_2 = (a, 0)), area * grad psi_k is e_k turned a quarter
// turn and halved, so with s = sum_k u_k e_k the term is -<s, e_i> / (2 |s|): only inner
// products, which the turn keeps. s is formed from differences of u, so a nearly constant u
// far from the source keeps its direction.
template <class T>
void divergence_half(void* context, int half) {
  const auto& c = *static_cast<const DivergenceContext<T>*>(context);
  const std::size_t count = c.faces->size();
  const auto [begin, end] = half_range(count, half);
  std::vector<double>& out = (*c.out)[static_cast<std::size_t>(half)];
  std::fill(out.begin(), out.end(), 0.0);
  const double* u = c.u;
  for (std::size_t f = begin; f < end; ++f) {
    const PivotFace<T>& face = (*c.faces)[f];
    const double a = static_cast<double>(face.flat[0]);
    const double b = static_cast<double>(face.flat[1]);
    const double h = static_cast<double>(face.flat[2]);
    const double u0 = u[face.corner[0]];
    const double d01 = u0 - u[face.corner[1]];
    const double d20 = u[face.corner[2]] - u0;
    const double sx = a * d20 + b * d01;
    const double sy = h * d01;
    const double len = std::sqrt(sx * sx + sy * sy);
    if (!(len > 0.0)) continue;  // also every face of zero area (a = b = c = 0)
    const double half_inverse = 0.5 / len;
    out[static_cast<std::size_t>(face.corner[0])] -= (sx * (b - a) + sy * h) * half_inverse;
    out[static_cast<std::size_t>(face.corner[1])] += (sx * b + sy * h) * half_inverse;
    out[static_cast<std::size_t>(face.corner[2])] -= sx * a * half_inverse;
  }
}

// The divergence's two halves added into `sum` over one half of the entries, with that half's
// squared norm (whose only use is to tell a zero right-hand side).
struct SumContext {
  const double* b0;
  const double* b1;
  double* sum;
  int n;
  std::array<double, 2> norm2;
};

void sum_half(void* context, int half) {
  auto& c = *static_cast<SumContext*>(context);
  const auto [begin, end] = half_range(static_cast<std::size_t>(c.n), half);
  double norm2 = 0.0;
  for (std::size_t k = begin; k < end; ++k) {
    c.sum[k] = c.b0[k] + c.b1[k];
    norm2 += c.sum[k] * c.sum[k];
  }
  c.norm2[static_cast<std::size_t>(half)] = norm2;
}

// Out of pivot order, over one half of the entries.
struct UnpermuteContext {
  const double* permuted;
  const int* perm;
  double* out;
  int n;
};

void unpermute_half(void* context, int half) {
  const auto& c = *static_cast<const UnpermuteContext*>(context);
  const auto [begin, end] = half_range(static_cast<std::size_t>(c.n), half);
  for (std::size_t k = begin; k < end; ++k) c.out[c.perm[k]] = c.permuted[k];
}

}  // namespace

void HeatGeodesicSolver::Impl::run_copied(std::span<const int> support, Eigen::VectorXd& out) {
  // Everything stays in pivot order until the distances are written out: the heat step in
  // `permuted`, the divergence of its normalised gradient (two halves of the faces, on two
  // threads, added in a fixed order), the Poisson step in `permuted` again.
  heat_step_copied(support);
  if (options.single_values) {
    DivergenceContext<float> context{&pivot_faces_single, permuted.data(), &half_divergence};
    pair->run(divergence_half<float>, &context);
  } else {
    DivergenceContext<double> context{&pivot_faces_double, permuted.data(), &half_divergence};
    pair->run(divergence_half<double>, &context);
  }
  SumContext sum{half_divergence[0].data(), half_divergence[1].data(), permuted.data(), n, {}};
  pair->run(sum_half, &sum);
  last = HeatSolveReport{};
  if (!(sum.norm2[0] + sum.norm2[1] > 0.0)) {
    out.setZero();
    return;
  }
  detail::forward_dense(*structure, poisson_values, *workspace, *pair, permuted.data());
  detail::backward(*structure, poisson_values, *workspace, *pair, permuted.data());
  UnpermuteContext unpermute{permuted.data(), structure->perm.data(), out.data(), n};
  pair->run(unpermute_half, &unpermute);
}

void HeatGeodesicSolver::Impl::heat_step_copied(std::span<const int> support) {
  // Only the supernodes on the elimination-tree paths of the nonzero entries take part in the
  // forward solve; the backward solve fills in every vertex. The result stays in pivot order.
  permuted.setZero();
  source_columns.clear();
  for (int v : support) {
    const int k = structure->inverse_perm[static_cast<std::size_t>(v)];
    permuted[k] = b[v];
    source_columns.push_back(k);
  }
  detail::forward_sparse(*structure, heat_values, *workspace, *pair, source_columns,
                         permuted.data());
  detail::backward(*structure, heat_values, *workspace, *pair, permuted.data());
}

void HeatGeodesicSolver::Impl::run(std::span<const int> support, Eigen::VectorXd& out) {
  // u: the heat step (the right-hand side was written into b by the caller).
  if (structure) {
    run_copied(support, out);
    return;
  }
  solve(heat_factor, b, u);
  // b = sum over faces of area * <X, grad psi_i>, X = -grad u / |grad u|.
  b.setZero();
  for (std::size_t f = 0; f < faces.size(); ++f) {
    const auto& g = hat_gradient[f];
    const Face& face = faces[f];
    const Vec3 grad = u[face[0]] * g[0] + u[face[1]] * g[1] + u[face[2]] * g[2];
    const double len = grad.norm();
    if (!(len > 0.0)) continue;
    const Vec3 x = (-face_area[f] / len) * grad;
    for (int k = 0; k < 3; ++k)
      b[face[static_cast<std::size_t>(k)]] += x.dot(g[static_cast<std::size_t>(k)]);
  }
  poisson(out);
}

HeatGeodesicSolver::HeatGeodesicSolver(const TriangleMesh& mesh, const HeatGeodesicOptions& options)
    : impl_(std::make_unique<Impl>(mesh, options)) {}
HeatGeodesicSolver::~HeatGeodesicSolver() = default;
HeatGeodesicSolver::HeatGeodesicSolver(HeatGeodesicSolver&&) noexcept = default;
HeatGeodesicSolver& HeatGeodesicSolver::operator=(HeatGeodesicSolver&&) noexcept = default;

int HeatGeodesicSolver::vertex_count() const noexcept { return impl_->n; }
const HeatPrecomputeReport& HeatGeodesicSolver::precompute_report() const noexcept {
  return impl_->precompute;
}
const HeatSolveReport& HeatGeodesicSolver::last_solve_report() const noexcept {
  return impl_->last;
}

Eigen::VectorXd HeatGeodesicSolver::distance(int source_vertex) {
  Eigen::VectorXd out;
  distance(std::span<const int>(&source_vertex, 1), out);
  return out;
}

Eigen::VectorXd HeatGeodesicSolver::distance(std::span<const int> source_vertices) {
  Eigen::VectorXd out;
  distance(source_vertices, out);
  return out;
}

Eigen::VectorXd HeatGeodesicSolver::distance(const SurfacePoint& source) {
  Eigen::VectorXd out;
  distance(source, out);
  return out;
}

namespace {

// Shifts phi per component so that the source value becomes 0, clamps small negatives and marks
// components without a source as unreachable.
void finish_distance(const std::vector<int>& component, const std::vector<char>& has_source,
                     const std::vector<double>& shift, Eigen::VectorXd& out) {
  for (Eigen::Index i = 0; i < out.size(); ++i) {
    const auto c = static_cast<std::size_t>(component[static_cast<std::size_t>(i)]);
    out[i] = has_source[c] != 0 ? std::max(out[i] - shift[c], 0.0)
                                : std::numeric_limits<double>::infinity();
  }
}

}  // namespace

void HeatGeodesicSolver::distance(std::span<const int> source_vertices, Eigen::VectorXd& out) {
  Impl& s = *impl_;
  HEADSPA_CHECK(!source_vertices.empty(), "at least one source vertex");
  for (int v : source_vertices) HEADSPA_CHECK(v >= 0 && v < s.n, "source vertex out of range");
  if (out.size() != s.n) out.resize(s.n);
  s.b.setZero();
  for (int v : source_vertices) s.b[v] = 1.0;
  s.run(source_vertices, out);
  // Each component is shifted by the mean phi of its sources.
  std::fill(s.component_has_source.begin(), s.component_has_source.end(), 0);
  std::fill(s.component_shift.begin(), s.component_shift.end(), 0.0);
  std::vector<int>& comp = s.component;
  for (int v : source_vertices) {
    const auto c = static_cast<std::size_t>(comp[static_cast<std::size_t>(v)]);
    s.component_has_source[c] += 1;
    s.component_shift[c] += out[v];
  }
  for (std::size_t c = 0; c < s.component_shift.size(); ++c) {
    if (s.component_has_source[c] != 0) s.component_shift[c] /= s.component_has_source[c];
  }
  finish_distance(comp, s.component_has_source, s.component_shift, out);
}

void HeatGeodesicSolver::distance(const SurfacePoint& source, Eigen::VectorXd& out) {
  Impl& s = *impl_;
  HEADSPA_CHECK(source.face >= 0 && source.face < static_cast<int>(s.faces.size()),
                "source face out of range");
  HEADSPA_CHECK(source.IsValid(), "source barycentric coordinates must be >= 0 and sum to 1");
  if (out.size() != s.n) out.resize(s.n);
  const Face& f = s.faces[static_cast<std::size_t>(source.face)];
  s.b.setZero();
  for (int k = 0; k < 3; ++k) s.b[f[static_cast<std::size_t>(k)]] += source.barycentric[k];
  s.run(f, out);
  std::fill(s.component_has_source.begin(), s.component_has_source.end(), 0);
  const auto c = static_cast<std::size_t>(s.component[static_cast<std::size_t>(f[0])]);
  s.component_has_source[c] = 1;
  s.component_shift[c] = source.barycentric[0] * out[f[0]] + source.barycentric[1] * out[f[1]] +
                         source.barycentric[2] * out[f[2]];
  finish_distance(s.component, s.component_has_source, s.component_shift, out);
}

Eigen::VectorXd heat_geodesic_distance(const TriangleMesh& mesh, int source_vertex,
                                       const HeatGeodesicOptions& options) {
  HeatGeodesicSolver solver(mesh, options);
  return solver.distance(source_vertex);
}

}  // namespace headspa::geometry
