# JavaScript guest components, built from source at build time with `jco componentize`
# (componentize-js + StarlingMonkey, from the committed npm lock file).
#
#   cirrus_add_js_component(NAME SOURCE file.js WIT_DIR dir WORLD world
#                           [WIT_DEPS folder...] [JCO_ARGS arg...])
#
# builds ${CIRRUS_GUEST_DIR}/NAME.wasm (CIRRUS_GUEST_DIR = build/<preset>/guests) as part of
# `all`, through the custom target NAME_component (add_dependencies on it from the tests that
# load the file). WIT_DIR is a folder in the tree holding the world's package (.wit files).
# The world may use WASI 0.2.12 (cli, clocks, filesystem, io, random, sockets, http from
# ${CIRRUS_SHARED_DIR}/wit); WIT_DEPS names further package folders: a folder of
# tests/guests/wit (wasi-http@0.2.10, StarlingMonkey's own version, which an HTTP handler must
# export; only where the world uses it: an unused copy makes the splicer panic) or of
# ${CIRRUS_SHARED_DIR}/wit (e.g. wasi-keyvalue@0.2.0-draft), or an absolute path. All are
# copied into the deps/ folder of a build-time copy of WIT_DIR. JCO_ARGS are
# passed on to `jco componentize` (e.g. `-d http`).
#
# CIRRUS_HAVE_JS_COMPONENTS is false when node, jco or the shared WIT folder is missing (the
# function then only warns, or fails the configure in CI).
set(CIRRUS_GUEST_DIR "${CMAKE_BINARY_DIR}/guests")
set(CIRRUS_JCO_JS "${PROJECT_SOURCE_DIR}/node_modules/@bytecodealliance/jco/dist/jco.js")
set(CIRRUS_JCO_PRELOAD "${CMAKE_CURRENT_LIST_DIR}/jco_preload.mjs")
set(CIRRUS_GUEST_WIT_DIR "${PROJECT_SOURCE_DIR}/tests/guests/wit")
find_program(CIRRUS_NODE node)
if(CIRRUS_NODE AND EXISTS "${CIRRUS_JCO_JS}" AND IS_DIRECTORY "${CIRRUS_SHARED_DIR}/wit")
  set(CIRRUS_HAVE_JS_COMPONENTS TRUE)
else()
  set(CIRRUS_HAVE_JS_COMPONENTS FALSE)
endif()

function(cirrus_add_js_component name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "SOURCE;WIT_DIR;WORLD" "WIT_DEPS;JCO_ARGS")
  if(NOT arg_SOURCE OR NOT arg_WIT_DIR OR NOT arg_WORLD)
    message(FATAL_ERROR "cirrus_add_js_component(${name}): SOURCE, WIT_DIR and WORLD are required")
  endif()
  if(NOT CIRRUS_HAVE_JS_COMPONENTS)
    message(${CIRRUS_MISSING_TOOL_LEVEL} "node, jco (npm ci) or ${CIRRUS_SHARED_DIR}/wit missing "
                                         "(run scripts/setup.sh): ${name}.wasm is not built")
    return()
  endif()
  list(PREPEND arg_WIT_DEPS wasi-cli@0.2.12 wasi-clocks@0.2.12 wasi-filesystem@0.2.12
       wasi-io@0.2.12 wasi-random@0.2.12 wasi-sockets@0.2.12 wasi-http@0.2.12)
  list(REMOVE_DUPLICATES arg_WIT_DEPS)
  get_filename_component(source "${arg_SOURCE}" ABSOLUTE)
  get_filename_component(wit_src "${arg_WIT_DIR}" ABSOLUTE)
  set(wit "${CIRRUS_GUEST_DIR}/${name}.wit")
  set(out "${CIRRUS_GUEST_DIR}/${name}.wasm")

  # The WIT folder is assembled afresh on every build of this component: the world's own files,
  # then each dependency's .wit files (not their licence files) under deps/.
  file(GLOB_RECURSE wit_files CONFIGURE_DEPENDS "${wit_src}/*.wit")
  set(copy_steps COMMAND "${CMAKE_COMMAND}" -E rm -rf "${wit}"
                 COMMAND "${CMAKE_COMMAND}" -E copy_directory "${wit_src}" "${wit}")
  foreach(dep_dir IN LISTS arg_WIT_DEPS)
    if(IS_ABSOLUTE "${dep_dir}")
    elseif(IS_DIRECTORY "${CIRRUS_GUEST_WIT_DIR}/${dep_dir}")
      set(dep_dir "${CIRRUS_GUEST_WIT_DIR}/${dep_dir}")
    else()
      set(dep_dir "${CIRRUS_SHARED_DIR}/wit/${dep_dir}")
    endif()
    get_filename_component(dep "${dep_dir}" NAME)
    file(GLOB dep_files CONFIGURE_DEPENDS "${dep_dir}/*.wit")
    if(NOT dep_files)
      message(FATAL_ERROR "cirrus_add_js_component(${name}): no WIT package folder ${dep_dir}")
    endif()
    list(APPEND wit_files ${dep_files})
    list(APPEND copy_steps COMMAND "${CMAKE_COMMAND}" -E make_directory "${wit}/deps/${dep}"
                           COMMAND "${CMAKE_COMMAND}" -E copy ${dep_files} "${wit}/deps/${dep}")
  endforeach()

  add_custom_command(
    OUTPUT "${out}"
    ${copy_steps}
    COMMAND "${CMAKE_COMMAND}" -E env "CIRRUS_NODE_MODULES=${PROJECT_SOURCE_DIR}/node_modules"
            "${CIRRUS_NODE}" --import "${CIRRUS_JCO_PRELOAD}" "${CIRRUS_JCO_JS}" componentize
            "${source}" --wit "${wit}" --world-name "${arg_WORLD}" ${arg_JCO_ARGS} -o "${out}"
    DEPENDS "${source}" ${wit_files} "${CIRRUS_JCO_PRELOAD}"
    COMMENT "jco componentize ${name} (about a minute)"
    VERBATIM)
  add_custom_target(${name}_component ALL DEPENDS "${out}")
endfunction()
