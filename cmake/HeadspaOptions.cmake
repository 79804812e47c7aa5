# Per-target settings for headspa's own targets. Nothing here changes global flags.

# Warnings as errors on our own code only.
function(headspa_target_warnings target)
  target_compile_options(${target} PRIVATE
    -Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Wold-style-cast -Wcast-align
    -Wunused -Woverloaded-virtual -Wdouble-promotion -Wformat=2
    -Wimplicit-fallthrough -Werror)
endfunction()

# Sanitizers are applied per target as well, so third-party code built here stays untouched.
function(headspa_target_sanitize target)
  if(HEADSPA_BUILD_FUZZERS)
    # Libraries linked into fuzzers carry ASan/UBSan and coverage instrumentation.
    target_compile_options(${target} PRIVATE -fsanitize=fuzzer-no-link,address,undefined)
    # The other programs of such a build (the command, the tools) link those libraries too,
    # so they need the sanitizer runtimes (which also answer the coverage hooks).
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_link_options(${target} PRIVATE -fsanitize=address,undefined)
    endif()
  elseif(HEADSPA_SANITIZE)
    target_compile_options(${target} PRIVATE -fsanitize=address,undefined
                           -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
    target_link_options(${target} PRIVATE -fsanitize=address,undefined)
  endif()
endfunction()

# A headspa library: headspa_<name> with alias headspa::<name>, public headers in include/.
function(headspa_add_module name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC_DEPS;PRIVATE_DEPS" ${ARGN})
  add_library(headspa_${name} STATIC ${ARG_SOURCES})
  add_library(headspa::${name} ALIAS headspa_${name})
  target_include_directories(headspa_${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
                             PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(headspa_${name} PUBLIC ${ARG_PUBLIC_DEPS} PRIVATE ${ARG_PRIVATE_DEPS})
  set_target_properties(headspa_${name} PROPERTIES POSITION_INDEPENDENT_CODE ON)
  headspa_target_warnings(headspa_${name})
  headspa_target_sanitize(headspa_${name})
endfunction()

# A GoogleTest executable registered with ctest; tests may read ../shared/data. Each test is
# its own ctest entry, except with ONE_PROCESS_WHEN_SANITIZED in a sanitizer build: then the
# executable runs as one entry, so tests that share an expensive fixture (a head, a full plan)
# build it once instead of once per test.
function(headspa_add_test name)
  cmake_parse_arguments(ARG "ONE_PROCESS_WHEN_SANITIZED" "" "SOURCES;LIBS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_LIBS} GTest::gtest GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/tests)
  target_compile_definitions(${name} PRIVATE
    HEADSPA_SHARED_DATA="${HEADSPA_SHARED_DATA_DIR}"
    HEADSPA_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
    HEADSPA_CLI="$<TARGET_FILE:headspa>")
  headspa_target_warnings(${name})
  headspa_target_sanitize(${name})
  if(ARG_ONE_PROCESS_WHEN_SANITIZED AND HEADSPA_SANITIZE)
    add_test(NAME ${name} COMMAND ${name})
    set_tests_properties(${name} PROPERTIES ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
  else()
    gtest_discover_tests(${name} DISCOVERY_MODE PRE_TEST DISCOVERY_TIMEOUT 60
                         TEST_PREFIX "${name}." PROPERTIES ENVIRONMENT "ASAN_OPTIONS=detect_leaks=1")
  endif()
endfunction()
