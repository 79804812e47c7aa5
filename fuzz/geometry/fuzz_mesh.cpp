// libFuzzer target: mesh bytes through the loader and the cleaner. The format is fixed per
// target by HEADSPA_FUZZ_EXTENSION. Any input must end in a mesh or an InputError.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "headspa/core/error.hpp"
#include "headspa/geometry/import.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view bytes(reinterpret_cast<const char*>(data), size);
  try {
    headspa::geometry::TriangleMesh mesh =
        headspa::geometry::load_mesh_bytes(bytes, HEADSPA_FUZZ_EXTENSION, "fuzz-input");
    headspa::geometry::clean_mesh(mesh);
  } catch (const headspa::InputError&) {
    // Rejected with a message: the expected outcome for bad bytes.
  }
  return 0;
}
