# Numerical geometry core: Laplacian, heat-method geodesics, surface queries, tangent frames and
# the local log map. CHOLMOD (SuiteSparse, supernodal with the system BLAS: OpenBLAS on Debian)
# and Embree 3 are private dependencies; their types stay out of the public headers.
find_path(HEADSPA_CHOLMOD_INCLUDE_DIR suitesparse/cholmod.h REQUIRED)
find_library(HEADSPA_CHOLMOD_LIBRARY cholmod REQUIRED)
find_library(HEADSPA_AMD_LIBRARY amd REQUIRED)
find_package(embree 3 REQUIRED)

if(NOT TARGET headspa_cholmod)
  add_library(headspa_cholmod INTERFACE)
  target_include_directories(headspa_cholmod SYSTEM INTERFACE ${HEADSPA_CHOLMOD_INCLUDE_DIR})
  target_link_libraries(headspa_cholmod INTERFACE ${HEADSPA_CHOLMOD_LIBRARY} ${HEADSPA_AMD_LIBRARY})
endif()

list(APPEND HEADSPA_GEOMETRY_SOURCES
  numerics_detail.cpp
  laplacian.cpp
  heat_geodesic.cpp
  supernodal_solve.cpp
  small_cholesky.cpp
  surface_query.cpp
  tangent_frames.cpp
  log_map.cpp)
list(APPEND HEADSPA_GEOMETRY_PRIVATE_DEPS headspa_cholmod embree)
