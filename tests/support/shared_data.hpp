// Locating ../shared (the real-data reference). Tests that need it live in executables whose
// main() returns 77 when it is absent, which CTest reports as skipped (SKIP_RETURN_CODE 77).
#pragma once

#include <cstdlib>
#include <string>
#include <sys/stat.h>

#ifndef RECLAG_SHARED_DIR
#define RECLAG_SHARED_DIR ""
#endif

namespace reclag_test {

inline bool path_exists(const std::string& p) {
    struct stat st {};
    return ::stat(p.c_str(), &st) == 0;
}

/// $RECLAG_SHARED_DIR if set, else the build-time default (<source>/../shared).
inline std::string shared_dir() {
    if (const char* env = std::getenv("RECLAG_SHARED_DIR")) return env;
    return RECLAG_SHARED_DIR;
}

inline std::string fmnist_dir() { return shared_dir() + "/data/fmnist-cnn512"; }

}  // namespace reclag_test
