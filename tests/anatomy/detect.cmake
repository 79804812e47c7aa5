headspa_add_test(anatomy_head_test
  SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/head_test.cpp ${CMAKE_CURRENT_SOURCE_DIR}/regions_test.cpp
  LIBS headspa::anatomy)
headspa_add_test(cli_head_test SOURCES ${CMAKE_CURRENT_SOURCE_DIR}/cli_head_test.cpp
  LIBS headspa::anatomy)
