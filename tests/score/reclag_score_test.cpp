// RecLag score r(x) = LSE(beta xi x~), gate G = r - log gamma, OOD iff G < 0; calibration of
// log gamma at a target TPR; per-class routing; the ReclagScorer on the scorer contract.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>
#include <thread>

#include <reclag/lagrangian/rectified.hpp>
#include <reclag/score/reclag_score.hpp>
#include <reclag/score/reclag_scorer.hpp>

#include "golden.hpp"

using reclag::RowMatrix;
using reclag::Vector;
using reclag_test::close;

namespace {
template <typename T>
double rtol_for() {
    return std::is_same_v<T, double> ? 1e-12 : 1e-5;
}
template <typename T>
RowMatrix<T> random_matrix(std::mt19937& rng, Eigen::Index r, Eigen::Index c, double scale) {
    std::normal_distribution<double> nd(0.0, scale);
    RowMatrix<T> m(r, c);
    for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j) m(i, j) = static_cast<T>(nd(rng));
    return m;
}
/// The oracle: materialise x~ = s x / ||x||, then LSE row by row in long double.
template <typename T>
Eigen::VectorXd naive_scores(const RowMatrix<T>& x, const RowMatrix<T>& xi, double beta, double s) {
    Eigen::VectorXd r(x.rows());
    for (Eigen::Index i = 0; i < x.rows(); ++i) {
        Eigen::RowVectorXd xh = x.row(i).template cast<double>();
        const double n = xh.norm();
        if (s > 0) xh = n > 0 ? Eigen::RowVectorXd(xh * (s / n)) : Eigen::RowVectorXd::Zero(xh.size());
        const Eigen::VectorXd a = beta * (xi.template cast<double>() * xh.transpose());
        const double m = a.maxCoeff();
        long double sum = 0;
        for (Eigen::Index j = 0; j < a.size(); ++j) sum += std::exp(static_cast<long double>(a(j) - m));
        r(i) = m + static_cast<double>(std::log(sum));
    }
    return r;
}
}  // namespace

static_assert(reclag::is_scorer_v<reclag::ReclagScorer<float>>);
static_assert(reclag::is_scorer_v<reclag::ReclagScorer<double>>);

TEMPLATE_TEST_CASE("RecLag score, gate and decision match reclag_score.json", "[score][reclag][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("reclag_score.json");
    const double tol = rtol_for<T>();
    for (const auto& c : golden["cases"].array) {
        INFO("case " << c["name"].as_string());
        const T beta = static_cast<T>(reclag_test::scalar(c["params"]["beta"]));
        const T s = static_cast<T>(reclag_test::scalar(c["params"]["s"]));
        const RowMatrix<T> x = reclag_test::mat(c["inputs"]["x"]).cast<T>();
        const RowMatrix<T> xi = reclag_test::mat(c["inputs"]["xi"]).cast<T>();
        const Eigen::VectorXd lgs = reclag_test::vec(c["inputs"]["log_gamma"]);
        const Eigen::VectorXd r_exp = reclag_test::vec(c["expected"]["r"]);
        const reclag_test::MatrixXdR g_exp = reclag_test::mat(c["expected"]["G"]);
        const reclag_test::MatrixXdR ood_exp = reclag_test::mat(c["expected"]["is_ood"]);
        const Vector<T> r = reclag::reclag_scores(x, xi, beta, s);
        for (Eigen::Index i = 0; i < r.size(); ++i) CHECK(close(r(i), r_exp(i), tol, tol));
        for (Eigen::Index j = 0; j < lgs.size(); ++j) {
            const reclag::ReclagScore<T> det(xi, {beta, s}, static_cast<T>(lgs(j)));
            const Vector<T> g = det.gate_from_scores(det.scores(x));
            const auto ood = det.is_ood_from_scores(det.scores(x));
            for (Eigen::Index i = 0; i < r.size(); ++i) {
                INFO("gamma " << j << " row " << i);
                CHECK(std::abs(g(i) - g_exp(j, i)) <= tol * (1 + std::abs(lgs(j)) + std::abs(g_exp(j, i))));
                // the decision and the dynamics' gate are one function: chi(G) = 1 - is_ood
                CHECK(ood(i) == (ood_exp(j, i) != 0));
                CHECK(reclag::reclag_gate_open(g(i)) == (ood_exp(j, i) != 0 ? T(0) : T(1)));
            }
            // the Lagrangian evaluates G at h = xi x~ with the same function
            const reclag::RecLagLagrangian<T> lag({beta, static_cast<T>(lgs(j))});
            const RowMatrix<T> h = reclag::normalize_rows(x, s) * xi.transpose();
            const Vector<T> gl = lag.gate(h);
            for (Eigen::Index i = 0; i < r.size(); ++i)
                CHECK(std::abs(gl(i) - g_exp(j, i)) <= tol * (1 + std::abs(lgs(j)) + std::abs(g_exp(j, i))));
        }
    }
}

