# Strict warnings for reclag's own targets only (tests, examples, benchmarks); never added to
# the INTERFACE target, so consumers keep their own flags.
function(reclag_strict_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()
