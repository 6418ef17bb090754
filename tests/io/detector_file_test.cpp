// Detector files (io/detector_file.hpp): exact round trips (bit-identical scores, float and
// double, global and per class), the documented layout rebuilt by an independent encoder in this
// file (both byte orders), every kind of malformed file, and atomic replacement.
#include <catch2/catch.hpp>

#include <reclag/io/detector_file.hpp>
#include <reclag/train/reclag_training.hpp>

#include <cstdint>
#include <cstring>
#include <csignal>
#include <limits>
#include <random>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

#include "io_test_util.hpp"
#include "shared_data.hpp"

namespace {

template <typename Scalar>
reclag::RowMatrix<Scalar> random_matrix(reclag::Index rows, reclag::Index cols, unsigned seed, double scale = 1.0) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> dist(0.0, scale);
    reclag::RowMatrix<Scalar> m(rows, cols);
    for (reclag::Index i = 0; i < m.size(); ++i) m.data()[i] = static_cast<Scalar>(dist(gen));
    return m;
}

/// Bitwise equality of two vectors (== would also accept -0 vs +0; NaN would never match).
template <typename Scalar>
bool bit_identical(const reclag::Vector<Scalar>& a, const reclag::Vector<Scalar>& b) {
    return a.size() == b.size() &&
           std::memcmp(a.data(), b.data(), sizeof(Scalar) * static_cast<std::size_t>(a.size())) == 0;
}

template <typename Scalar>
bool same_bits(Scalar a, Scalar b) {
    return std::memcmp(&a, &b, sizeof a) == 0;
}

bool has_temporaries(const reclag_test::TempDir& dir) {
    for (const std::string& n : dir.list())
        if (n.find(".tmp.") != std::string::npos) return true;
    return false;
}

/// Test data: features (n x D), logits (n x C) and labels, with some rows all zero (x~ = 0).
template <typename Scalar>
struct Split {
    reclag::RowMatrix<Scalar> x, z;
    reclag::LabelVector y;
    Split(reclag::Index n, reclag::Index d, reclag::Index c, unsigned seed)
        : x(random_matrix<Scalar>(n, d, seed, 2.0)), z(random_matrix<Scalar>(n, c, seed + 1)), y(n) {
        x.row(3).setZero();
        for (reclag::Index i = 0; i < n; ++i) {
            reclag::Index arg = 0;
            z.row(i).maxCoeff(&arg);
            y(i) = static_cast<std::int64_t>(i % 5 == 0 ? (arg + 1) % c : arg);
        }
    }
    reclag::FeatureView<Scalar> view() const { return reclag::FeatureView<Scalar>(x, z, y); }
};

template <typename Scalar>
void check_same_detector(const reclag::ReclagScorer<Scalar>& a, const reclag::ReclagScorer<Scalar>& b,
                         const reclag::FeatureView<Scalar>& split) {
    REQUIRE(b.is_fitted() == a.is_fitted());
    CHECK(b.detector().per_class() == a.detector().per_class());
    CHECK(same_bits(b.param().beta, a.param().beta));
    CHECK(same_bits(b.param().norm, a.param().norm));
    CHECK(b.param().target_tpr == a.param().target_tpr);
    CHECK(same_bits(b.log_gamma(), a.log_gamma()));
    const auto& xa = a.detector().interaction();
    const auto& xb = b.detector().interaction();
    REQUIRE(xb.size() == xa.size());
    for (std::size_t k = 0; k < xa.size(); ++k) {
        REQUIRE(xb[k].rows() == xa[k].rows());
        REQUIRE(xb[k].cols() == xa[k].cols());
        CHECK(std::memcmp(xb[k].data(), xa[k].data(), sizeof(Scalar) * static_cast<std::size_t>(xa[k].size())) == 0);
    }
    if (a.is_fitted()) {
        CHECK(bit_identical<Scalar>(b.score(split), a.score(split)));
        CHECK(bit_identical<Scalar>(b.gate(split), a.gate(split)));
        CHECK(b.is_ood(split) == a.is_ood(split));
    }
}

