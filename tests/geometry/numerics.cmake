# Tests of the numerical geometry core (Laplacian, heat geodesics, surface queries, frames,
# log map).
headspa_add_test(geometry_numerics_test
  SOURCES
    ${CMAKE_CURRENT_LIST_DIR}/laplacian_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/heat_geodesic_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/surface_query_test.cpp
    ${CMAKE_CURRENT_LIST_DIR}/log_map_test.cpp
  LIBS headspa::geometry)
