# Tests of the built-in default head.
headspa_add_test(anatomy_default_head_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/default_head_test.cpp
  LIBS headspa::anatomy)