// ---- an independent encoder of the documented layout -------------------------------------

std::uint64_t fnv1a64_ref(const std::string& s) {
    std::uint64_t h = 14695981039346656037ull;
    for (unsigned char c : s) {
        h ^= c;
        h *= 1099511628211ull;
    }
    return h;
}

struct HandFile {
    bool big_endian = false;
    std::uint32_t version = 1;
    std::uint32_t marker = 0x01020304u;
    std::uint32_t scalar_bytes = 4;
    std::uint32_t flags = 2;  // fitted, global
    std::uint64_t k = 1, d = 3;
    double beta = 5, norm = 10, log_gamma = 1.25, tpr = 0.95;
    std::string description = "hand-built";
    struct Array {
        std::uint64_t rows, cols;
        std::vector<double> values;
    };
    std::vector<Array> xi{{2, 3, {1, 0, 0.5, -1, 2, 0.25}}};
    std::vector<Array> log_var;    // rows unused: written as [u64 cols, values]
    std::string extra_payload;     // appended before the checksum (leftover bytes)
    long long size_delta = 0;      // declared size = actual + delta
    bool corrupt_checksum = false;

    std::string out;
    void bytes(const void* p, std::size_t n) {
        std::string b(static_cast<const char*>(p), n);
        if (big_endian) b = std::string(b.rbegin(), b.rend());  // the host is little-endian
        out += b;
    }
    void u32(std::uint32_t v) { bytes(&v, 4); }
    void u64(std::uint64_t v) { bytes(&v, 8); }
    void f64(double v) { bytes(&v, 8); }
    void element(double v) {
        if (scalar_bytes == 4) {
            const float f = static_cast<float>(v);
            bytes(&f, 4);
        } else {
            bytes(&v, 8);
        }
    }
    std::string encode() {
        out = "RECLAGDT";
        u32(version);
        u32(marker);
        const std::size_t size_at = out.size();
        u64(0);  // patched below
        u32(scalar_bytes);
        u32(flags);
        u64(k);
        u64(d);
        f64(beta);
        f64(norm);
        f64(log_gamma);
        f64(tpr);
        u64(description.size());
        out += description;
        for (const Array& a : xi) {
            u64(a.rows);
            u64(a.cols);
            for (double v : a.values) element(v);
        }
        for (const Array& a : log_var) {
            u64(a.cols);
            for (double v : a.values) element(v);
        }
        out += extra_payload;
        const std::uint64_t declared = static_cast<std::uint64_t>(static_cast<long long>(out.size() + 8) + size_delta);
        std::string saved = out;
        out.clear();
        u64(declared);
        saved.replace(size_at, 8, out);
        out = saved;
        const std::uint64_t sum = fnv1a64_ref(out) ^ (corrupt_checksum ? 1u : 0u);
        u64(sum);
        return out;
    }
};

template <typename Scalar>
reclag::LoadedDetector<Scalar> load_bytes(const std::string& b, const std::string& name = "bytes.reclag") {
    return reclag::load_detector_from_memory<Scalar>(b.data(), b.size(), name);
}

/// The message of the io_error that loading `b` throws (fails the test if none or another type).
std::string load_error(const std::string& b) {
    try {
        (void)load_bytes<double>(b, "bad.reclag");
    } catch (const reclag::io_error& e) {
        return e.what();
    } catch (const std::exception& e) {
        FAIL("expected reclag::io_error, got another exception: " << e.what());
    }
    FAIL("expected reclag::io_error, the load succeeded");
    return {};
}

bool contains(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

}  // namespace

TEST_CASE("FNV-1a 64 matches the published test vectors", "[io][detector]") {
    const auto h = [](const std::string& s) {
        return reclag::detail::fnv1a64(reinterpret_cast<const unsigned char*>(s.data()), s.size());
    };
    CHECK(h("") == 0xcbf29ce484222325ull);
    CHECK(h("a") == 0xaf63dc4c8601ec8cull);
    CHECK(h("foobar") == 0x85944171f73967e8ull);
}

