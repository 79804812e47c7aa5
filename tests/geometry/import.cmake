headspa_add_test(geometry_import_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/import_test.cpp ${CMAKE_CURRENT_SOURCE_DIR}/mesh_test.cpp
  LIBS headspa::geometry)
