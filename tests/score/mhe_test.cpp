// MheScorer and the shared stored-pattern selection: hand-worked values, the batched
// (grouped GEMM, blocked) path against a per-row oracle, thread safety, argument checks.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <thread>
#include <type_traits>
#include <vector>

#include <reclag/score/mhe.hpp>

using Catch::Contains;

namespace {

template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-14 : 1e-6;
}

/// Two classes, D = 2. Class 0 stores (1,0) and (0,1); class 1 stores (2,2). Row 3 has label 0
/// but is predicted as 1, row 4 has label 1 but is predicted as 0: neither is stored.
template <typename T>
struct Tiny {
    reclag::RowMatrix<T> x{5, 2}, z{5, 2};
    reclag::LabelVector y{5};
    Tiny() {
        x << 1, 0, 0, 1, 2, 2, 5, 5, 7, 7;
        z << 1, 0, 2, -1, 0, 3, 0, 1, 1, 0;
        y << 0, 0, 1, 0, 1;
    }
    reclag::FeatureView<T> view() const { return reclag::FeatureView<T>(x, z, y); }
};

double lse(const std::vector<double>& a) {
    double m = -std::numeric_limits<double>::infinity();
    for (const double v : a) m = std::max(m, v);
    double s = 0;
    for (const double v : a) s += std::exp(v - m);
    return m + std::log(s);
}

}  // namespace

TEMPLATE_TEST_CASE("correctly_classified_rows keeps label == prediction", "[score][mhe]", float, double) {
    const Tiny<TestType> t;
    const auto rows = reclag::correctly_classified_rows("test", t.view());
    REQUIRE(rows.size() == 2);
    CHECK(rows[0] == std::vector<reclag::Index>{0, 1});
    CHECK(rows[1] == std::vector<reclag::Index>{2});
    reclag::LabelVector pred(6);
    pred << 2, 0, 2, 1, 0, 2;
    const auto groups = reclag::rows_by_class(pred, 4);
    REQUIRE(groups.size() == 4);
    CHECK(groups[0] == std::vector<reclag::Index>{1, 4});
    CHECK(groups[1] == std::vector<reclag::Index>{3});
    CHECK(groups[2] == std::vector<reclag::Index>{0, 2, 5});
    CHECK(groups[3].empty());
}

TEMPLATE_TEST_CASE("MHE hand-worked values", "[score][mhe]", float, double) {
    using T = TestType;
    const Tiny<T> t;
    reclag::MheScorer<T> s;
    CHECK(s.param().beta == 1.0);
    s.fit(t.view());
    CHECK(s.pattern_counts() == std::vector<reclag::Index>{2, 1});
    CHECK(s.patterns(1) == reclag::RowMatrix<T>::Constant(1, 2, 2));
    reclag::RowMatrix<T> x(4, 2), z(4, 2);
    x << 1, 2,    // class 0: LSE(1, 2)
        1, 1,     // class 1: (2,2).(1,1) = 4
        3, -1,    // class 0: LSE(3, -1)
        0, 0;     // class 1, ties in the logits go to the first maximum (class 0): LSE(0, 0) = log 2
    z << 5, 1, -1, 0, 0, -3, 2, 2;
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x, z));
    CHECK(out(0) == Approx(lse({1, 2})).epsilon(tol<T>()));
    CHECK(out(1) == Approx(4.0).epsilon(tol<T>()));
    CHECK(out(2) == Approx(lse({3, -1})).epsilon(tol<T>()));
    CHECK(out(3) == Approx(std::log(2.0)).epsilon(tol<T>()));

    reclag::MheScorer<T> half({0.5});
    half.fit(t.view());
    const reclag::Vector<T> h = half.score(reclag::FeatureView<T>(x, z));
    CHECK(h(0) == Approx(lse({0.5, 1.0})).epsilon(tol<T>()));
    CHECK(h(1) == Approx(2.0).epsilon(tol<T>()));

    // Large similarities: 1000 * 1000 would overflow exp() without the max shift.
    reclag::RowMatrix<T> big(1, 2), bz(1, 2);
    big << 1000, 1000;
    bz << 1, 0;
    CHECK(s.score(reclag::FeatureView<T>(big, bz))(0) == Approx(1000.0 + std::log(2.0)).epsilon(tol<T>()));
}