TEMPLATE_TEST_CASE("a saved detector loads back scoring bit-identically", "[io][detector]", float, double) {
    using S = TestType;
    reclag_test::TempDir dir;
    const Split<S> data(300, 12, 4, 11);
    const reclag::FeatureView<S> split = data.view();
    const std::string path = dir.file("det.reclag");

    SECTION("global xi, fitted by calibration, paper preset") {
        reclag::ReclagScorer<S> s(random_matrix<S>(25, 12, 5, 0.7));
        s.fit(split);
        reclag::save_detector(path, s);
        const reclag::ReclagScorer<S> t = reclag::load_detector<S>(path);
        check_same_detector(s, t, split);
        const reclag::DetectorFileInfo info = reclag::read_detector_info(path);
        CHECK(info.scalar_bytes == static_cast<int>(sizeof(S)));
        CHECK_FALSE(info.per_class);
        CHECK(info.num_classes() == 0);
        CHECK(info.num_xi == 1);
        CHECK(info.feature_dim == 12);
        CHECK(info.fitted);
        CHECK(info.format_version == 1);
        CHECK(dir.list().size() == 1);
    }
    SECTION("per-class xi with different N_H per class, raw features, given log gamma") {
        typename reclag::ReclagScorer<S>::Param p;
        p.norm = 0;
        p.beta = S(0.3);
        p.target_tpr = 0.9;
        std::vector<reclag::RowMatrix<S>> xi;
        for (int c = 0; c < 4; ++c) xi.push_back(random_matrix<S>(3 + 2 * c, 12, 20 + static_cast<unsigned>(c)));
        reclag::ReclagScorer<S> s(xi, p);
        s.set_log_gamma(std::log(S(250)));
        reclag::DetectorExtras<S> extras;
        extras.description = "per-class test \xc3\xa9";
        for (int c = 0; c < 4; ++c) extras.log_var.push_back(random_matrix<S>(12, 1, 40 + static_cast<unsigned>(c)));
        reclag::save_detector(path, s, extras);
        const reclag::LoadedDetector<S> l = reclag::load_detector_file<S>(path);
        check_same_detector(s, l.scorer, split);
        CHECK(l.info.per_class);
        CHECK(l.info.num_classes() == 4);
        CHECK(l.info.has_log_var);
        CHECK(l.extras.description == extras.description);
        REQUIRE(l.extras.log_var.size() == 4);
        for (int c = 0; c < 4; ++c) CHECK(l.extras.log_var[static_cast<std::size_t>(c)] == extras.log_var[static_cast<std::size_t>(c)]);
    }
    SECTION("trained by the SFNN trainer (global and per class), then saved") {
        typename reclag::SfnnTrainer<S>::Param tp;
        tp.n_hidden = 20;
        tp.epochs = 2;
        tp.batch_size = 64;
        reclag::ReclagScorer<S> g;
        g.set_trainer(reclag::sfnn_reclag_trainer<S>(tp));
        g.fit(split);
        reclag::save_detector(path, g);
        check_same_detector(g, reclag::load_detector<S>(path), split);

        typename reclag::SfnnTrainer<S>::Param cp = reclag::SfnnTrainer<S>::Param::public_code();
        cp.epochs = 1;
        cp.batch_size = 10;
        typename reclag::ReclagScorer<S>::Param sp;
        sp.norm = 0;
        reclag::ReclagScorer<S> pc(sp);
        pc.set_trainer(reclag::sfnn_reclag_trainer<S>(cp, true));
        pc.fit(split);
        reclag::save_detector(path, pc);
        check_same_detector(pc, reclag::load_detector<S>(path), split);
    }
    SECTION("an unfitted scorer (xi only) loads unfitted and can be calibrated later") {
        reclag::ReclagScorer<S> s(random_matrix<S>(7, 12, 6));
        reclag::save_detector(path, s);
        reclag::ReclagScorer<S> t = reclag::load_detector<S>(path);
        CHECK_FALSE(t.is_fitted());
        CHECK(t.has_interaction());
        CHECK_THROWS_AS(t.score(split), reclag::invalid_argument);
        s.fit(split);
        t.fit(split);
        check_same_detector(s, t, split);
    }
    SECTION("saving twice gives the same bytes, and memory and file agree") {
        reclag::ReclagScorer<S> s(random_matrix<S>(9, 12, 8));
        s.fit(split);
        reclag::save_detector(path, s);
        const std::string mem = reclag::save_detector_to_memory(s);
        CHECK(reclag_test::read_bytes(path) == mem);
        check_same_detector(s, load_bytes<S>(mem).scorer, split);
    }
}

