// EnergyScorer: hand-worked values (T = 1 and T != 1), max-shift safety, argument checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <type_traits>

#include <reclag/score/energy.hpp>

using Catch::Contains;

namespace {
template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-14 : 1e-6;
}
}  // namespace

TEMPLATE_TEST_CASE("Energy hand-worked values, T = 1", "[score][energy]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> z(4, 2);
    z << 0, 0,            // log 2
        1000, 1000,       // 1000 + log 2 (no overflow)
        -1000, -1000,     // -1000 + log 2 (no underflow to log 0)
        1, 0;             // log(e + 1)
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Zero(4, 1);
    reclag::EnergyScorer<T> s;
    CHECK(s.param().temperature == 1.0);
    s.fit(reclag::FeatureView<T>(x, z));
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x, z));
    CHECK(out(0) == Approx(std::log(2.0)).epsilon(tol<T>()));
    CHECK(out(1) == Approx(1000 + std::log(2.0)).epsilon(tol<T>()));
    CHECK(out(2) == Approx(-1000 + std::log(2.0)).epsilon(tol<T>()));
    CHECK(out(3) == Approx(std::log(std::exp(1.0) + 1)).epsilon(tol<T>()));
}

TEMPLATE_TEST_CASE("Energy with a temperature: T LSE(z / T)", "[score][energy]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> z(3, 3);
    z << 2, 0, 0,       // T = 2: 2 log(e + 2)
        1, 0.5, 0.5,    // T = 2: 2 log(e^0.5 + 2 e^0.25)
        -4, 6, 0;       // T = 2: 2 log(e^-2 + e^3 + 1)
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Zero(3, 1);
    reclag::EnergyScorer<T> s({2.0});
    s.fit(reclag::FeatureView<T>(x, z));
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x, z));
    CHECK(out(0) == Approx(2 * std::log(std::exp(1.0) + 2)).epsilon(tol<T>()));
    CHECK(out(1) == Approx(2 * std::log(std::exp(0.5) + 2 * std::exp(0.25))).epsilon(tol<T>()));
    CHECK(out(2) == Approx(2 * std::log(std::exp(-2.0) + std::exp(3.0) + 1)).epsilon(tol<T>()));

    // T -> 0 tends to the max logit; T = 1e-3 and a gap of 0.5 gives max + 1e-3 log(1 + 2 e^-500).
    reclag::EnergyScorer<T> cold({1e-3});
    cold.fit(reclag::FeatureView<T>(x, z));
    const reclag::Vector<T> c = cold.score(reclag::FeatureView<T>(x, z));
    CHECK(c(1) == Approx(1.0).epsilon(tol<T>()));
    CHECK(c(2) == Approx(6.0).epsilon(tol<T>()));
}

TEMPLATE_TEST_CASE("Energy argument checks", "[score][energy][errors]", float, double) {
    using T = TestType;
    using S = reclag::EnergyScorer<T>;
    for (const double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        CHECK_THROWS_AS(S({bad}), reclag::invalid_argument);
        CHECK_THROWS_WITH(S({bad}), Contains("temperature"));
    }
    if (std::is_same_v<T, float>) CHECK_THROWS_WITH(S({1e-60}), Contains("temperature"));
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Zero(4, 3);
    const reclag::RowMatrix<T> z = reclag::RowMatrix<T>::Random(4, 10);
    S s;
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, z)), Contains("EnergyScorer::score") && Contains("before fit"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x)), Contains("EnergyScorer::fit") && Contains("no logits"));
    s.fit(reclag::FeatureView<T>(x, z));
    const reclag::RowMatrix<T> z9 = reclag::RowMatrix<T>::Random(4, 9);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x, z9)), Contains("EnergyScorer::score: logits has 9 columns, expected 10"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x)), Contains("no logits"));
    reclag::Vector<T> out(5);
    CHECK_THROWS_AS(s.score(reclag::FeatureView<T>(x, z), out), reclag::invalid_argument);
}
