// The one translation unit of the test suite that instantiates make_scorer<float> and
// make_scorer<double> (every scorer's fit, score and save); every other test file is compiled
// with RECLAG_EXTERN_REGISTRY and links this (see include/reclag/score/registry.hpp). Before
// this, each test file that used the registry spent ~2 CPU-minutes compiling it.
#define RECLAG_INSTANTIATE_REGISTRY
#include <reclag/score/registry.hpp>