TEST_CASE("a float file loads widened into double; a double file is refused as float", "[io][detector]") {
    const Split<float> dataf(50, 6, 3, 3);
    reclag::ReclagScorer<float> s(random_matrix<float>(8, 6, 4));
    s.fit(dataf.view());
    const std::string bytes = reclag::save_detector_to_memory(s);
    const reclag::ReclagScorer<double> d = load_bytes<double>(bytes).scorer;
    REQUIRE(d.is_fitted());
    CHECK(d.detector().interaction()[0] == s.detector().interaction()[0].cast<double>());
    CHECK(d.log_gamma() == static_cast<double>(s.log_gamma()));
    CHECK(d.param().beta == 5.0);
    const reclag::RowMatrix<double> xd = dataf.x.cast<double>();
    const reclag::Vector<double> rd = d.score(reclag::FeatureView<double>(xd));
    const reclag::Vector<float> rf = s.score(dataf.view());
    CHECK((rd - rf.cast<double>()).cwiseAbs().maxCoeff() < 1e-4);

    const reclag::ReclagScorer<double> sd(random_matrix<double>(8, 6, 4));
    const std::string dbytes = reclag::save_detector_to_memory(sd);
    try {
        (void)load_bytes<float>(dbytes, "wide.reclag");
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(contains(e.what(), "wide.reclag: "));
        CHECK(contains(e.what(), "float64"));
    }
}

TEST_CASE("the documented layout, written by hand in either byte order, loads", "[io][detector]") {
    for (const bool be : {false, true}) {
        for (const std::uint32_t sb : {4u, 8u}) {
            HandFile h;
            h.big_endian = be;
            h.scalar_bytes = sb;
            h.flags = 2 | 4;
            h.log_var = {{1, 3, {0.5, -0.5, 0}}};
            const reclag::LoadedDetector<double> l = load_bytes<double>(h.encode());
            CHECK(l.info.big_endian == be);
            CHECK(l.info.scalar_bytes == static_cast<int>(sb));
            CHECK(l.scorer.is_fitted());
            CHECK(l.scorer.log_gamma() == 1.25);
            CHECK(l.scorer.param().beta == 5.0);
            CHECK(l.scorer.param().norm == 10.0);
            CHECK(l.extras.description == "hand-built");
            reclag::RowMatrix<double> expected(2, 3);
            expected << 1, 0, 0.5, -1, 2, 0.25;  // all exact in float
            CHECK(l.scorer.detector().interaction()[0] == expected);
            REQUIRE(l.extras.log_var.size() == 1);
            CHECK(l.extras.log_var[0] == Eigen::Vector3d(0.5, -0.5, 0));
            // r(x) by hand for x = (3, 0, 4): x~ = 10 x / 5 = (6, 0, 8); xi x~ = (10, -4);
            // r = LSE(5 * 10, 5 * -4) = 50 + log(1 + e^-70).
            const reclag::RowMatrix<double> x = (reclag::RowMatrix<double>(1, 3) << 3, 0, 4).finished();
            CHECK(l.scorer.score(reclag::FeatureView<double>(x))(0) == Approx(50 + std::log1p(std::exp(-70.0))));
        }
    }
    // The writer's bytes are exactly what the documentation says (little-endian host).
    HandFile h;
    h.description = "";
    reclag::RowMatrix<float> xi(2, 3);
    xi << 1, 0, 0.5f, -1, 2, 0.25f;
    reclag::ReclagScorer<float> s(xi);
    s.set_log_gamma(1.25f);
    CHECK(reclag::save_detector_to_memory(s) == h.encode());
}

