// main() for the test executables that read ../shared: exits 77 (CTest: skipped) with a clear
// message when the shared reference data is not there, as in a user's clone.
#define CATCH_CONFIG_RUNNER
#include <catch2/catch.hpp>

#include <cstdio>

#include "shared_data.hpp"

int main(int argc, char* argv[]) {
    const std::string dir = reclag_test::fmnist_dir();
    if (!reclag_test::path_exists(dir + "/DONE")) {
        std::printf("SKIPPED: the shared reference data %s is not present "
                    "(set RECLAG_SHARED_DIR to a checkout's shared/ to run these tests)\n",
                    dir.c_str());
        return 77;
    }
    return Catch::Session().run(argc, argv);
}
