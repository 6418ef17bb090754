// Every kind of malformed .npy file: built byte by byte in a temporary directory, it must throw
// reclag::io_error whose message names the file and the problem, from load_npy, from
// read_npy_header and from the in-memory API. A small deterministic mutation sweep checks that
// no corruption of a valid file escapes as anything but io_error (or a correct load).
#include <catch2/catch.hpp>

#include <reclag/core/types.hpp>
#include <reclag/io/npy.hpp>

#include <cstdint>
#include <string>
#include <vector>

#include "io_test_util.hpp"

namespace {

using reclag_test::make_npy;
using RowMatD = reclag::RowMatrix<double>;

const std::string kF8x6 = reclag_test::raw(std::vector<double>{1, 2, 3, 4, 5, 6});

std::string header(const std::string& descr, const std::string& shape, const std::string& order = "False") {
    return "{'descr': '" + descr + "', 'fortran_order': " + order + ", 'shape': " + shape + ", }\n";
}

/// Writes `bytes` to <dir>/<name>, then checks that `load` throws io_error mentioning the path
/// and `word`. Also runs the memory API on the same bytes (message names "mem:<name>").
template <typename Load, typename LoadMem>
void expect_io_error(const std::string& name, const std::string& bytes, const std::string& word, Load load,
                     LoadMem load_mem) {
    reclag_test::TempDir dir;
    const std::string path = dir.file(name);
    reclag_test::write_bytes(path, bytes);
    INFO("file " << name << ", expecting '" << word << "'");
    try {
        load(path);
        FAIL("no io_error thrown for " << name);
    } catch (const reclag::io_error& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        CHECK(msg.find(path) != std::string::npos);
        CHECK(msg.find(word) != std::string::npos);
    }
    const std::string mem_name = "mem:" + name;
    try {
        load_mem(bytes, mem_name);
        FAIL("no io_error thrown from memory for " << name);
    } catch (const reclag::io_error& e) {
        const std::string msg = e.what();
        INFO("message: " << msg);
        CHECK(msg.find(mem_name) != std::string::npos);
        CHECK(msg.find(word) != std::string::npos);
    }
}

/// A problem in the file itself: load_npy, read_npy_header and both memory variants all throw.
void expect_bad_file(const std::string& name, const std::string& bytes, const std::string& word) {
    expect_io_error(
        name, bytes, word, [](const std::string& p) { (void)reclag::load_npy<RowMatD>(p); },
        [](const std::string& b, const std::string& n) { (void)reclag::load_npy_from_memory<RowMatD>(b.data(), b.size(), n); });
    expect_io_error(
        name, bytes, word, [](const std::string& p) { (void)reclag::read_npy_header(p); },
        [](const std::string& b, const std::string& n) { (void)reclag::read_npy_header_from_memory(b.data(), b.size(), n); });
}

}  // namespace

TEST_CASE("malformed: missing file and a directory", "[io][npy][malformed]") {
    reclag_test::TempDir dir;
    const std::string missing = dir.file("does_not_exist.npy");
    try {
        (void)reclag::load_npy<RowMatD>(missing);
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        const std::string msg = e.what();
        CHECK(msg.find(missing) != std::string::npos);
        CHECK(msg.find("cannot open") != std::string::npos);
        CHECK(msg.find("No such file") != std::string::npos);
    }
    CHECK_THROWS_AS(reclag::read_npy_header(missing), reclag::io_error);
    try {
        (void)reclag::load_npy<RowMatD>(dir.path());
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(std::string(e.what()).find("not a regular file") != std::string::npos);
    }
}

TEST_CASE("malformed: bad magic and short files", "[io][npy][malformed]") {
    std::string bad = make_npy(header("<f8", "(2, 3)"), kF8x6);
    bad[1] = 'X';
    expect_bad_file("bad_magic.npy", bad, "magic");
    expect_bad_file("pickle.npy", "\x80\x04\x95 this is a pickle, not an npy file", "magic");
    expect_bad_file("empty.npy", "", "too short");
    expect_bad_file("nine_bytes.npy", std::string("\x93NUMPY\x01\x00\x10", 9), "too short");
    expect_bad_file("len_cut.npy", std::string("\x93NUMPY\x02\x00\x10\x00", 10), "header length");
}

TEST_CASE("malformed: unsupported versions", "[io][npy][malformed]") {
    expect_bad_file("v4.npy", make_npy(header("<f8", "(2, 3)"), kF8x6, 4, 0), "version 4.0");
    expect_bad_file("v0.npy", make_npy(header("<f8", "(2, 3)"), kF8x6, 0, 0), "version 0.0");
    expect_bad_file("v1_1.npy", make_npy(header("<f8", "(2, 3)"), kF8x6, 1, 1), "version 1.1");
}