TEST_CASE("every truncation and every corrupted byte is an io_error, never a crash", "[io][detector]") {
    std::vector<reclag::RowMatrix<float>> xi{random_matrix<float>(3, 4, 1), random_matrix<float>(2, 4, 2)};
    reclag::ReclagScorer<float> s(xi);
    s.set_log_gamma(0.5f);
    reclag::DetectorExtras<float> ex;
    ex.description = "x";
    ex.log_var = {random_matrix<float>(4, 1, 3), random_matrix<float>(4, 1, 4)};
    const std::string good = reclag::save_detector_to_memory(s, ex);
    REQUIRE_NOTHROW(load_bytes<float>(good));

    for (std::size_t len = 0; len < good.size(); ++len) {
        INFO("prefix of " << len << " bytes");
        const std::string msg = load_error(good.substr(0, len));
        CHECK(msg.rfind("bad.reclag: ", 0) == 0);
        CHECK(contains(msg, "truncated"));
    }
    for (std::size_t i = 0; i < good.size(); ++i) {
        for (const unsigned char mask : {0x01, 0x80, 0xFF}) {
            std::string bad = good;
            bad[i] = static_cast<char>(static_cast<unsigned char>(bad[i]) ^ mask);
            INFO("byte " << i << " xor " << int(mask));
            const std::string msg = load_error(bad);
            CHECK(msg.rfind("bad.reclag: ", 0) == 0);
        }
    }
    // Past the header fields, a flipped byte is reported as corruption by the checksum.
    std::string bad = good;
    bad[100] = static_cast<char>(bad[100] ^ 0x10);
    CHECK(contains(load_error(bad), "checksum mismatch"));
    CHECK(contains(load_error(good + "zz"), "2 unexpected bytes after the declared end"));
}

