// SheScorer: hand-worked class means and scores, per-row oracle, argument checks.
#include <catch2/catch.hpp>

#include <limits>
#include <random>
#include <type_traits>

#include <reclag/score/she.hpp>

using Catch::Contains;

namespace {
template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-14 : 1e-6;
}
}  // namespace

TEMPLATE_TEST_CASE("SHE hand-worked values", "[score][she]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> fx(5, 2), fz(5, 2);
    reclag::LabelVector fy(5);
    fx << 1, 0, 0, 1, 2, 2, 5, 5, 7, 7;  // rows 3 and 4 are misclassified: not stored
    fz << 1, 0, 2, -1, 0, 3, 0, 1, 1, 0;
    fy << 0, 0, 1, 0, 1;
    reclag::SheScorer<T> s;
    s.fit(reclag::FeatureView<T>(fx, fz, fy));
    reclag::RowMatrix<T> means(2, 2);
    means << 0.5, 0.5, 2, 2;
    CHECK(s.class_means().isApprox(means));
    reclag::RowMatrix<T> x(3, 2), z(3, 2);
    x << 1, 2, 1, 1, 4, -6;
    z << 5, 1, -1, 0, 7, 7;  // classes 0, 1, 0 (tie: the first maximum)
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x, z));
    CHECK(out(0) == Approx(1.5).epsilon(tol<T>()));
    CHECK(out(1) == Approx(4.0).epsilon(tol<T>()));
    CHECK(out(2) == Approx(-1.0).epsilon(tol<T>()));
}

TEMPLATE_TEST_CASE("SHE equals a per-row oracle on random data", "[score][she]", float, double) {
    using T = TestType;
    std::mt19937_64 rng(11);
    std::uniform_real_distribution<double> u(0.0, 1.0);
    const Eigen::Index nfit = 600, n = 200, d = 9, c = 3;
    reclag::RowMatrix<T> fx(nfit, d), fz(nfit, c), x(n, d), z(n, c);
    reclag::LabelVector fy(nfit);
    for (Eigen::Index i = 0; i < fx.size(); ++i) fx.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < fz.size(); ++i) fz.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < x.size(); ++i) x.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < z.size(); ++i) z.data()[i] = static_cast<T>(u(rng));
    for (Eigen::Index i = 0; i < nfit; ++i) fy(i) = static_cast<std::int64_t>(i % c);
    reclag::SheScorer<T> s;
    s.fit(reclag::FeatureView<T>(fx, fz, fy), reclag::ClassifierHead<T>());  // the head is ignored
    const reclag::Vector<T> out = s.score(reclag::FeatureView<T>(x, z));
    const reclag::LabelVector fpred = reclag::predicted_classes(fz);
    const reclag::LabelVector pred = reclag::predicted_classes(z);
    for (Eigen::Index i = 0; i < n; ++i) {
        Eigen::VectorXd sum = Eigen::VectorXd::Zero(d);
        double count = 0;
        for (Eigen::Index k = 0; k < nfit; ++k)
            if (fy(k) == pred(i) && fpred(k) == fy(k)) {
                sum += fx.row(k).template cast<double>().transpose();
                count += 1;
            }
        REQUIRE(count > 0);
        CHECK(out(i) == Approx((sum / count).dot(x.row(i).template cast<double>())).epsilon(tol<T>() * 10));
    }
}

TEMPLATE_TEST_CASE("SHE argument checks", "[score][she][errors]", float, double) {
    using T = TestType;
    reclag::RowMatrix<T> fx(3, 2), fz(3, 3);
    reclag::LabelVector fy(3);
    fx << 1, 0, 0, 1, 2, 2;
    fz << 1, 0, 0, 0, 1, 0, 0, 0, 1;
    fy << 0, 1, 2;
    reclag::SheScorer<T> s;
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(fx, fz)), Contains("SheScorer::score") && Contains("before fit"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(fx)), Contains("SheScorer::fit") && Contains("no logits"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(fx, fz)), Contains("no labels"));
    reclag::LabelVector y = fy;
    y(0) = 3;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(fx, fz, y)), Contains("label 3 at row 0 is outside [0, 3)"));
    y(0) = -2;
    CHECK_THROWS_AS(s.fit(reclag::FeatureView<T>(fx, fz, y)), reclag::invalid_argument);
    y << 0, 0, 2;  // class 1 has no sample at all
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<T>(fx, fz, y)), Contains("SheScorer::fit: class 1 has no correctly classified"));
    CHECK_FALSE(s.is_fitted());
    s.fit(reclag::FeatureView<T>(fx, fz, fy));
    CHECK(s.num_classes() == 3);
    CHECK(s.feature_dim() == 2);
    const reclag::RowMatrix<T> x5 = reclag::RowMatrix<T>::Zero(2, 5);
    const reclag::RowMatrix<T> z3 = reclag::RowMatrix<T>::Zero(2, 3);
    const reclag::RowMatrix<T> x2 = reclag::RowMatrix<T>::Zero(2, 2);
    const reclag::RowMatrix<T> z4 = reclag::RowMatrix<T>::Zero(2, 4);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x5, z3)), Contains("SheScorer::score: features has 5 columns, expected 2"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x2, z4)), Contains("SheScorer::score: logits has 4 columns, expected 3"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(x2)), Contains("no logits"));
    reclag::RowMatrix<T> nan = x2;
    nan(1, 0) = std::numeric_limits<T>::quiet_NaN();
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<T>(nan, z3)), Contains("non-finite"));
}
