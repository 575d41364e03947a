# Shared compiler settings as INTERFACE targets, linked privately by every envpin target.
add_library(envpin_settings INTERFACE)
target_compile_features(envpin_settings INTERFACE cxx_std_23)
target_include_directories(envpin_settings INTERFACE "${PROJECT_SOURCE_DIR}")
target_compile_definitions(envpin_settings INTERFACE _FILE_OFFSET_BITS=64 _GNU_SOURCE)

add_library(envpin_warnings INTERFACE)
target_compile_options(envpin_warnings INTERFACE
  -Wall -Wextra -Wshadow -Wnon-virtual-dtor -Wcast-align -Woverloaded-virtual
  -Wnull-dereference -Wimplicit-fallthrough -Wno-missing-field-initializers)
if(ENVPIN_WERROR)
  # Errors in dev builds only, so a newer compiler never breaks a user's build.
  target_compile_options(envpin_warnings INTERFACE -Werror)
endif()

if(ENVPIN_SANITIZE)
  target_compile_options(envpin_settings INTERFACE -fsanitize=address,undefined -fno-omit-frame-pointer)
  target_link_options(envpin_settings INTERFACE -fsanitize=address,undefined)
endif()

# envpin_library(NAME SOURCES... DEPS ...): one top-level folder = one static library.
function(envpin_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;PUBLIC;PRIVATE" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_link_libraries(${name} PUBLIC envpin_settings ${ARG_PUBLIC} PRIVATE envpin_warnings ${ARG_PRIVATE})
endfunction()