TEST_CASE("malformed detector files give io_errors naming the problem", "[io][detector]") {
    SECTION("wrong magic, byte-order marker, versions") {
        std::string b = HandFile().encode();
        b[0] = 'X';
        CHECK(contains(load_error(b), "not a reclag detector file"));
        CHECK(contains(load_error("\x93NUMPY\x01\x00"), "not a reclag detector file"));
        CHECK(contains(load_error(""), "truncated"));
        CHECK(contains(load_error("RECL"), "truncated"));
        HandFile m;
        m.marker = 0x11223344u;
        CHECK(contains(load_error(m.encode()), "byte-order marker"));
        HandFile v;
        v.version = 2;  // with a valid checksum: the version alone is the problem
        const std::string msg = load_error(v.encode());
        CHECK(contains(msg, "format version 2 is newer"));
        CHECK(contains(msg, "upgrade reclag"));
        v.version = 0;
        CHECK(contains(load_error(v.encode()), "invalid format version 0"));
    }
    SECTION("declared size and checksum") {
        HandFile t;
        t.size_delta = 4;
        CHECK(contains(load_error(t.encode()), "truncated: the file has"));
        t.size_delta = -4;
        CHECK(contains(load_error(t.encode()), "4 unexpected bytes after the declared end"));
        HandFile c;
        c.corrupt_checksum = true;
        CHECK(contains(load_error(c.encode()), "checksum mismatch"));
    }
    SECTION("absurd sizes never allocate") {
        HandFile k;
        k.k = std::uint64_t(1) << 60;
        k.flags = 3;
        CHECK(contains(load_error(k.encode()), "cannot fit in the"));
        HandFile d;
        d.d = std::uint64_t(1) << 62;
        CHECK(contains(load_error(d.encode()), "feature dimension D = 4611686018427387904 exceeds"));
        HandFile dmax;
        dmax.d = std::numeric_limits<std::uint64_t>::max();
        CHECK(contains(load_error(dmax.encode()), "exceeds"));
        HandFile r;
        r.xi[0].rows = (std::uint64_t(1) << 62) + 2;  // rows * D * 4 would wrap around to a small number
        CHECK(contains(load_error(r.encode()), "more than the"));
        HandFile s;
        s.description = "";
        s.extra_payload = "";
        CHECK_NOTHROW(load_bytes<double>(s.encode()));
        HandFile l;
        l.description = "abc";
        const std::string enc = l.encode();
        // description length 2^63 with a valid checksum
        std::string b = enc.substr(0, enc.size() - 8);
        const std::uint64_t huge = std::uint64_t(1) << 63;
        std::memcpy(&b[80], &huge, 8);
        const std::uint64_t sum = fnv1a64_ref(b);
        b.append(reinterpret_cast<const char*>(&sum), 8);
        CHECK(contains(load_error(b), "description length 9223372036854775808 exceeds"));
        HandFile z;
        z.d = 0;
        CHECK(contains(load_error(z.encode()), "D = 0"));
        HandFile k0;
        k0.k = 0;
        CHECK(contains(load_error(k0.encode()), "K = 0"));
    }
    SECTION("fields and shapes") {
        HandFile f;
        f.flags = 8 | 2;
        CHECK(contains(load_error(f.encode()), "unknown flag bits 8"));
        HandFile sb;
        sb.scalar_bytes = 2;
        CHECK(contains(load_error(sb.encode()), "invalid scalar size 2"));
        HandFile g;
        g.k = 2;
        CHECK(contains(load_error(g.encode()), "global detector must hold exactly 1 xi"));
        HandFile c;
        c.xi[0].cols = 4;
        CHECK(contains(load_error(c.encode()), "xi[0] has 4 columns, the header says D = 3"));
        HandFile r0;
        r0.xi[0].rows = 0;
        r0.xi[0].values.clear();
        r0.extra_payload = std::string(12, '\0');  // so that the size bound on K passes first
        CHECK(contains(load_error(r0.encode()), "xi[0] has 0 rows"));
        HandFile nan;
        nan.xi[0].values[4] = std::numeric_limits<double>::quiet_NaN();
        CHECK(contains(load_error(nan.encode()), "xi[0] has a non-finite value"));
        HandFile lv;
        lv.flags = 2 | 4;
        lv.log_var = {{1, 2, {0, 0}}};
        CHECK(contains(load_error(lv.encode()), "log_var[0] has 2 entries"));
        HandFile missing;
        missing.flags = 2 | 4;  // log-variances announced, none present
        CHECK(contains(load_error(missing.encode()), "truncated or malformed: log_var length"));
        HandFile left;
        left.extra_payload = "abcd";
        CHECK(contains(load_error(left.encode()), "4 unexpected bytes after the last array"));
        HandFile beta;
        beta.beta = 0;
        CHECK(contains(load_error(beta.encode()), "invalid beta"));
        beta.beta = std::numeric_limits<double>::infinity();
        CHECK(contains(load_error(beta.encode()), "invalid beta"));
        HandFile norm;
        norm.norm = -1;
        CHECK(contains(load_error(norm.encode()), "invalid norm"));
        HandFile lg;
        lg.log_gamma = std::numeric_limits<double>::quiet_NaN();
        CHECK(contains(load_error(lg.encode()), "invalid log gamma"));
        HandFile tpr;
        tpr.tpr = 1.5;
        CHECK(contains(load_error(tpr.encode()), "invalid target TPR"));
        HandFile big;  // representable in double, not in float
        big.beta = 1e300;
        CHECK_NOTHROW(load_bytes<double>(big.encode()));
        try {
            (void)load_bytes<float>(big.encode(), "big.reclag");
            FAIL("expected io_error");
        } catch (const reclag::io_error& e) {
            CHECK(contains(e.what(), "big.reclag: invalid beta"));
        }
    }
}