TEST_CASE("malformed: header length past the end of the file", "[io][npy][malformed]") {
    std::string bytes = make_npy(header("<f8", "(2, 3)"), "");
    bytes[8] = '\xff';  // claims a 65535-byte header
    bytes[9] = '\xff';
    expect_bad_file("hlen_v1.npy", bytes, "header length 65535 runs past the end");
    std::string v2 = make_npy(header("<f8", "(2, 3)"), kF8x6, 2);
    v2[11] = '\x7f';  // ~2 GB header in a 4-byte length
    expect_bad_file("hlen_v2.npy", v2, "runs past the end");
}

TEST_CASE("malformed: unparsable header dicts", "[io][npy][malformed]") {
    const std::vector<std::string> bad = {
        "",                                                                  // nothing
        "['descr', '<f8']\n",                                                // not a dict
        "{'descr' '<f8', 'fortran_order': False, 'shape': (2, 3), }\n",      // missing ':'
        "{'descr': '<f8' 'fortran_order': False, 'shape': (2, 3), }\n",      // missing ','
        "{'descr': '<f8, 'fortran_order': False, 'shape': (2, 3), }\n",      // quote mismatch
        "{'descr': '<f8', 'fortran_order': false, 'shape': (2, 3), }\n",     // not Python's False
        "{'descr': '<f8', 'fortran_order': False, 'shape': [2, 3], }\n",     // list, not tuple
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2; 3), }\n",     // bad separator
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3.0), }\n",   // non-integer
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), } x\n",   // trailing junk
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), \n",      // unterminated dict
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3",           // cut mid-tuple
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2, 3), 'x': 1}\n",  // unknown key
        "{'descr': '<f8', 'descr': '<f8', 'fortran_order': False, 'shape': (2, 3)}\n",  // duplicate
        "{descr: '<f8', 'fortran_order': False, 'shape': (2, 3)}\n",         // unquoted key
        "{'descr': 5, 'fortran_order': False, 'shape': (2, 3)}\n",           // descr not a string
    };
    for (std::size_t i = 0; i < bad.size(); ++i)
        expect_bad_file("unparsable_" + std::to_string(i) + ".npy", make_npy(bad[i], kF8x6), "cannot parse the header");
}

TEST_CASE("malformed: missing keys", "[io][npy][malformed]") {
    expect_bad_file("no_descr.npy", make_npy("{'fortran_order': False, 'shape': (2, 3), }\n", kF8x6),
                    "no 'descr' key");
    expect_bad_file("no_order.npy", make_npy("{'descr': '<f8', 'shape': (2, 3), }\n", kF8x6),
                    "no 'fortran_order' key");
    expect_bad_file("no_shape.npy", make_npy("{'descr': '<f8', 'fortran_order': False, }\n", kF8x6),
                    "no 'shape' key");
    expect_bad_file("empty_dict.npy", make_npy("{}\n", kF8x6), "missing key");
}

TEST_CASE("malformed: object and unsupported dtypes", "[io][npy][malformed]") {
    expect_bad_file("object.npy", make_npy(header("|O", "(2, 3)"), kF8x6), "object arrays");
    expect_bad_file("object8.npy", make_npy(header("|O8", "(6,)"), kF8x6), "object arrays");
    for (const char* descr : {"<c16", "<c8", "<U5", "|S3", "<M8[ns]", "<m8", "|V8", "<f16", "<f3", "<i3", "|b2", "",
                              "<", "float32", "<f4x"}) {
        INFO(descr);
        expect_bad_file("dtype.npy", make_npy(header(descr, "(2, 3)"), kF8x6), "unsupported dtype");
    }
    expect_bad_file("structured.npy",
                    make_npy("{'descr': [('a', '<f4'), ('b', '<f4')], 'fortran_order': False, 'shape': (3,), }\n", kF8x6),
                    "unsupported dtype: structured");
}

