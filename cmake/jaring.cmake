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

# Fuzzing. clang 14 (Debian 12) cannot compile this code (libstdc++ 12's std::expected needs
# C++20 concepts clang 14 lacks), so fuzz targets are built by GCC, with GCC's AddressSanitizer
# and UndefinedBehaviorSanitizer, and linked to clang's libFuzzer runtime (libclang-rt-14-dev).
# GCC's coverage hooks (-fsanitize-coverage=trace-pc,trace-cmp) are not libFuzzer's: the
# comparisons feed libFuzzer directly, and libs/testing/fuzz/trace_pc.cpp turns each reached block
# into an 8-bit counter libFuzzer reads, in place of the runtime's own trace_pc, which only
# aborts (hence the copy of the runtime with that symbol made weak).
option(JARING_FUZZ "Build the libFuzzer targets and run them briefly in the default suite" ON)
# -Wno-maybe-uninitialized: with the sanitizers at -O1, GCC 12 reports libstdc++'s own std::regex
# state (std::function members) as maybe uninitialised; the normal build keeps the warning.
set(JARING_FUZZ_FLAGS -O1 -g -UNDEBUG -fno-omit-frame-pointer -fsanitize=address,undefined
  -fno-sanitize-recover=undefined -fsanitize-coverage=trace-pc,trace-cmp -Wno-maybe-uninitialized)
