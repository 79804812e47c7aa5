// Head import benchmark: file -> Head (clean, pose, units, landmarks, regions) on a 100k-vertex
// built-in head written to OBJ and on the Lee Perry-Smith scan. Prints medians of repeated runs.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "headspa/anatomy/head.hpp"
#include "headspa/geometry/import.hpp"

namespace {

using headspa::anatomy::Head;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void bench_file(const std::string& label, const std::string& path, const std::string& units,
                int runs) {
  std::vector<double> total, load, clean, pose, landmarks, regions;
  std::size_t vertices = 0;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    const Head head =
        headspa::anatomy::import_head(path, headspa::anatomy::import_options_for_units(units));
    total.push_back(std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    load.push_back(head.timings.load_s);
    clean.push_back(head.timings.clean_s);
    pose.push_back(head.timings.pose_s);
    landmarks.push_back(head.timings.landmarks_s);
    regions.push_back(head.timings.regions_s);
    vertices = head.mesh.vertices.size();
  }
  std::printf(
      "%-28s %7zu verts | import+clean+normalise %7.1f ms (load %.1f, clean %.1f, "
      "pose+units %.1f) | landmarks+regions %6.1f ms | total %7.1f ms  (median of %d; "
      "target total <= 1000 ms at 100k)\n",
      label.c_str(), vertices, 1e3 * (median(load) + median(clean) + median(pose)),
      1e3 * median(load), 1e3 * median(clean), 1e3 * median(pose),
      1e3 * (median(landmarks) + median(regions)), 1e3 * median(total), runs);
}

}  // namespace

int main() {
  const auto dir = std::filesystem::temp_directory_path() / "headspa-bench-head";
  std::filesystem::create_directories(dir);
  const std::string head100k = (dir / "default_100k.obj").string();
  const auto built =
      headspa::anatomy::make_default_head({headspa::anatomy::Sex::kMale, 50, 100000});
  headspa::geometry::write_obj(built.mesh, head100k);
  bench_file("built-in head (100k, OBJ)", head100k, "", 5);
  const std::string lps =
      std::string(HEADSPA_SHARED_DATA) + "/heads/lee_perry_smith/lee_perry_smith.obj";
  if (std::filesystem::exists(lps)) {
    bench_file("Lee Perry-Smith scan", lps, "auto", 7);
  } else {
    std::printf("Lee Perry-Smith scan: skipped (%s absent)\n", lps.c_str());
  }
  std::filesystem::remove_all(dir);
  return 0;
}
