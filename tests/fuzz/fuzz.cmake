# libFuzzer targets (tests/fuzz/README.md). Included from the top-level
# CMakeLists.txt when BERTH_FUZZ=ON (instead of everything else); needs clang (CMAKE_CXX_COMPILER=clang++).
#
# Only the sources the targets reach are compiled, with coverage and the
# sanitizers; the programs and the unit tests are not part of this build.
if(NOT CMAKE_CXX_COMPILER_ID STREQUAL "Clang")
  message(FATAL_ERROR "BERTH_FUZZ=ON needs clang: cmake -DCMAKE_CXX_COMPILER=clang++ ...")
endif()

set(BERTH_FUZZ_FLAGS -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
    -fno-omit-frame-pointer -O1 -g)

# The pure parts of libberth: the oci model and validation, the seccomp
# compiler, the mount option table, the state record. No syscalls happen in
# what the targets call, so nothing here touches the host.
add_library(berth_fuzzlib STATIC
  src/util/error.cpp src/util/log.cpp src/util/read_limited.cpp
  src/oci/cursor.cpp src/oci/defaults.cpp src/oci/mount_options.cpp src/oci/parse.cpp
  src/oci/parse_linux.cpp src/oci/parse_resources.cpp src/oci/spec.cpp src/oci/state.cpp
  src/oci/to_json.cpp src/oci/validate.cpp
  src/linux/seccomp.cpp src/linux/seccomp_enosys.cpp src/linux/mount_flags.cpp
  src/container/record_json.cpp)
target_include_directories(berth_fuzzlib PUBLIC include)
target_compile_definitions(berth_fuzzlib PUBLIC BERTH_VERSION="${PROJECT_VERSION}")
target_compile_options(berth_fuzzlib PUBLIC ${BERTH_FUZZ_FLAGS})
target_link_libraries(berth_fuzzlib PUBLIC nlohmann_json::nlohmann_json PkgConfig::SECCOMP)
# nlohmann/json.hpp is most of every file's parse time; parse it once.
target_precompile_headers(berth_fuzzlib PUBLIC <nlohmann/json.hpp> <string> <vector> <map> <optional>)

add_custom_target(fuzz_targets)

# berth_fuzz_target(<name> <target source> [SOURCES <more libberth sources>...])
# builds build-fuzz/fuzz_<name>; `make fuzz` runs every target registered here
# with the seed corpus tests/fuzz/corpus/<name>/ (which must exist).
function(berth_fuzz_target name source)
  cmake_parse_arguments(F "" "" "SOURCES" ${ARGN})
  add_executable(fuzz_${name} ${source} ${F_SOURCES})
  target_link_libraries(fuzz_${name} PRIVATE berth_fuzzlib)
  target_link_options(fuzz_${name} PRIVATE -fsanitize=fuzzer,address,undefined)
  add_dependencies(fuzz_targets fuzz_${name})
  set_property(GLOBAL APPEND PROPERTY BERTH_FUZZ_NAMES ${name})
endfunction()

berth_fuzz_target(config_json tests/fuzz/config_json.cpp)
berth_fuzz_target(process_json tests/fuzz/process_json.cpp)
berth_fuzz_target(state_json tests/fuzz/state_json.cpp)
berth_fuzz_target(seccomp_profile tests/fuzz/seccomp_profile.cpp)
berth_fuzz_target(mount_options tests/fuzz/mount_options.cpp)

# Targets from other parts (the shim's ttrpc frame decoder, the Dockerfile
# parser) each bring a tests/fuzz/<name>.cmake holding their one
# berth_fuzz_target(...) line (README.md), so adding one edits nothing here.
file(GLOB BERTH_FUZZ_EXTRA CONFIGURE_DEPENDS ${CMAKE_SOURCE_DIR}/tests/fuzz/*.cmake)
list(REMOVE_ITEM BERTH_FUZZ_EXTRA ${CMAKE_SOURCE_DIR}/tests/fuzz/fuzz.cmake)
foreach(extra IN LISTS BERTH_FUZZ_EXTRA)
  include(${extra})
endforeach()

# The list `make fuzz` iterates over.
get_property(names GLOBAL PROPERTY BERTH_FUZZ_NAMES)
string(REPLACE ";" "\n" names_lines "${names}")
file(WRITE ${CMAKE_BINARY_DIR}/fuzz_targets.txt "${names_lines}\n")
