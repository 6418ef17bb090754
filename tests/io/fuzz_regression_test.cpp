// Replays what the libFuzzer targets found (tests/fuzz/, issue #6 item 3). The files in
// tests/data/fuzz_regressions/ are fitted detectors: five are the fuzzer's own reproducers, five
// are written by make_regressions.py (a float32 global detector, N_H 4, D 6, beta 5, norm 10,
// with one field changed). Before the fix a float load accepted them and then scored unscaled
// features (norm underflowed to 0, i.e. "raw features") or returned inf/NaN scores (beta, norm
// or xi so large that beta xi.x overflows float). Now: a float load is an io_error naming the
// file and the field with its value in %g form; a double load, where every value is
// representable and the score bound fits, succeeds and scores finitely.
#include <catch2/catch.hpp>

#include <reclag/core/error.hpp>
#include <reclag/io/detector_file.hpp>

#include <cmath>
#include <string>

using reclag::Index;

namespace {

const std::string kDir = std::string(RECLAG_TEST_DATA_DIR) + "/fuzz_regressions/";

struct Case {
    const char* file;
    const char* float_message;  ///< a substring the float load's io_error must contain
};

const Case kCases[] = {
    {"norm_underflows_float.reclag", "invalid norm 1e-85: it underflows to 0 in float (0 would mean raw features)"},
    {"fuzzer_crash_norm_underflow.reclag", "it underflows to 0 in float (0 would mean raw features)"},
    {"beta_underflows_float.reclag", "invalid beta 1e-50: it underflows to 0 in float"},
    {"xi_flt_max_raw_features.reclag", "scores overflow float: beta * 1 (raw features) * max ||xi_mu||"},
    {"beta_overflows_float.reclag", "scores overflow float: beta * norm * max ||xi_mu||"},
    {"fuzzer_crash_huge_norm_tiny_row.reclag", "must be finite and fit in float"},
    {"fuzzer_crash_subnormal_norm.reclag", "invalid norm 1.90432e-39: it is subnormal in float"},
    // beta 8e-309 (subnormal in double) and xi entries so large that xi x~ overflows double
    // although beta xi x~ does not: the double load must still score finitely.
    {"fuzzer_crash_subnormal_beta_huge_xi.reclag", "invalid norm 1.40445e+306 (must be finite and fit in float)"},
};

}  // namespace

TEST_CASE("every fuzzer finding loads as an io_error in float, naming the file and the field", "[io][fuzz]") {
    for (const Case& c : kCases) {
        const std::string path = kDir + c.file;
        INFO(path);
        try {
            (void)reclag::load_detector<float>(path);
            FAIL("the float load succeeded");
        } catch (const reclag::io_error& e) {
            const std::string what = e.what();
            CHECK(what.find(path) != std::string::npos);
            CHECK(what.find(c.float_message) != std::string::npos);
            CHECK(what.size() < 400);  // %g, not std::to_string's 300 digits of 1e308
        }
    }
}

TEST_CASE("the same files load in double and score finitely", "[io][fuzz]") {
    for (const Case& c : kCases) {
        const std::string path = kDir + c.file;
        INFO(path);
        const reclag::ReclagScorer<double> s = reclag::load_detector<double>(path);
        REQUIRE(s.is_fitted());
        // Rows of norm 1, 1e3 and 1e-3 in the detector's own width (the reproducers are global
        // and per-class detectors of different D): raw-feature detectors (norm 0) see them as
        // they are, scaled ones rescale them to the stored norm first. Logits route row i to
        // class i mod C for a per-class detector.
        const Index d = s.detector().feature_dim();
        reclag::RowMatrix<double> x = reclag::RowMatrix<double>::Zero(4, d);
        x(0, 0) = 1.0;
        x.row(1).setConstant(1.0 / std::sqrt(static_cast<double>(d)));
        x(2, d - 1) = -1e3;
        x(3, 0) = 1e-3;  // with norm 1.4e306, beta * norm / ||x|| overflows double on its own
        reclag::Vector<double> r;
        if (s.detector().per_class()) {
            const Index k = s.detector().num_classes();
            reclag::RowMatrix<double> z = reclag::RowMatrix<double>::Zero(4, k);
            for (Index i = 0; i < 4; ++i) z(i, i % k) = 1.0;
            r = s.score(reclag::FeatureView<double>(x, z));
        } else {
            r = s.score(reclag::FeatureView<double>(x));
        }
        REQUIRE(r.size() == 4);
        CHECK(r.allFinite());
    }
}