TEST_CASE("file-level load errors name the file", "[io][detector]") {
    reclag_test::TempDir dir;
    const std::string missing = dir.file("missing.reclag");
    try {
        (void)reclag::load_detector<float>(missing);
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(std::string(e.what()).rfind(missing + ": cannot open", 0) == 0);
    }
    CHECK_THROWS_AS(reclag::load_detector<float>(dir.path()), reclag::io_error);  // a directory
    const std::string wrong = dir.file("wrong.npy");
    reclag::save_npy(wrong, Eigen::MatrixXf::Zero(100, 100));
    try {
        (void)reclag::load_detector<float>(wrong);
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(std::string(e.what()) == wrong + ": not a reclag detector file (the magic is not \"RECLAGDT\")");
    }
    HandFile h;
    std::string b = h.encode();
    const std::string trunc = dir.file("trunc.reclag");
    reclag_test::write_bytes(trunc, b.substr(0, b.size() - 3));
    try {
        (void)reclag::load_detector<float>(trunc);
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(std::string(e.what()).rfind(trunc + ": truncated", 0) == 0);
    }
    const std::string tiny = dir.file("tiny.reclag");
    reclag_test::write_bytes(tiny, "RECLAG");
    CHECK_THROWS_WITH(reclag::load_detector<float>(tiny), Catch::Contains(tiny + ": truncated"));
}

TEST_CASE("save_detector replaces atomically and leaves the old file on failure", "[io][detector][atomic]") {
    reclag_test::TempDir dir;
    const std::string path = dir.file("keep.reclag");
    reclag::ReclagScorer<double> s(random_matrix<double>(4, 5, 1));
    s.set_log_gamma(2.0);
    reclag::save_detector(path, s);
    const std::string before = reclag_test::read_bytes(path);

    // Nothing to save: refused before anything is written.
    CHECK_THROWS_AS(reclag::save_detector(path, reclag::ReclagScorer<double>()), reclag::invalid_argument);
    reclag::DetectorExtras<double> bad;
    bad.log_var = {reclag::Vector<double>::Zero(4)};
    CHECK_THROWS_AS(reclag::save_detector(path, s, bad), reclag::invalid_argument);
    CHECK(reclag_test::read_bytes(path) == before);

    // Target directory missing.
    const std::string nowhere = dir.file("no_such_dir/d.reclag");
    try {
        reclag::save_detector(nowhere, s);
        FAIL("expected io_error");
    } catch (const reclag::io_error& e) {
        CHECK(contains(e.what(), nowhere));
    }
    CHECK_FALSE(reclag_test::path_exists(nowhere));

    // A write error mid-file (file-size limit: fwrite/fflush fail with EFBIG), in a child process
    // so the limit does not leak into the other tests.
    const reclag::ReclagScorer<double> large(random_matrix<double>(200, 100, 2));
    std::fflush(nullptr);
    const pid_t child = ::fork();
    REQUIRE(child >= 0);
    if (child == 0) {
        std::signal(SIGXFSZ, SIG_IGN);
        struct rlimit lim {};
        lim.rlim_cur = lim.rlim_max = 10000;
        if (::setrlimit(RLIMIT_FSIZE, &lim) != 0) ::_exit(10);
        try {
            reclag::save_detector(path, large);
        } catch (const reclag::io_error& e) {
            ::_exit(contains(e.what(), path) ? 0 : 11);
        } catch (...) {
            ::_exit(12);
        }
        ::_exit(13);  // the save unexpectedly succeeded
    }
    int status = 0;
    REQUIRE(::waitpid(child, &status, 0) == child);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(reclag_test::read_bytes(path) == before);
    CHECK_FALSE(has_temporaries(dir));
    CHECK(dir.list().size() == 1);
    const reclag::RowMatrix<double> probe = random_matrix<double>(10, 5, 3);
    check_same_detector(s, reclag::load_detector<double>(path), reclag::FeatureView<double>(probe));

    // A successful save replaces the content.
    reclag::save_detector(path, large);
    CHECK(reclag_test::read_bytes(path) == reclag::save_detector_to_memory(large));
    CHECK(dir.list().size() == 1);
}
