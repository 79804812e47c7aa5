# Import, cleaning and export of meshes (assimp).
list(APPEND HEADSPA_GEOMETRY_SOURCES
  ${CMAKE_CURRENT_SOURCE_DIR}/import.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/export.cpp
  ${CMAKE_CURRENT_SOURCE_DIR}/validate.cpp)
find_package(nlohmann_json REQUIRED)
list(APPEND HEADSPA_GEOMETRY_PRIVATE_DEPS assimp::assimp nlohmann_json::nlohmann_json)