TEST_CASE("malformed: truncated data and data longer than the shape", "[io][npy][malformed]") {
    const std::string five = kF8x6.substr(0, 40);
    expect_bad_file("truncated.npy", make_npy(header("<f8", "(2, 3)"), five), "truncated data");
    expect_bad_file("truncated_byte.npy", make_npy(header("<f8", "(2, 3)"), kF8x6.substr(0, 47)), "truncated data");
    expect_bad_file("no_data.npy", make_npy(header("<f8", "(2, 3)"), ""), "truncated data");
    expect_bad_file("trailing.npy", make_npy(header("<f8", "(2, 3)"), kF8x6 + "x"), "1 trailing bytes");
    // The shape disagrees with the amount of data in either direction.
    expect_bad_file("shape_too_big.npy", make_npy(header("<f8", "(3, 3)"), kF8x6), "needs 72 bytes");
    expect_bad_file("shape_too_small.npy", make_npy(header("<f8", "(2, 2)"), kF8x6), "16 trailing bytes");
    expect_bad_file("scalar_vs_6.npy", make_npy(header("<f8", "()"), kF8x6), "trailing bytes");
}

TEST_CASE("malformed: shapes that overflow or are negative", "[io][npy][malformed]") {
    // 2^62 * 4 elements overflow int64; 2^61 * 2 elements fit but 2^62 * 8 bytes do not.
    expect_bad_file("overflow_count.npy", make_npy(header("<f8", "(4611686018427387904, 4)"), kF8x6), "overflows");
    expect_bad_file("overflow_bytes.npy", make_npy(header("<f8", "(2305843009213693952, 2)"), kF8x6), "overflows");
    expect_bad_file("overflow_3d.npy", make_npy(header("<f8", "(4294967296, 4294967296, 4294967296)"), kF8x6),
                    "overflows");
    expect_bad_file("overflow_dim.npy", make_npy(header("<f8", "(99999999999999999999, 1)"), kF8x6),
                    "overflows int64");
    expect_bad_file("negative.npy", make_npy(header("<f8", "(-2, 3)"), kF8x6), "negative dimension");
    expect_bad_file("negative2.npy", make_npy(header("<f8", "(2, -3)"), kF8x6), "negative dimension");
    // A zero dimension makes the product zero even with a huge other dimension: valid and empty.
    const std::string empty = make_npy(header("<f8", "(0, 4611686018427387904)"), "");
    CHECK(reclag::read_npy_header_from_memory(empty.data(), empty.size()).num_elements() == 0);
}

TEST_CASE("malformed for a matrix: more than two dimensions", "[io][npy][malformed]") {
    const std::string bytes = make_npy(header("<f8", "(1, 2, 3)"), kF8x6);
    // The header itself is valid (read_npy_header succeeds), only loading into a matrix fails.
    CHECK(reclag::read_npy_header_from_memory(bytes.data(), bytes.size()).shape.size() == 3);
    expect_io_error(
        "three_d.npy", bytes, "3 dimensions", [](const std::string& p) { (void)reclag::load_npy<RowMatD>(p); },
        [](const std::string& b, const std::string& n) { (void)reclag::load_npy_from_memory<RowMatD>(b.data(), b.size(), n); });
    expect_io_error(
        "three_d_vec.npy", bytes, "3 dimensions",
        [](const std::string& p) { (void)reclag::load_npy<Eigen::VectorXd>(p); },
        [](const std::string& b, const std::string& n) {
            (void)reclag::load_npy_from_memory<Eigen::VectorXd>(b.data(), b.size(), n);
        });
}

TEST_CASE("mutation sweep: every truncation and many byte flips give a load or an io_error", "[io][npy][malformed]") {
    const std::string good = make_npy(header("<f4", "(2, 3)"), reclag_test::raw(std::vector<float>{1, 2, 3, 4, 5, 6}));
    auto attempt = [](const std::string& b) {
        try {
            (void)reclag::load_npy_from_memory<reclag::RowMatrix<float>>(b.data(), b.size(), "sweep");
            (void)reclag::load_npy_from_memory<Eigen::Matrix<std::int64_t, -1, -1>>(b.data(), b.size(), "sweep");
        } catch (const reclag::io_error&) {
        }
    };
    int cases = 0;
    for (std::size_t len = 0; len < good.size(); ++len, ++cases) CHECK_NOTHROW(attempt(good.substr(0, len)));
    const unsigned char values[] = {0x00, 0x01, 0x20, 0x27, 0x28, 0x29, 0x2c, 0x2d, 0x30, 0x39, 0x3a,
                                    0x3c, 0x3e, 0x4f, 0x54, 0x7b, 0x7d, 0x7f, 0x80, 0xff};
    for (std::size_t pos = 0; pos < good.size(); ++pos)
        for (unsigned char v : values) {
            std::string b = good;
            b[pos] = static_cast<char>(v);
            CHECK_NOTHROW(attempt(b));
            ++cases;
        }
    CHECK(cases == static_cast<int>(good.size() * (1 + sizeof values)));
}
