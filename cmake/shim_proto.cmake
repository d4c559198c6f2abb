# The shim's protobuf messages (library shim_proto), generated at build time from the .proto
# files Debian's -dev packages ship; included by CMakeLists.txt and by the fuzz build
# (tests/fuzz/ttrpc_frame.cmake).
# Each .proto is first trimmed of its Go-only gogo options by cmake/trim-proto.sh.
find_program(PROTOC protoc REQUIRED)
pkg_check_modules(PROTOBUF_LITE REQUIRED IMPORTED_TARGET protobuf-lite)
find_library(PROTOBUF_LITE_ARCHIVE NAMES libprotobuf-lite.a HINTS ${PROTOBUF_LITE_LIBRARY_DIRS})
set(GOCODE /usr/share/gocode/src)
set(SHIM_PROTO_SRC ${CMAKE_BINARY_DIR}/shim-proto/src)
set(SHIM_PROTO_GEN ${CMAKE_BINARY_DIR}/shim-proto/gen)
set(SHIM_PROTOS
  "/usr/include|google/protobuf/any.proto"
  "/usr/include|google/protobuf/empty.proto"
  "/usr/include|google/protobuf/timestamp.proto"
  "${GOCODE}|github.com/containerd/containerd/api/types/mount.proto"
  "${GOCODE}|github.com/containerd/containerd/api/types/task/task.proto"
  "${GOCODE}|github.com/containerd/containerd/runtime/v2/task/shim.proto"
  "${GOCODE}|github.com/containerd/containerd/api/events/task.proto"
  "${GOCODE}|github.com/containerd/containerd/api/services/ttrpc/events/v1/events.proto"
  "${GOCODE}|github.com/containerd/containerd/runtime/v2/runc/options/oci.proto"
  "${GOCODE}|github.com/containerd/cgroups/stats/v1/metrics.proto"
  "${GOCODE}|github.com/containerd/cgroups/v2/stats/metrics.proto"
  "${CMAKE_SOURCE_DIR}/src/shim/proto|berth/ttrpc.proto")
set(SHIM_PROTO_TRIMMED "")
set(SHIM_PROTO_CC "")
foreach(entry ${SHIM_PROTOS})
  string(REPLACE "|" ";" parts "${entry}")
  list(GET parts 0 root)
  list(GET parts 1 rel)
  if(rel STREQUAL "berth/ttrpc.proto")
    set(in ${root}/ttrpc.proto)
  else()
    set(in ${root}/${rel})
  endif()
  if(NOT EXISTS ${in})
    message(FATAL_ERROR "${in} not found: install the packages of DEB_PACKAGES (make deps)")
  endif()
  add_custom_command(OUTPUT ${SHIM_PROTO_SRC}/${rel}
    COMMAND sh ${CMAKE_SOURCE_DIR}/cmake/trim-proto.sh ${in} ${SHIM_PROTO_SRC}/${rel}
    DEPENDS ${in} ${CMAKE_SOURCE_DIR}/cmake/trim-proto.sh VERBATIM)
  list(APPEND SHIM_PROTO_TRIMMED ${SHIM_PROTO_SRC}/${rel})
  string(REGEX REPLACE "\\.proto$" "" base "${rel}")
  list(APPEND SHIM_PROTO_CC ${SHIM_PROTO_GEN}/${base}.pb.cc)
  list(APPEND SHIM_PROTO_RELS ${rel})
endforeach()
set(SHIM_PROTO_H ${SHIM_PROTO_CC})
list(TRANSFORM SHIM_PROTO_H REPLACE "\\.cc$" ".h")
add_custom_command(OUTPUT ${SHIM_PROTO_CC} ${SHIM_PROTO_H}
  COMMAND ${CMAKE_COMMAND} -E make_directory ${SHIM_PROTO_GEN}
  COMMAND ${PROTOC} -I${SHIM_PROTO_SRC} --cpp_out=${SHIM_PROTO_GEN} ${SHIM_PROTO_RELS}
  WORKING_DIRECTORY ${SHIM_PROTO_SRC}
  DEPENDS ${SHIM_PROTO_TRIMMED} VERBATIM)
add_library(shim_proto STATIC ${SHIM_PROTO_CC})
# Generated code is not ours to warn about.
target_compile_options(shim_proto PRIVATE -w)
target_include_directories(shim_proto BEFORE PUBLIC ${SHIM_PROTO_GEN})
if(PROTOBUF_LITE_ARCHIVE)
  target_link_libraries(shim_proto PUBLIC ${PROTOBUF_LITE_ARCHIVE})
else()
  target_link_libraries(shim_proto PUBLIC PkgConfig::PROTOBUF_LITE)
endif()

