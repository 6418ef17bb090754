// ReActScorer: hand-worked thresholds, a sort-based percentile oracle,
// hand-worked scores, batched == per-row, argument checks.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include <reclag/score/react.hpp>

using Catch::Contains;

namespace {

template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-14 : 1e-6;
}

/// Oracle: np.percentile(values, p) ('linear') by a full sort, written from NumPy's definition.
double percentile_by_sort(std::vector<double> v, double p) {
    std::sort(v.begin(), v.end());
    const double pos = static_cast<double>(v.size() - 1) * (p / 100.0);
    const std::size_t lo = static_cast<std::size_t>(std::floor(pos));
    const std::size_t hi = std::min(lo + 1, v.size() - 1);
    const double t = pos - static_cast<double>(lo);
    const double d = v[hi] - v[lo];
    return t >= 0.5 ? v[hi] - d * (1 - t) : v[lo] + d * t;
}

}  // namespace

/// The clip threshold ReActScorer learns from `fit` with percentile p (any head of matching D).
template <typename T>
double react_threshold(const reclag::RowMatrix<T>& fit, double p) {
    reclag::ReActScorer<T> s({p});
    const reclag::RowMatrix<T> w = reclag::RowMatrix<T>::Ones(2, fit.cols());
    s.fit(reclag::FeatureView<T>(fit), reclag::ClassifierHead<T>(w, reclag::Vector<T>::Zero(2)));
    return s.threshold();
}

TEMPLATE_TEST_CASE("ReAct threshold: hand-worked percentiles of 1..10", "[score][react]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> v(5, 2);
    v << 10, 3, 7, 1, 9, 2, 8, 4, 6, 5;  // 1..10 shuffled, flattened over rows and columns
    CHECK(react_threshold(v, 90.0) == Approx(9.1).epsilon(1e-15));   // pos 8.1
    CHECK(react_threshold(v, 50.0) == Approx(5.5).epsilon(1e-15));   // pos 4.5
    CHECK(react_threshold(v, 100.0) == 10.0);                        // pos 9
    CHECK(react_threshold(v, 25.0) == Approx(3.25).epsilon(1e-15));  // pos 2.25
    CHECK(react_threshold(v, 1e-9) == Approx(1.0 + 9e-11).epsilon(1e-15));  // pos 9e-11
    const reclag::RowMatrix<T> one = reclag::RowMatrix<T>::Constant(1, 1, T(4.5));
    CHECK(react_threshold(one, 90.0) == 4.5);
    const reclag::RowMatrix<T> ties = reclag::RowMatrix<T>::Constant(3, 3, T(2));
    CHECK(react_threshold(ties, 37.0) == 2.0);
}

TEMPLATE_TEST_CASE("ReAct threshold equals a full-sort np.percentile oracle (float input is widened exactly)", "[score][react]", float, double) {
    using T = TestType;
    std::mt19937_64 rng(42);
    std::gamma_distribution<double> dist(0.7, 0.4);  // ReLU-like skewed activations with ties at 0
    for (const Eigen::Index rows : {1, 7, 333}) {
        reclag::RowMatrix<T> x(rows, 13);
        for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = (i % 5 == 0) ? T(0) : static_cast<T>(dist(rng));
        std::vector<double> flat(x.data(), x.data() + x.size());
        for (const double p : {0.5, 10.0, 33.3, 50.0, 89.99, 90.0, 99.0, 100.0}) {
            INFO("rows " << rows << ", p " << p);
            CHECK(react_threshold(x, p) == percentile_by_sort(flat, p));  // same formula: exact
        }
    }
}

TEMPLATE_TEST_CASE("ReAct hand-worked: clip, recompute logits, energy", "[score][react]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> fit(5, 2);
    fit << 10, 3, 7, 1, 9, 2, 8, 4, 6, 5;  // 90th percentile 9.1
    reclag::RowMatrix<T> w(2, 2);
    w << 1, 0, 0, 1;
    reclag::Vector<T> b(2);
    b << 0, T(0.5);
    reclag::ReActScorer<T> s;
    CHECK(s.param().percentile == 90.0);
    STATIC_REQUIRE(reclag::ReActScorer<T>::needs_head);
    s.fit(reclag::FeatureView<T>(fit), reclag::ClassifierHead<T>(w, b));
    CHECK(s.threshold() == Approx(9.1).epsilon(tol<T>()));
    reclag::RowMatrix<T> x(3, 2);
    x << 20, 0,    // clipped to (9.1, 0): LSE(9.1, 0.5)
        1, 2,      // untouched: LSE(1, 2.5)
        100, 100;  // both clipped: LSE(9.1, 9.6)
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x));
    const auto lse2 = [](double a, double c) { const double m = std::max(a, c); return m + std::log(std::exp(a - m) + std::exp(c - m)); };
    CHECK(out(0) == Approx(lse2(9.1, 0.5)).epsilon(tol<T>()));
    CHECK(out(1) == Approx(lse2(1.0, 2.5)).epsilon(tol<T>()));
    CHECK(out(2) == Approx(lse2(9.1, 9.6)).epsilon(tol<T>()));

    reclag::ReActScorer<T> full({100.0});  // p = 100 clips nothing seen at fit time
    full.fit(reclag::FeatureView<T>(fit), reclag::ClassifierHead<T>(w, b));
    CHECK(full.threshold() == 10.0);
}

