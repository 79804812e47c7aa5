# The built-in default head: parametric shape, meshing and landmarks.
list(APPEND HEADSPA_ANATOMY_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/default_head.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/default_head_shape.cpp)