TEMPLATE_TEST_CASE("MHE grouped GEMM equals a per-row oracle, and chunks and threads agree", "[score][mhe]", float, double) {
    using T = TestType;
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const Eigen::Index nfit = 12000, n = 3000, d = 4, c = 2;  // ~5400 patterns per class: GEMM blocks of ~780 rows
    reclag::RowMatrix<T> fx(nfit, d), fz(nfit, c), x(n, d), z(n, c);
    reclag::LabelVector fy(nfit);
    for (Eigen::Index i = 0; i < fx.size(); ++i) fx.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < fz.size(); ++i) fz.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < nfit; ++i) fy(i) = (u(rng) < 0.8) ? (fz(i, 1) > fz(i, 0) ? 1 : 0) : static_cast<std::int64_t>(i % c);
    const double beta = 0.7;
    reclag::MheScorer<T> s({beta});
    s.fit(reclag::FeatureView<T>(fx, fz, fy));
    const reclag::FeatureView<T> view(x, z);
    const reclag::Vector<T> out = s.score(view);

    // Oracle: stored patterns selected independently, per-row loop in double.
    const reclag::LabelVector fpred = reclag::predicted_classes(fz);
    const reclag::LabelVector pred = reclag::predicted_classes(z);
    std::vector<reclag::Index> counts(c, 0);
    for (Eigen::Index i = 0; i < nfit; ++i)
        if (fpred(i) == fy(i)) ++counts[static_cast<std::size_t>(fy(i))];
    CHECK(s.pattern_counts() == counts);
    for (Eigen::Index i = 0; i < n; i += 37) {
        std::vector<double> a;
        for (Eigen::Index k = 0; k < nfit; ++k)
            if (fy(k) == pred(i) && fpred(k) == fy(k))
                a.push_back(beta * fx.row(k).template cast<double>().dot(x.row(i).template cast<double>()));
        CHECK(out(i) == Approx(lse(a)).epsilon(tol<T>() * 10));
    }

    const reclag::Vector<T> mid = s.score(view.middle_rows(1234, 1000));
    for (Eigen::Index i = 0; i < 1000; ++i) CHECK(mid(i) == out(1234 + i));

    // score() is const and keeps no mutable state: concurrent calls agree with the serial one.
    reclag::Vector<T> r1(n), r2(n);
    std::thread t1([&] { s.score(view, r1); });
    std::thread t2([&] { s.score(view, r2); });
    t1.join();
    t2.join();
    CHECK(r1 == out);
    CHECK(r2 == out);
}

TEMPLATE_TEST_CASE("MHE argument checks and the empty-class policy", "[score][mhe][errors]", float, double) {
    using T = TestType;
    using S = reclag::MheScorer<T>;
    for (const double bad : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::numeric_limits<double>::quiet_NaN()}) {
        CHECK_THROWS_AS(S({bad}), reclag::invalid_argument);
        CHECK_THROWS_WITH(S({bad}), Contains("beta"));
    }
    const Tiny<T> t;
    S s;
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(t.x, t.z)), Contains("MheScorer::score") && Contains("before fit"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x)), Contains("MheScorer::fit") && Contains("no logits"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x, t.z)), Contains("MheScorer::fit") && Contains("no labels"));
    reclag::LabelVector y = t.y;
    y(2) = 2;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x, t.z, y)), Contains("label 2 at row 2 is outside [0, 2)"));
    y(2) = -1;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x, t.z, y)), Contains("label -1 at row 2"));
    // Class 1's only correctly classified sample relabelled: class 1 has no stored pattern.
    y(2) = 0;
    CHECK_THROWS_AS(s.fit(reclag::FeatureView<T>(t.x, t.z, y)), reclag::invalid_argument);
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x, t.z, y)), Contains("class 1 has no correctly classified"));
    reclag::RowMatrix<T> nan = t.x;
    nan(0, 0) = std::numeric_limits<T>::infinity();
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(nan, t.z, t.y)), Contains("non-finite"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(t.x.topRows(0), t.z.topRows(0), reclag::LabelVector(0))), Contains("empty"));
    CHECK_FALSE(s.is_fitted());

    s.fit(t.view());
    CHECK(s.is_fitted());
    CHECK_THROWS_WITH(s.patterns(2), Contains("class 2"));
    const reclag::RowMatrix<T> x3 = reclag::RowMatrix<T>::Zero(2, 3);
    const reclag::RowMatrix<T> z2 = reclag::RowMatrix<T>::Zero(2, 2);
    const reclag::RowMatrix<T> x2 = reclag::RowMatrix<T>::Zero(2, 2);
    const reclag::RowMatrix<T> z3 = reclag::RowMatrix<T>::Zero(2, 3);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x3, z2)), Contains("MheScorer::score: features has 3 columns, expected 2"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x2, z3)), Contains("MheScorer::score: logits has 3 columns, expected 2"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x2)), Contains("no logits"));
    reclag::Vector<T> out(3);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x2, z2), out), Contains("out has 3 elements, expected 2"));
}