TEMPLATE_TEST_CASE("ReAct: blocked GEMM path equals a per-row oracle, and chunked scoring agrees", "[score][react]", float, double) {
    using T = TestType;
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> u(0.0, 2.0);
    const Eigen::Index n = 2500, d = 16, c = 5;  // n > the 1024-row block
    reclag::RowMatrix<T> x(n, d), fit(300, d), w(c, d);
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < fit.size(); ++i) fit.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < w.size(); ++i) w.data()[i] = static_cast<T>(u(rng) - 1.0);
    reclag::Vector<T> b = reclag::Vector<T>::LinSpaced(c, -1, 1);
    reclag::ReActScorer<T> s({75.0});
    const reclag::ClassifierHead<T> head(w, b);
    s.fit(reclag::FeatureView<T>(fit), head);
    const reclag::FeatureView<T> view(x);
    const reclag::Vector<T> out = s.score(view);
    const double cth = s.threshold();
    for (Eigen::Index i = 0; i < n; i += 97) {
        double m = -std::numeric_limits<double>::infinity();
        std::vector<double> zi(static_cast<std::size_t>(c));
        for (Eigen::Index k = 0; k < c; ++k) {
            double acc = static_cast<double>(b(k));
            for (Eigen::Index j = 0; j < d; ++j) acc += static_cast<double>(w(k, j)) * std::min(static_cast<double>(x(i, j)), cth);
            zi[static_cast<std::size_t>(k)] = acc;
            m = std::max(m, acc);
        }
        double sum = 0;
        for (const double v : zi) sum += std::exp(v - m);
        CHECK(out(i) == Approx(m + std::log(sum)).epsilon(tol<T>() * 10));
    }
    const reclag::Vector<T> tail = s.score(view.middle_rows(1000, 1500));
    for (Eigen::Index i = 0; i < 1500; ++i) CHECK(tail(i) == out(1000 + i));

    // A column-major copy of the features (FeatureView makes a row-major copy) scores the same.
    const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic> xc = x;
    CHECK(s.score(reclag::FeatureView<T>(xc)) == out);
}

TEMPLATE_TEST_CASE("ReAct argument checks", "[score][react][errors]", float, double) {
    using T = TestType;
    using S = reclag::ReActScorer<T>;
    for (const double bad : {0.0, -5.0, 100.5, std::numeric_limits<double>::quiet_NaN(), std::numeric_limits<double>::infinity()}) {
        CHECK_THROWS_AS(S({bad}), reclag::invalid_argument);
        CHECK_THROWS_WITH(S({bad}), Contains("percentile"));
    }
    const reclag::RowMatrix<T> x = reclag::RowMatrix<T>::Random(6, 4).cwiseAbs();
    const reclag::RowMatrix<T> w = reclag::RowMatrix<T>::Random(3, 4);
    const reclag::Vector<T> b = reclag::Vector<T>::Zero(3);
    const reclag::ClassifierHead<T> head(w, b);
    S s;
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x)), Contains("ReActScorer::score") && Contains("before fit"));
    CHECK_THROWS_AS(s.fit(reclag::FeatureView<T>(x)), reclag::invalid_argument);
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x)), Contains("ReActScorer::fit") && Contains("head"));
    CHECK_FALSE(s.is_fitted());
    const reclag::RowMatrix<T> x5 = reclag::RowMatrix<T>::Random(6, 5);
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x5), head), Contains("ReActScorer::fit: features has 5 columns, expected 4"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x.topRows(0)), head), Contains("empty"));
    reclag::RowMatrix<T> nan = x;
    nan(1, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(nan), head), Contains("non-finite"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(x), reclag::ClassifierHead<T>()), Contains("head is empty"));
    s.fit(reclag::FeatureView<T>(x), head);
    CHECK(s.is_fitted());
    CHECK(s.feature_dim() == 4);
    CHECK(s.num_classes() == 3);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x5)), Contains("ReActScorer::score: features has 5 columns, expected 4"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(nan)), Contains("non-finite"));
    reclag::Vector<T> out(2);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x), out), Contains("out has 2 elements, expected 6"));
}
