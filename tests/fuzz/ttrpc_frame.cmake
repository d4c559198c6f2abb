# The shim's ttrpc frame decoder (src/shim/ttrpc_codec.cpp: FrameReader, Request/Response
# decoding) and the runtime options Any of a Create (src/shim/runtime_options.cpp). Both need
# the protobuf code generated at build time: cmake/shim_proto.cmake makes it here too.
include(${CMAKE_SOURCE_DIR}/cmake/shim_proto.cmake)
berth_fuzz_target(ttrpc_frame tests/fuzz/ttrpc_frame.cpp SOURCES src/shim/ttrpc_codec.cpp src/shim/runtime_options.cpp)
target_include_directories(fuzz_ttrpc_frame PRIVATE ${CMAKE_SOURCE_DIR}/src/shim)
target_link_libraries(fuzz_ttrpc_frame PRIVATE shim_proto)
