# Head import, landmark detection, regions, pressure points and the tissue map.
list(APPEND HEADSPA_ANATOMY_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/regions.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/pose.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/head_import.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/annotate.cpp)
