# What `cmake --install` and the Debian package (cpack -G DEB) put where, prefix-aware:
#   bin/envpin                                      stripped
#   share/man/man1/envpin.1                         help2man from `envpin --help` and docs/man/envpin.h2m
#   share/bash-completion/completions/envpin        `envpin completions bash`
#   share/zsh/site-functions/_envpin                `envpin completions zsh`
#   share/fish/vendor_completions.d/envpin.fish     `envpin completions fish`
#   share/doc/envpin/                               README.md and docs/*.md
# The man page and completions are generated at build time from the built binary, so they
# always describe its command tree.
include(GNUInstallDirs)

set(envpin_share "${PROJECT_BINARY_DIR}/share")
set(envpin_generated "")
foreach(shell bash zsh fish)
  set(script "${envpin_share}/completions/envpin.${shell}")
  add_custom_command(OUTPUT "${script}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${envpin_share}/completions"
    COMMAND sh -c "\"$1\" completions ${shell} > \"$2\"" sh $<TARGET_FILE:envpin> "${script}"
    DEPENDS envpin
    COMMENT "Generating the ${shell} completion script"
    VERBATIM)
  list(APPEND envpin_generated "${script}")
endforeach()

find_program(HELP2MAN help2man)
set(envpin_man "${envpin_share}/man/envpin.1")
if(HELP2MAN)
  add_custom_command(OUTPUT "${envpin_man}"
    COMMAND "${CMAKE_COMMAND}" -E make_directory "${envpin_share}/man"
    COMMAND "${HELP2MAN}" --no-info --no-discard-stderr --section=1
            --include "${PROJECT_SOURCE_DIR}/docs/man/envpin.h2m" --output "${envpin_man}" $<TARGET_FILE:envpin>
    DEPENDS envpin "${PROJECT_SOURCE_DIR}/docs/man/envpin.h2m"
    COMMENT "Generating the man page"
    VERBATIM)
  list(APPEND envpin_generated "${envpin_man}")
else()
  message(WARNING "help2man not found: no man page is built or installed (apt-get install help2man)")
endif()
add_custom_target(envpin_share ALL DEPENDS ${envpin_generated})

install(TARGETS envpin RUNTIME DESTINATION "${CMAKE_INSTALL_BINDIR}")
install(CODE "execute_process(COMMAND \"${CMAKE_STRIP}\" \"\$ENV{DESTDIR}\${CMAKE_INSTALL_PREFIX}/${CMAKE_INSTALL_BINDIR}/envpin\")")
install(FILES "${envpin_share}/completions/envpin.bash"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/bash-completion/completions" RENAME envpin)
install(FILES "${envpin_share}/completions/envpin.zsh"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/zsh/site-functions" RENAME _envpin)
install(FILES "${envpin_share}/completions/envpin.fish"
        DESTINATION "${CMAKE_INSTALL_DATADIR}/fish/vendor_completions.d")
if(HELP2MAN)
  install(FILES "${envpin_man}" DESTINATION "${CMAKE_INSTALL_MANDIR}/man1")
endif()
file(GLOB envpin_docs "${PROJECT_SOURCE_DIR}/docs/*.md")
install(FILES "${PROJECT_SOURCE_DIR}/README.md" ${envpin_docs} DESTINATION "${CMAKE_INSTALL_DOCDIR}")

# The Debian package: `cpack -G DEB --config build/release/CPackConfig.cmake`. Its library
# dependencies come from dpkg-shlibdeps on the installed binary.
set(CPACK_PACKAGE_NAME envpin)
set(CPACK_PACKAGE_VENDOR "envpin")
set(CPACK_PACKAGE_CONTACT "envpin maintainers <envpin@users.noreply.github.com>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "resolve, lock, snapshot, verify and reset GPU machine-learning environments")
set(CPACK_GENERATOR DEB)
set(CPACK_STRIP_FILES ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_RECOMMENDS "python3-venv, python3-pip")
set(CPACK_DEBIAN_PACKAGE_SUGGESTS "git")
include(CPack)