# The runtime of libclang-rt-14-dev (make deps), not another LLVM's that clang-tidy-16 brings.
file(GLOB JARING_LIBFUZZER_CANDIDATES
  /usr/lib/llvm-14/lib/clang/*/lib/linux/libclang_rt.fuzzer-${CMAKE_SYSTEM_PROCESSOR}.a)
list(SORT JARING_LIBFUZZER_CANDIDATES COMPARE NATURAL ORDER DESCENDING)
set(JARING_LIBFUZZER)
if(JARING_LIBFUZZER_CANDIDATES)
  list(GET JARING_LIBFUZZER_CANDIDATES 0 JARING_LIBFUZZER)
endif()
add_custom_target(fuzz-long)
if(JARING_FUZZ AND JARING_LIBFUZZER AND CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
  set(JARING_FUZZ_RUNTIME ${CMAKE_BINARY_DIR}/fuzz/libfuzzer-gcc.a)
  add_custom_command(OUTPUT ${JARING_FUZZ_RUNTIME}
    COMMAND ${CMAKE_COMMAND} -E make_directory ${CMAKE_BINARY_DIR}/fuzz
    COMMAND ${CMAKE_OBJCOPY} --weaken-symbol=__sanitizer_cov_trace_pc ${JARING_LIBFUZZER} ${JARING_FUZZ_RUNTIME}
    DEPENDS ${JARING_LIBFUZZER}
    COMMENT "libFuzzer runtime for GCC-instrumented code")
  add_custom_target(jaring_fuzz_runtime DEPENDS ${JARING_FUZZ_RUNTIME})
  # Not instrumented: the hook must not call itself.
  add_library(jaring_fuzz_main STATIC ${CMAKE_CURRENT_LIST_DIR}/../libs/testing/fuzz/trace_pc.cpp)
  add_dependencies(jaring_fuzz_main jaring_fuzz_runtime)
  target_link_libraries(jaring_fuzz_main INTERFACE ${JARING_FUZZ_RUNTIME} -fsanitize=address,undefined)
  target_include_directories(jaring_fuzz_main INTERFACE ${CMAKE_CURRENT_LIST_DIR}/../libs/testing/fuzz)
  set(JARING_FUZZ_ENABLED ON)
else()
  message(STATUS "fuzz targets skipped (JARING_FUZZ off, GCC not the compiler, or no libclang-rt-*-dev)")
endif()

# An instrumented copy of a static library of this directory (<target>_fuzz, an object library):
# its sources compiled with the fuzz flags, its project-library dependencies of this directory
# instrumented too, everything else (libs/, third party) linked as built. An executable links
# only the objects of object libraries it names itself, so <target>_fuzz's property
# JARING_FUZZ_CLOSURE lists it and every instrumented library it needs.
function(jaring_fuzz_objects target)
  if(TARGET ${target}_fuzz)
    return()
  endif()
  set(closure ${target}_fuzz)
  get_target_property(sources ${target} SOURCES)
  get_target_property(source_dir ${target} SOURCE_DIR)
  get_target_property(includes ${target} INCLUDE_DIRECTORIES)
  get_target_property(deps ${target} LINK_LIBRARIES)
  set(absolute)
  foreach(src IN LISTS sources)
    cmake_path(ABSOLUTE_PATH src BASE_DIRECTORY ${source_dir})
    list(APPEND absolute ${src})
  endforeach()
  add_library(${target}_fuzz OBJECT EXCLUDE_FROM_ALL ${absolute})
  target_compile_options(${target}_fuzz PRIVATE ${JARING_FUZZ_FLAGS})
  if(includes)
    target_include_directories(${target}_fuzz PUBLIC ${includes})
  endif()
  foreach(dep IN LISTS deps)
    if(TARGET ${dep})
      get_target_property(dep_dir ${dep} SOURCE_DIR)
      get_target_property(dep_type ${dep} TYPE)
      get_target_property(dep_alias ${dep} ALIASED_TARGET)
      if(NOT dep_alias AND dep_type STREQUAL "STATIC_LIBRARY" AND dep_dir STREQUAL source_dir)
        jaring_fuzz_objects(${dep})
        get_target_property(dep_closure ${dep}_fuzz JARING_FUZZ_CLOSURE)
        list(APPEND closure ${dep_closure})
        set(dep ${dep}_fuzz)
      endif()
    endif()
    target_link_libraries(${target}_fuzz PUBLIC ${dep})
  endforeach()
  list(REMOVE_DUPLICATES closure)
  set_target_properties(${target}_fuzz PROPERTIES JARING_FUZZ_CLOSURE "${closure}")
endfunction()

# jaring_fuzz(NAME <name> SOURCES ... INSTRUMENT <targets> DEPS ... CORPUS <dir>): a libFuzzer
# target whose SOURCES and INSTRUMENT libraries (of this directory, with their dependencies of
# this directory) are instrumented; DEPS are linked as built. A short run in the default suite
# (label unit; RUNS inputs, 50000 unless given) and a five-minute one in `make fuzz`.
function(jaring_fuzz)
  cmake_parse_arguments(ARG "" "NAME;CORPUS;RUNS" "SOURCES;INSTRUMENT;DEPS" ${ARGN})
  if(NOT JARING_FUZZ_ENABLED)
    return()
  endif()
  if(NOT ARG_RUNS)
    set(ARG_RUNS 50000)
  endif()
  add_executable(${ARG_NAME} ${ARG_SOURCES})
  set_target_properties(${ARG_NAME} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${CMAKE_BINARY_DIR}/fuzz)
  target_compile_options(${ARG_NAME} PRIVATE ${JARING_FUZZ_FLAGS})
  foreach(target IN LISTS ARG_INSTRUMENT)
    jaring_fuzz_objects(${target})
    get_target_property(closure ${target}_fuzz JARING_FUZZ_CLOSURE)
    target_link_libraries(${ARG_NAME} PRIVATE ${closure})
  endforeach()
  target_link_libraries(${ARG_NAME} PRIVATE ${ARG_DEPS} jaring_fuzz_main jaring_warnings)
  set(out $<TARGET_FILE:${ARG_NAME}>)
  # New inputs and crash artifacts go to the build tree; the committed corpus only seeds.
  set(seeds ${CMAKE_CURRENT_SOURCE_DIR}/${ARG_CORPUS})
  set(work ${CMAKE_BINARY_DIR}/fuzz/${ARG_NAME}-corpus)
  file(MAKE_DIRECTORY ${work})
  set(flags -artifact_prefix=${CMAKE_BINARY_DIR}/fuzz/${ARG_NAME}- ${work} ${seeds})
  add_test(NAME ${ARG_NAME}.short COMMAND ${out} -runs=${ARG_RUNS} -seed=1 ${flags})
  set_tests_properties(${ARG_NAME}.short PROPERTIES LABELS unit TIMEOUT 300)
  add_custom_target(${ARG_NAME}-long COMMAND ${out} -max_total_time=300 -print_final_stats=1 ${flags}
    DEPENDS ${ARG_NAME} USES_TERMINAL)
  add_dependencies(fuzz-long ${ARG_NAME}-long)
endfunction()
