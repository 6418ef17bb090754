// write_file_atomically / write_stream_atomically: the target is either the complete new content
// or untouched, and no temporary file is left behind by a finished call.
#include <catch2/catch.hpp>

#include <reclag/io/atomic_file.hpp>
#include <reclag/io/npy.hpp>

#include <cstdio>
#include <cstring>
#include <stdexcept>
#include <string>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "io_test_util.hpp"
#include "shared_data.hpp"

namespace {

void put(std::FILE* f, const std::string& s) {
    if (std::fwrite(s.data(), 1, s.size(), f) != s.size()) throw std::runtime_error("short write");
}

bool has_temporaries(const reclag_test::TempDir& dir) {
    for (const std::string& n : dir.list())
        if (n.find(".tmp.") != std::string::npos) return true;
    return false;
}

}  // namespace

TEST_CASE("atomic write creates and replaces the target and leaves no temporary", "[io][atomic]") {
    reclag_test::TempDir dir;
    const std::string target = dir.file("out.txt");
    reclag::write_file_atomically(target, [](std::FILE* f) { put(f, "first version"); });
    CHECK(reclag_test::read_bytes(target) == "first version");
    CHECK_FALSE(has_temporaries(dir));
    reclag::write_file_atomically(target, [](std::FILE* f) { put(f, "second"); });
    CHECK(reclag_test::read_bytes(target) == "second");
    CHECK(dir.list().size() == 1);

    reclag::write_stream_atomically(target, [](std::ostream& os) { os << "stream " << 42 << '\n'; });
    CHECK(reclag_test::read_bytes(target) == "stream 42\n");
    CHECK(dir.list().size() == 1);

    // Large writes through the stream adaptor (xsputn path).
    const std::string big(1 << 20, 'z');
    reclag::write_stream_atomically(target, [&](std::ostream& os) { os.write(big.data(), static_cast<std::streamsize>(big.size())); });
    CHECK(reclag_test::read_bytes(target) == big);
}

TEST_CASE("a throwing writer leaves the old file unchanged and removes the temporary", "[io][atomic]") {
    reclag_test::TempDir dir;
    const std::string target = dir.file("keep.txt");
    reclag::write_file_atomically(target, [](std::FILE* f) { put(f, "precious"); });

    CHECK_THROWS_WITH(reclag::write_file_atomically(target,
                                                    [](std::FILE* f) {
                                                        put(f, "half a new fi");
                                                        throw std::runtime_error("boom");
                                                    }),
                      "boom");
    CHECK(reclag_test::read_bytes(target) == "precious");
    CHECK_FALSE(has_temporaries(dir));

    CHECK_THROWS_WITH(reclag::write_stream_atomically(target,
                                                      [](std::ostream& os) {
                                                          os << "partial";
                                                          throw std::logic_error("stream boom");
                                                      }),
                      "stream boom");
    CHECK(reclag_test::read_bytes(target) == "precious");
    CHECK_FALSE(has_temporaries(dir));

    // No previous file: nothing is created at all.
    const std::string fresh = dir.file("fresh.txt");
    CHECK_THROWS(reclag::write_file_atomically(fresh, [](std::FILE*) { throw 7; }));
    CHECK_FALSE(reclag_test::path_exists(fresh));
    CHECK(dir.list().size() == 1);
}

TEST_CASE("atomic write errors are io_errors naming the target and leave nothing behind", "[io][atomic]") {
    reclag_test::TempDir dir;
    // The directory does not exist: the temporary cannot be created.
    const std::string nowhere = dir.file("no_such_dir/out.npy");
    try {
        reclag::write_file_atomically(nowhere, [](std::FILE* f) { put(f, "x"); });
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        const std::string msg = e.what();
        CHECK(msg.find(nowhere) != std::string::npos);
        CHECK(msg.find("cannot create temporary file") != std::string::npos);
    }
    CHECK_THROWS_AS(reclag::save_npy(nowhere, Eigen::MatrixXd::Zero(2, 2)), reclag::io_error);

    // The target is a non-empty directory: rename() fails after a complete write.
    const std::string blocker = dir.file("blocker");
    REQUIRE(::mkdir(blocker.c_str(), 0700) == 0);
    reclag_test::write_bytes(blocker + "/inside", "x");
    try {
        reclag::write_file_atomically(blocker, [](std::FILE* f) { put(f, "data"); });
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        const std::string msg = e.what();
        CHECK(msg.find(blocker) != std::string::npos);
        CHECK(msg.find("cannot rename") != std::string::npos);
    }
    CHECK_FALSE(has_temporaries(dir));
    CHECK(reclag_test::read_bytes(blocker + "/inside") == "x");
    ::unlink((blocker + "/inside").c_str());

    // A stream writer that leaves the stream failed is a write error.
    const std::string target = dir.file("t.txt");
    CHECK_THROWS_AS(reclag::write_stream_atomically(target, [](std::ostream& os) { os.setstate(std::ios::failbit); }),
                    reclag::io_error);
    CHECK_FALSE(reclag_test::path_exists(target));
    CHECK_FALSE(has_temporaries(dir));
}

TEST_CASE("temporary names are unique per call", "[io][atomic]") {
    const std::string a = reclag::detail::temporary_name_for("/x/y.npy");
    const std::string b = reclag::detail::temporary_name_for("/x/y.npy");
    CHECK(a != b);
    CHECK(a.rfind("/x/y.npy.tmp." + std::to_string(::getpid()) + ".", 0) == 0);
}

TEST_CASE("a process killed mid-write leaves the previous file intact", "[io][atomic]") {
    reclag_test::TempDir dir;
    const std::string target = dir.file("survivor.npy");
    const Eigen::MatrixXd old = Eigen::MatrixXd::Constant(3, 4, 1.25);
    reclag::save_npy(target, old);
    const std::string before = reclag_test::read_bytes(target);

    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        // Start replacing the file, then die abruptly in the middle of the write.
        reclag::write_file_atomically(target, [](std::FILE* f) {
            put(f, "\x93NUMPY partial");
            std::fflush(f);
            ::_exit(3);
        });
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    REQUIRE(WEXITSTATUS(status) == 3);

    CHECK(reclag_test::read_bytes(target) == before);
    CHECK(reclag::load_npy<Eigen::MatrixXd>(target) == old);
    // The dead process's temporary is the only trace, named after the target.
    int strays = 0;
    for (const std::string& n : dir.list())
        if (n.rfind("survivor.npy.tmp." + std::to_string(child) + ".", 0) == 0) ++strays;
    CHECK(strays == 1);
}

TEST_CASE("save_npy over an existing file replaces it atomically", "[io][atomic][npy]") {
    reclag_test::TempDir dir;
    const std::string target = dir.file("m.npy");
    reclag::save_npy(target, Eigen::MatrixXf::Constant(2, 2, 3.0f));
    reclag::save_npy(target, Eigen::VectorXd::LinSpaced(5, 0.0, 4.0));
    CHECK(dir.list().size() == 1);
    const Eigen::VectorXd v = reclag::load_npy<Eigen::VectorXd>(target);
    CHECK(v == Eigen::VectorXd::LinSpaced(5, 0.0, 4.0));
}