TEMPLATE_TEST_CASE("fused chunked scoring equals the materialised x~ oracle, scaled and unscaled", "[score][reclag]",
                   float, double) {
    using T = TestType;
    std::mt19937 rng(42);
    const double tol = std::is_same_v<T, double> ? 1e-12 : 2e-6;
    for (int trial = 0; trial < 4; ++trial) {
        const Eigen::Index n = trial == 0 ? 1300 : 37;  // > 2 chunks of 512 rows
        const RowMatrix<T> x = random_matrix<T>(rng, n, 16, 1.0 + trial);
        RowMatrix<T> xi = random_matrix<T>(rng, 25, 16, 1.0);
        const double beta = 0.5 + trial, s = trial % 2 ? 0.0 : 10.0;
        RowMatrix<T> xz = x;
        xz.row(3).setZero();
        const Vector<T> r = reclag::reclag_scores(xz, xi, T(beta), T(s));
        const Eigen::VectorXd e = naive_scores(xz, xi, beta, s);
        for (Eigen::Index i = 0; i < n; ++i) CHECK(close(r(i), e(i), tol, tol));
        CHECK(close(r(3), std::log(25.0), tol, tol));  // a zero row scores log N_H
        for (Eigen::Index i = 0; i < 5; ++i) CHECK(reclag::reclag_scores(xz.row(i), xi, T(beta), T(s))(0) == Approx(r(i)).epsilon(tol));
    }
}

TEST_CASE("log gamma at a target TPR is np.sort(r)[-floor(tpr n)]", "[score][reclag]") {
    Eigen::VectorXd r(5);
    r << 5, 1, 4, 2, 3;
    CHECK(reclag::log_gamma_at_tpr(r, 0.8) == 2.0);  // floor(4.0) = 4 -> sorted[-4] = 2: 4 of 5 have r >= 2
    CHECK(reclag::log_gamma_at_tpr(r, 1.0) == 1.0);
    CHECK(reclag::log_gamma_at_tpr(r, 0.5) == 4.0);  // floor(2.5) = 2 -> sorted[-2] = 4
    Eigen::VectorXd r20 = Eigen::VectorXd::LinSpaced(20, 20.0, 1.0);  // 20, 19, ..., 1
    CHECK(reclag::log_gamma_at_tpr(r20, 0.95) == 2.0);  // k = 19: the 19 largest are >= 2
    CHECK_THROWS_WITH(reclag::log_gamma_at_tpr(r, 0.1), Catch::Contains("keeps no ID sample"));
    CHECK_THROWS_WITH(reclag::log_gamma_at_tpr(r, 1.5), Catch::Contains("tpr"));
}

TEMPLATE_TEST_CASE("per-class xi routed by argmax logits matches extra_scorers.json reclag_code_tiny",
                   "[score][reclag][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("extra_scorers.json");
    bool found = false;
    for (const auto& c : golden["cases"].array) {
        if (c["name"].as_string() != "reclag_code_tiny") continue;
        found = true;
        std::vector<RowMatrix<T>> xis = {reclag_test::mat(c["expected"]["xi_class0"]).cast<T>(),
                                         reclag_test::mat(c["expected"]["xi_class1"]).cast<T>()};
        const RowMatrix<T> x = reclag_test::mat(c["inputs"]["features"]).cast<T>();
        const RowMatrix<T> z = reclag_test::mat(c["inputs"]["logits"]).cast<T>();
        const Eigen::VectorXd e = reclag_test::vec(c["expected"]["reclag_code"]);
        typename reclag::ReclagScorer<T>::Param p;
        p.beta = static_cast<T>(reclag_test::scalar(c["params"]["beta"]));
        p.norm = T(0);  // the public code scores raw features
        reclag::ReclagScorer<T> scorer(xis, p);
        scorer.set_log_gamma(T(std::log(3.0)));  // the public code's gamma = N_H
        const Vector<T> r = scorer.score(reclag::FeatureView<T>(x, z));
        for (Eigen::Index i = 0; i < e.size(); ++i) CHECK(close(r(i), e(i), rtol_for<T>(), rtol_for<T>()));
        CHECK_THROWS_WITH(scorer.score(reclag::FeatureView<T>(x)), Catch::Contains("logits"));
    }
    CHECK(found);
}

