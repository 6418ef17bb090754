// MspScorer: hand-worked values, max-shift safety, argument checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <type_traits>

#include <reclag/score/msp.hpp>

using Catch::Contains;

namespace {
template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-14 : 1e-6;
}
}  // namespace

TEMPLATE_TEST_CASE("MSP hand-worked values", "[score][msp]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> z(5, 3);
    z << 0, 0, 0,                              // uniform: 1/3
        T(std::log(2.0)), 0, 0,                // softmax (2, 1, 1)/4: 1/2
        1000, 0, 0,                            // exp(1000) would overflow without the max shift
        -1000, -1000, -1000,                   // and exp(-1000) would underflow to 0/0
        0, T(std::log(3.0)), -1e4;             // (1, 3, 0)/4: 3/4
    reclag::MspScorer<T> s;
    s.fit(reclag::FeatureView<T>(reclag::RowMatrix<T>::Zero(1, 2), z.topRows(1)));
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(reclag::RowMatrix<T>::Zero(5, 2), z));
    REQUIRE(out.size() == 5);
    CHECK(out(0) == Approx(1.0 / 3.0).epsilon(tol<T>()));
    CHECK(out(1) == Approx(0.5).epsilon(tol<T>()));
    CHECK(out(2) == Approx(1.0).epsilon(tol<T>()));
    CHECK(out(3) == Approx(1.0 / 3.0).epsilon(tol<T>()));
    CHECK(out(4) == Approx(0.75).epsilon(tol<T>()));
    CHECK(out.allFinite());
}

TEMPLATE_TEST_CASE("MSP is invariant to a constant shift of the logits and writes into caller storage", "[score][msp]", float, double) {
    using T = TestType;
    const reclag::RowMatrix<T> z = reclag::RowMatrix<T>::Random(20, 7) * T(5);
    const reclag::RowMatrix<T> shifted = z.array() + T(30);
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Zero(20, 3);
    reclag::MspScorer<T> s;
    s.fit(reclag::FeatureView<T>(x, z));
    const reclag::Vector<T> a = s.score(reclag::FeatureView<T>(x, z));
    reclag::Vector<T> b(20);
    s.score(reclag::FeatureView<T>(x, shifted), b);
    for (Eigen::Index i = 0; i < 20; ++i) {
        CHECK(b(i) == Approx(a(i)).epsilon(1e3 * std::numeric_limits<T>::epsilon()));
        CHECK(a(i) >= T(1) / T(7) * T(1 - 1e-5));  // max prob >= 1/C
        CHECK(a(i) <= T(1));
    }
}

TEMPLATE_TEST_CASE("MSP argument checks", "[score][msp][errors]", float, double) {
    using T = TestType;
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Zero(4, 3);
    const reclag::RowMatrix<T> z = reclag::RowMatrix<T>::Random(4, 5);
    reclag::MspScorer<T> s;
    CHECK_FALSE(s.is_fitted());
    CHECK_THROWS_AS(s.score(reclag::FeatureView<T>(x, z)), reclag::invalid_argument);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, z)), Contains("MspScorer::score") && Contains("before fit"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x)), Contains("MspScorer::fit") && Contains("no logits"));
    s.fit(reclag::FeatureView<T>(x, z));
    CHECK(s.is_fitted());
    CHECK(s.num_classes() == 5);
    const reclag::RowMatrix<T> z4 = reclag::RowMatrix<T>::Random(4, 4);
    CHECK_THROWS_AS(s.score(reclag::FeatureView<T>(x, z4)), reclag::invalid_argument);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, z4)), Contains("logits has 4 columns, expected 5"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x)), Contains("no logits"));
    reclag::RowMatrix<T> bad = z;
    bad(2, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, bad)), Contains("non-finite") && Contains("row 2"));
    reclag::Vector<T> out(3);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, z), out), Contains("out has 3 elements, expected 4"));
    // An empty split scores to an empty vector.
    CHECK(s.score(reclag::FeatureView<T>(x.topRows(0), z.topRows(0))).size() == 0);
}