TEST_CASE("a fused product that overflows float is recomputed from the scaled feature", "[io][fuzz]") {
    // xi_3e36_fused_product_overflows.reclag: global, D 6, N_H 4, beta 5, norm 10, xi(0, 0) =
    // 3e36. The score bound beta * norm * max ||xi_mu|| = 1.5e38 fits float, but the scorer
    // multiplies the raw row by xi before scaling it: 1e3 * 3e36 = inf. The score must be
    // r(x) = r(x / ||x||) (Eq. 13 scales every feature to norm 10): compared with the unit row
    // in float (no overflow there) and with the double load of the same file.
    const std::string path = kDir + "xi_3e36_fused_product_overflows.reclag";
    const auto sf = reclag::load_detector<float>(path);
    const auto sd = reclag::load_detector<double>(path);
    REQUIRE(sf.detector().feature_dim() == 6);
    reclag::RowMatrix<float> x = reclag::RowMatrix<float>::Zero(2, 6);
    x(0, 0) = 1e3f;  // x . xi_0 = 3e39: overflows float
    x(1, 0) = 1.0f;  // the same direction at norm 1: 3e36, no overflow
    const reclag::Vector<float> rf = sf.score(reclag::FeatureView<float>(x));
    const reclag::Vector<double> rd = sd.score(reclag::FeatureView<double>(x.cast<double>()));
    REQUIRE(rf.allFinite());
    CHECK(rf(0) == Approx(rf(1)).epsilon(1e-6));
    CHECK(static_cast<double>(rf(0)) == Approx(rd(0)).epsilon(1e-6));
    CHECK(rd(0) == Approx(rd(1)).epsilon(1e-12));
    CHECK(rd(0) > 1e37);  // beta * 10 * 3e36 = 1.5e38: the overflow was real, not a small term
}

TEST_CASE("raw features with beta 1.4e306: a row whose score overflows double is named, a small one scores", "[io][fuzz]") {
    // fuzzer_crash_raw_beta_1e306.reclag: the detector fuzzer's reproducer (declared size and
    // checksum repaired, as the fuzzer's second pass does): per-class (C 3), D 4, raw features
    // (norm 0), beta 1.40445e306, xi rows up to norm 2.85. The loader cannot refuse it in
    // double: with raw features the bound beta ||x|| max ||xi_mu|| depends on the input. What
    // the fuzzer's harness wrongly flagged is the right behaviour: a row whose score does not fit
    // double is refused by name (invalid_argument), never returned as inf; a row within the bound
    // scores finitely. (A float load refuses the file: beta does not fit float.)
    const std::string path = kDir + "fuzzer_crash_raw_beta_1e306.reclag";
    try {
        (void)reclag::load_detector<float>(path);
        FAIL("the float load succeeded");
    } catch (const reclag::io_error& e) {
        CHECK(std::string(e.what()).find("invalid beta 1.40445e+306 (must be finite and fit in float)") != std::string::npos);
    }
    const reclag::ReclagScorer<double> s = reclag::load_detector<double>(path);
    REQUIRE(s.is_fitted());
    REQUIRE(s.detector().per_class());
    REQUIRE(s.param().norm == 0.0);
    const double beta = s.param().beta;
    REQUIRE(beta == Approx(1.40445e306).epsilon(1e-5));
    const auto& xi = s.detector().interaction();
    // The longest stored pattern, over every class: feature rows along it make x . xi_mu as
    // large as Cauchy-Schwarz allows.
    Index best_class = 0, best_row = 0;
    double longest = 0;
    for (std::size_t c = 0; c < xi.size(); ++c)
        for (Index mu = 0; mu < xi[c].rows(); ++mu)
            if (xi[c].row(mu).norm() > longest) {
                longest = xi[c].row(mu).norm();
                best_class = static_cast<Index>(c);
                best_row = mu;
            }
    REQUIRE(longest == Approx(2.85044).epsilon(1e-5));
    const Index d = s.detector().feature_dim(), k = s.detector().num_classes();
    const Eigen::RowVectorXd direction = xi[static_cast<std::size_t>(best_class)].row(best_row) / longest;
    reclag::RowMatrix<double> z = reclag::RowMatrix<double>::Zero(1, k);
    z(0, best_class) = 1.0;  // routed to the class that holds that pattern

    // ||x|| = 1e3: beta x . xi_mu = 1.4e306 * 2850 = 4e309 > DBL_MAX (1.8e308).
    reclag::RowMatrix<double> big = 1e3 * direction;
    REQUIRE(big.cols() == d);
    try {
        (void)s.score(reclag::FeatureView<double>(big, z));
        FAIL("an overflowing score was returned");
    } catch (const reclag::invalid_argument& e) {
        const std::string what = e.what();
        CHECK(what.find("the score of row 0 is not finite") != std::string::npos);
        CHECK(what.find("overflow") != std::string::npos);
    }
    // ||x|| = 1e-3: r = LSE_mu(beta x . xi_mu) lies between its largest term, beta * 1e-3 *
    // 2.85 = 4.0e303, and that term + log N_H (a 1e-300 relative difference: equal in double).
    const reclag::RowMatrix<double> small = 1e-3 * direction;
    const reclag::Vector<double> r = s.score(reclag::FeatureView<double>(small, z));
    REQUIRE(std::isfinite(r(0)));
    CHECK(r(0) == Approx(beta * 1e-3 * longest).epsilon(1e-12));
}