TEMPLATE_TEST_CASE("ReclagScorer: fit calibrates log gamma only; score is const, thread-safe and checked",
                   "[score][reclag]", float, double) {
    using T = TestType;
    std::mt19937 rng(17);
    const RowMatrix<T> xi = random_matrix<T>(rng, 10, 8, 3.0);
    const RowMatrix<T> id = random_matrix<T>(rng, 200, 8, 1.0);
    reclag::ReclagScorer<T> scorer(xi);
    CHECK_FALSE(scorer.is_fitted());
    CHECK_THROWS_WITH(scorer.score(reclag::FeatureView<T>(id)), Catch::Contains("before fit"));
    scorer.fit(reclag::FeatureView<T>(id));
    REQUIRE(scorer.is_fitted());
    CHECK(std::string(reclag::ReclagScorer<T>::name) == "reclag");
    const Vector<T> r = scorer.score(reclag::FeatureView<T>(id));
    CHECK(scorer.log_gamma() == reclag::log_gamma_at_tpr(r, 0.95));
    const auto ood = scorer.is_ood(reclag::FeatureView<T>(id));
    CHECK(ood.count() == 200 - 190);  // exactly floor(0.95 n) ID samples kept (distinct scores)
    const Vector<T> g = scorer.gate(reclag::FeatureView<T>(id));
    for (Eigen::Index i = 0; i < g.size(); ++i) CHECK((g(i) < 0) == ood(i));
    // the default is the paper's detector: beta 5 on features scaled to norm 10
    const Vector<T> ref = reclag::reclag_scores(id, xi, T(5), T(10));
    CHECK(r == ref);

    // const scoring from two threads gives the same numbers
    Vector<T> a, b;
    std::thread t1([&] { a = scorer.score(reclag::FeatureView<T>(id)); });
    std::thread t2([&] { b = scorer.score(reclag::FeatureView<T>(id)); });
    t1.join();
    t2.join();
    CHECK(a == r);
    CHECK(b == r);

    CHECK_THROWS_WITH(scorer.score(reclag::FeatureView<T>(RowMatrix<T>::Zero(3, 7))), Catch::Contains("7 columns, expected 8"));
    typename reclag::ReclagScorer<T>::Param bad;
    bad.beta = T(0);
    CHECK_THROWS_WITH(reclag::ReclagScorer<T>(bad), Catch::Contains("beta"));
    bad = {};
    bad.target_tpr = 0;
    CHECK_THROWS_WITH(reclag::ReclagScorer<T>(bad), Catch::Contains("target_tpr"));
    reclag::ReclagScorer<T> empty;
    CHECK_THROWS_WITH(empty.fit(reclag::FeatureView<T>(id)), Catch::Contains("no interaction matrix"));
}

TEMPLATE_TEST_CASE("ReclagScorer: a pluggable trainer supplies xi at fit time", "[score][reclag]", float, double) {
    using T = TestType;
    std::mt19937 rng(3);
    const RowMatrix<T> xi = random_matrix<T>(rng, 6, 4, 2.0);
    const RowMatrix<T> id = random_matrix<T>(rng, 40, 4, 1.0);
    reclag::ReclagScorer<T> scorer;
    int calls = 0;
    scorer.set_trainer([&](const reclag::FeatureView<T>& fit, const reclag::ClassifierHead<T>* head,
                           const typename reclag::ReclagScorer<T>::Param&) {
        ++calls;
        CHECK(fit.rows() == 40);
        CHECK(head == nullptr);
        return reclag::ReclagInteraction<T>{{xi}, false};
    });
    scorer.fit(reclag::FeatureView<T>(id));
    CHECK(calls == 1);
    CHECK(scorer.score(reclag::FeatureView<T>(id)) == reclag::reclag_scores(id, xi, T(5), T(10)));
}
