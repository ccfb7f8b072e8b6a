# Helpers shared by every CMakeLists of the project.
include(GoogleTest)

# jaring_library(NAME <name> SOURCES ... DEPS ...): libs/<name> with public headers in include/.
function(jaring_library)
  cmake_parse_arguments(ARG "" "NAME" "SOURCES;DEPS" ${ARGN})
  add_library(jaring_${ARG_NAME} STATIC ${ARG_SOURCES})
  add_library(jaring::${ARG_NAME} ALIAS jaring_${ARG_NAME})
  target_include_directories(jaring_${ARG_NAME} PUBLIC ${CMAKE_CURRENT_SOURCE_DIR}/include)
  target_link_libraries(jaring_${ARG_NAME} PUBLIC ${ARG_DEPS} PRIVATE jaring_warnings)
endfunction()

# jaring_test(NAME <name> LABEL unit|integration|e2e SOURCES ... DEPS ...)
function(jaring_test)
  cmake_parse_arguments(ARG "" "NAME;LABEL;TIMEOUT" "SOURCES;DEPS" ${ARGN})
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gtest_main jaring_warnings)
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/tests)
  if(NOT ARG_TIMEOUT)
    set(ARG_TIMEOUT 300)
  endif()
  gtest_discover_tests(${ARG_NAME}
    # One variable per property: gtest_discover_tests splits a list on ';'.
    PROPERTIES LABELS ${ARG_LABEL} TIMEOUT ${ARG_TIMEOUT}
      ENVIRONMENT "JARING_BIN_DIR=${CMAKE_BINARY_DIR}/bin"
      ENVIRONMENT_MODIFICATION "JARING_SOURCE_DIR=set:${CMAKE_SOURCE_DIR}"
    DISCOVERY_TIMEOUT 60)
endfunction()

# jaring_proto_library(NAME <name> PROTOS ... DEPS ... [GRPC]): one library per proto package.
# Called from proto/CMakeLists.txt so that outputs mirror the package path (jaring/x/v1/y.pb.h);
# APPEND_PATH would flatten them and clash on same-named files of different packages.
function(jaring_proto_library)
  cmake_parse_arguments(ARG "GRPC" "NAME" "PROTOS;DEPS" ${ARGN})
  add_library(jaring_proto_${ARG_NAME} STATIC ${ARG_PROTOS})
  add_library(jaring::proto_${ARG_NAME} ALIAS jaring_proto_${ARG_NAME})
  set(out ${CMAKE_BINARY_DIR}/generated)
  file(MAKE_DIRECTORY ${out})
  target_include_directories(jaring_proto_${ARG_NAME} SYSTEM PUBLIC ${out})
  target_link_libraries(jaring_proto_${ARG_NAME} PUBLIC protobuf::libprotobuf ${ARG_DEPS})
  protobuf_generate(TARGET jaring_proto_${ARG_NAME} LANGUAGE cpp
    IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto PROTOC_OUT_DIR ${out})
  if(ARG_GRPC)
    target_link_libraries(jaring_proto_${ARG_NAME} PUBLIC PkgConfig::GRPCPP)
    protobuf_generate(TARGET jaring_proto_${ARG_NAME} LANGUAGE grpc
      GENERATE_EXTENSIONS .grpc.pb.h .grpc.pb.cc
      PLUGIN "protoc-gen-grpc=${GRPC_CPP_PLUGIN}"
      IMPORT_DIRS ${PROJECT_SOURCE_DIR}/proto PROTOC_OUT_DIR ${out})
  endif()
endfunction()

# jaring_embed(<var> INPUT <file> NAMESPACE <ns> NAME <symbol>): compiles a text file into a
# `const char <symbol>[]` so that binaries carry their data (area codes, the dashboard page).
function(jaring_embed var)
  cmake_parse_arguments(ARG "" "INPUT;NAMESPACE;NAME" "" ${ARGN})
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${ARG_NAME}.cpp)
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DINPUT=${CMAKE_CURRENT_SOURCE_DIR}/${ARG_INPUT} -DOUTPUT=${out}
      -DNAMESPACE=${ARG_NAMESPACE} -DNAME=${ARG_NAME} -P ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    DEPENDS ${ARG_INPUT} ${PROJECT_SOURCE_DIR}/cmake/embed.cmake
    COMMENT "Embedding ${ARG_INPUT}")
  set(${var} ${out} PARENT_SCOPE)
endfunction()

# Adds every subfolder of the current one that has a CMakeLists.txt (libs/, services/, tools/).
function(jaring_add_subdirectories)
  file(GLOB children LIST_DIRECTORIES true RELATIVE ${CMAKE_CURRENT_SOURCE_DIR} ${CMAKE_CURRENT_SOURCE_DIR}/*)
  list(SORT children)
  foreach(child IN LISTS children)
    if(EXISTS ${CMAKE_CURRENT_SOURCE_DIR}/${child}/CMakeLists.txt)
      add_subdirectory(${child})
    endif()
  endforeach()
endfunction()

# jaring_fuzz(NAME <name> SOURCES ... INCLUDES ... CORPUS <dir>): a libFuzzer target built with
# clang (the project itself builds with GCC), a short run in the default suite (label unit) and
# a long run in `make fuzz`. Skipped with a message when clang's fuzzer runtime is missing.
find_program(JARING_CLANGXX NAMES clang++ clang++-14)
add_custom_target(fuzz-long)
function(jaring_fuzz)
  cmake_parse_arguments(ARG "" "NAME;CORPUS" "SOURCES;INCLUDES" ${ARGN})
  if(NOT JARING_CLANGXX)
    message(STATUS "clang++ not found: fuzz target ${ARG_NAME} skipped")
    return()
  endif()
  set(out ${CMAKE_BINARY_DIR}/fuzz/${ARG_NAME})
  set(sources)
  foreach(src IN LISTS ARG_SOURCES)
    list(APPEND sources ${CMAKE_CURRENT_SOURCE_DIR}/${src})
  endforeach()
  set(includes)
  foreach(dir IN LISTS ARG_INCLUDES)
    list(APPEND includes -I${dir})
  endforeach()
  add_custom_command(OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/fuzz
    COMMAND ${JARING_CLANGXX} -std=c++2b -O1 -g -fsanitize=fuzzer,address,undefined
      -fno-sanitize-recover=undefined ${includes} ${sources} -o ${out}
    DEPENDS ${sources}
    COMMENT "Building fuzz target ${ARG_NAME} with clang")
  add_custom_target(${ARG_NAME} ALL DEPENDS ${out})
  # New inputs and crash artifacts go to the build tree; the committed corpus only seeds.
  set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_CORPUS})
  set(work ${CMAKE_BINARY_DIR}/fuzz/${ARG_NAME}-corpus)
  file(MAKE_DIRECTORY ${work})
  set(flags -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz/${ARG_NAME}- ${work} ${seeds})
  add_test(NAME ${ARG_NAME}.short COMMAND ${out} -runs=50000 -seed=1 ${flags})
  set_tests_properties(${ARG_NAME}.short PROPERTIES LABELS unit TIMEOUT 120)
  add_custom_target(${ARG_NAME}-long COMMAND ${out} -max_total_time=300 -print_final_stats=1 ${flags}
    DEPENDS ${out} USES_TERMINAL)
  add_dependencies(fuzz-long ${ARG_NAME}-long)
endfunction()
