# Sanitizer builds of reclag's own test targets (issue #6, item 4), e.g.
#   cmake -S . -B build-asan -DRECLAG_SANITIZE=address,undefined
#   cmake -S . -B build-tsan -DRECLAG_SANITIZE=thread
# .ci/sanitizers.sh runs both. The flags go on the targets that reclag_sanitize() is applied to
# (the tests, their precompiled header and helper objects), compile AND link, never on the
# INTERFACE target reclag::reclag: a consumer's flags stay the consumer's.
# -fno-sanitize-recover=all turns every UBSan report into a failure (a test that "passes"
# with a report printed would otherwise go unnoticed); -fno-omit-frame-pointer gives the
# sanitizers' fast unwinder complete stacks.
set(RECLAG_SANITIZE "" CACHE STRING
    "Comma-separated -fsanitize= list for reclag's test targets (\"\" = none; e.g. address,undefined or thread)")

if(RECLAG_SANITIZE)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    message(FATAL_ERROR "RECLAG_SANITIZE=${RECLAG_SANITIZE}: sanitizers need GCC or Clang, not ${CMAKE_CXX_COMPILER_ID}")
  endif()
  if(RECLAG_SANITIZE MATCHES "thread" AND RECLAG_SANITIZE MATCHES "address|leak|memory")
    message(FATAL_ERROR "RECLAG_SANITIZE=${RECLAG_SANITIZE}: ThreadSanitizer cannot be combined with "
                        "AddressSanitizer, LeakSanitizer or MemorySanitizer (use two build directories)")
  endif()
  message(STATUS "reclag: test targets built with -fsanitize=${RECLAG_SANITIZE}")
endif()

function(reclag_sanitize target)
  if(RECLAG_SANITIZE)
    set(flags -fsanitize=${RECLAG_SANITIZE} -fno-omit-frame-pointer -fno-sanitize-recover=all)
    target_compile_options(${target} PRIVATE ${flags})
    get_target_property(type ${target} TYPE)
    if(NOT type STREQUAL "OBJECT_LIBRARY")
      target_link_options(${target} PRIVATE ${flags})
    endif()
  endif()
endfunction()
