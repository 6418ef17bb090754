# Strict warnings for reclag's own targets only (tests, examples, benchmarks); never added to
# the INTERFACE target, so consumers keep their own flags.
function(reclag_strict_warnings target)
  if(CMAKE_CXX_COMPILER_ID MATCHES "GNU|Clang")
    target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Werror)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU")
      # GCC 12 reports -Wmaybe-uninitialized inside its own AVX-512 intrinsics (the `__Y = __Y`
      # idiom of _mm512_undefined_ps) when Eigen's GEMM is inlined with -march=native on an
      # AVX-512 machine: a false positive in system headers that -Werror must not turn fatal.
      target_compile_options(${target} PRIVATE -Wno-maybe-uninitialized)
    endif()
  elseif(MSVC)
    target_compile_options(${target} PRIVATE /W4 /WX)
  endif()
endfunction()
