# The Dockerfile parser of berth-build (src/build/dockerfile_parse.cpp): pure text -> tree.
berth_fuzz_target(dockerfile tests/fuzz/dockerfile.cpp SOURCES src/build/dockerfile_parse.cpp)
