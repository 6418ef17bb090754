// Lagrangian policies (Eqs. 5, 7, 11): golden values, f = dL/dh against finite differences,
// overflow safety, the contract trait, batched == per-row.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>

#include <reclag/lagrangian/absolute.hpp>
#include <reclag/lagrangian/lagrangian.hpp>
#include <reclag/lagrangian/log_sum_exp.hpp>
#include <reclag/lagrangian/polynomial.hpp>
#include <reclag/lagrangian/quadratic.hpp>
#include <reclag/lagrangian/rectified.hpp>

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

// Central differences of value() computed in double on a double twin of the policy, compared
// with the policy's activation in its own Scalar. `skip(row)` excludes states at a kink.
template <typename Policy, typename PolicyD, typename Skip>
void check_gradient(const Policy& pol, const PolicyD& pol_d, const RowMatrix<double>& h, Skip skip, double tol) {
    using T = typename Policy::Scalar;
    const RowMatrix<T> ht = h.cast<T>();
    const RowMatrix<T> f = pol.activation(ht);
    const double step = 1e-5;
    for (Eigen::Index i = 0; i < h.rows(); ++i) {
        if (skip(h.row(i))) continue;
        for (Eigen::Index j = 0; j < h.cols(); ++j) {
            RowMatrix<double> hp = h.row(i), hm = h.row(i);
            hp(0, j) += step;
            hm(0, j) -= step;
            const double fd = (pol_d.value(hp)(0) - pol_d.value(hm)(0)) / (2 * step);
            INFO(Policy::name << " row " << i << " col " << j);
            CHECK(close(static_cast<double>(f(i, j)), fd, tol, tol));
        }
    }
}

struct NoActivation {
    using Scalar = double;
    static constexpr const char* name = "broken";
    void value_into(const Eigen::Ref<const RowMatrix<double>>&, Eigen::Ref<Vector<double>>) const {}
};

}  // namespace

static_assert(reclag::is_lagrangian_v<reclag::LogSumExpLagrangian<float>>);
static_assert(reclag::is_lagrangian_v<reclag::RecLagLagrangian<double>>);
static_assert(reclag::is_lagrangian_v<reclag::QuadraticLagrangian<double>>);
static_assert(reclag::is_lagrangian_v<reclag::AbsoluteLagrangian<float>>);
static_assert(reclag::is_lagrangian_v<reclag::PolynomialLagrangian<double>>);
static_assert(reclag::is_lagrangian_v<reclag::RectifiedPolynomialLagrangian<float>>);
static_assert(!reclag::is_lagrangian_v<int>);
static_assert(!reclag::is_lagrangian_v<NoActivation>, "a policy without activation_into is rejected");

TEMPLATE_TEST_CASE("LogSumExp and RecLag Lagrangians match energy.json", "[lagrangian][golden]", float, double) {
    const auto golden = reclag_test::load_golden("energy.json");
    const double tol = rtol_for<TestType>();
    for (const auto& c : golden["cases"].array) {
        const double beta = reclag_test::scalar(c["params"]["beta"]);
        const double log_gamma = reclag_test::scalar(c["params"]["log_gamma"]);
        const RowMatrix<TestType> h = reclag_test::mat(c["inputs"]["h"]).cast<TestType>();
        const RowMatrix<TestType> v = reclag_test::mat(c["inputs"]["v"]).cast<TestType>();
        const reclag::LogSumExpLagrangian<TestType> lse({static_cast<TestType>(beta)});
        const reclag::RecLagLagrangian<TestType> rec({static_cast<TestType>(beta), static_cast<TestType>(log_gamma)});
        const reclag::QuadraticLagrangian<TestType> quad;
        const auto cmp_vec = [&](const Vector<TestType>& got, const char* key) {
            const Eigen::VectorXd e = reclag_test::vec(c["expected"][key]);
            REQUIRE(got.size() == e.size());
            for (Eigen::Index i = 0; i < e.size(); ++i) {
                INFO(key << "[" << i << "]");
                CHECK(close(got(i), e(i), tol, tol));
            }
        };
        const auto cmp_mat = [&](const RowMatrix<TestType>& got, const char* key) {
            const reclag_test::MatrixXdR e = reclag_test::mat(c["expected"][key]);
            REQUIRE(got.rows() == e.rows());
            REQUIRE(got.cols() == e.cols());
            for (Eigen::Index i = 0; i < e.rows(); ++i)
                for (Eigen::Index j = 0; j < e.cols(); ++j) {
                    INFO(key << "[" << i << "," << j << "]");
                    CHECK(close(got(i, j), e(i, j), tol, tol));
                }
        };
        cmp_vec(lse.value(h), "L_H_lse");
        cmp_mat(lse.activation(h), "f_lse");
        cmp_vec(rec.value(h), "L_H_reclag");
        cmp_mat(rec.activation(h), "f_reclag");
        cmp_vec(quad.value(v), "L_V");
        CHECK(quad.activation(v) == v);
    }
}

TEMPLATE_TEST_CASE("LogSumExp with beta = 1 matches lse.json, extreme rows included", "[lagrangian][golden]", float, double) {
    const auto golden = reclag_test::load_golden("lse.json");
    const double tol = rtol_for<TestType>();
    const reclag::LogSumExpLagrangian<TestType> lse({TestType(1)});
    for (const auto& c : golden["cases"].array) {
        const RowMatrix<TestType> a = reclag_test::mat(c["inputs"]["a"]).cast<TestType>();
        INFO("case " << c["name"].as_string());
        CHECK(close(lse.value(a)(0), reclag_test::scalar(c["expected"]["lse"]), tol, tol));
        const Eigen::VectorXd p = reclag_test::vec(c["expected"]["softmax"]);
        const RowMatrix<TestType> f = lse.activation(a);
        for (Eigen::Index j = 0; j < p.size(); ++j) CHECK(close(f(0, j), p(j), tol, tol));
    }
}

TEST_CASE("the RecLag gate indicator follows chi.json", "[lagrangian][golden]") {
    const auto golden = reclag_test::load_golden("chi.json");
    for (const auto& c : golden["cases"].array) {
        const Eigen::VectorXd z = reclag_test::vec(c["inputs"]["z"]);
        const Eigen::VectorXd e = reclag_test::vec(c["expected"]["chi"]);
        for (Eigen::Index i = 0; i < z.size(); ++i) {
            CHECK(reclag::reclag_gate_open(z(i)) == e(i));
            CHECK(reclag::reclag_is_ood(z(i)) == (e(i) == 0.0));
        }
    }
}

TEMPLATE_TEST_CASE("every activation is the finite-difference gradient of its value", "[lagrangian][property]", float,
                   double) {
    using T = TestType;
    // float activations against a double finite difference: float rounding sets the tolerance
    const double tol = std::is_same_v<T, double> ? 1e-7 : 2e-5;
    std::mt19937 rng(20250101);
    for (int trial = 0; trial < 20; ++trial) {
        const Eigen::Index n = 6, k = 1 + trial % 7;
        const RowMatrix<double> h = random_matrix<double>(rng, n, k, 1.0 + trial % 3);
        const double beta = 0.5 + 0.5 * (trial % 4);
        const auto never = [](const auto&) { return false; };
        check_gradient(reclag::LogSumExpLagrangian<T>({T(beta)}), reclag::LogSumExpLagrangian<double>({beta}), h, never, tol);
        check_gradient(reclag::QuadraticLagrangian<T>(), reclag::QuadraticLagrangian<double>(), h, never, tol);
        // RecLag: log gamma near the typical LSE, so both sides of the gate are visited; states
        // within 1e-3 of the kink G = 0 are skipped (the FD stencil would straddle it).
        const double log_gamma = std::log(static_cast<double>(k)) + 1.0;
        const reclag::RecLagLagrangian<double> rec_d({beta, log_gamma});
        check_gradient(reclag::RecLagLagrangian<T>({T(beta), T(log_gamma)}), rec_d, h,
                       [&](const auto& row) { return std::abs(rec_d.gate(row)(0)) < 1e-3; }, tol);
        const int deg = 1 + trial % 4;
        const auto near_zero = [](const auto& row) { return row.cwiseAbs().minCoeff() < 1e-3; };
        check_gradient(reclag::PolynomialLagrangian<T>({deg}), reclag::PolynomialLagrangian<double>({deg}), h, never,
                       tol * 10);
        check_gradient(reclag::RectifiedPolynomialLagrangian<T>({deg}), reclag::RectifiedPolynomialLagrangian<double>({deg}),
                       h, near_zero, tol * 10);
        check_gradient(reclag::AbsoluteLagrangian<T>(), reclag::AbsoluteLagrangian<double>(), h, near_zero, tol);
    }
}

TEMPLATE_TEST_CASE("exp-based Lagrangians stay finite for |beta h| up to 1e4", "[lagrangian]", float, double) {
    using T = TestType;
    RowMatrix<T> h(4, 3);
    h << T(1e4), T(-1e4), T(0), T(-1e4), T(-1e4), T(-1e4), T(1e4), T(1e4), T(9999), T(-5000), T(5000), T(1e4);
    const reclag::LogSumExpLagrangian<T> lse({T(1)});
    const reclag::RecLagLagrangian<T> rec({T(1), T(100)});
    CHECK(lse.value(h).allFinite());
    CHECK(lse.activation(h).allFinite());
    CHECK(rec.value(h).allFinite());
    CHECK(rec.activation(h).allFinite());
    // row 1: LSE = -1e4 + log 3, far inside the basin: L = 0 and f = 0
    CHECK(rec.value(h)(1) == T(0));
    CHECK(rec.activation(h).row(1).isZero());
    // row 0: softmax is one-hot; L = (1e4 - 100) / 1
    CHECK(close(rec.value(h)(0), 1e4 - 100, rtol_for<T>(), rtol_for<T>()));
    CHECK(lse.activation(h)(0, 0) == T(1));
    // a NaN is never hidden by a closed gate
    RowMatrix<T> bad = RowMatrix<T>::Zero(1, 3);
    bad(0, 1) = std::numeric_limits<T>::quiet_NaN();
    CHECK(std::isnan(rec.value(bad)(0)));
    CHECK(std::isnan(rec.activation(bad)(0, 0)));
}

TEMPLATE_TEST_CASE("batched values and activations equal a per-row loop", "[lagrangian]", float, double) {
    using T = TestType;
    std::mt19937 rng(7);
    const RowMatrix<T> h = random_matrix<T>(rng, 9, 5, 2.0);
    const reclag::RecLagLagrangian<T> rec({T(2), T(3)});
    const reclag::RectifiedPolynomialLagrangian<T> rp({3});
    const Vector<T> v = rec.value(h);
    const RowMatrix<T> f = rec.activation(h);
    const Vector<T> vp = rp.value(h);
    for (Eigen::Index i = 0; i < h.rows(); ++i) {
        const RowMatrix<T> row = h.row(i);
        // equal up to summation order (Eigen vectorises an aligned and an unaligned row differently)
        const double tol = 8 * std::numeric_limits<T>::epsilon();
        CHECK(close(rec.value(row)(0), v(i), tol, tol));
        for (Eigen::Index j = 0; j < h.cols(); ++j) CHECK(close(rec.activation(row)(0, j), f(i, j), tol, tol));
        CHECK(close(rp.value(row)(0), vp(i), tol, tol));
    }
}

TEST_CASE("Lagrangian parameters are checked and name the field", "[lagrangian]") {
    CHECK_THROWS_WITH(reclag::LogSumExpLagrangian<double>({0.0}), Catch::Contains("beta"));
    CHECK_THROWS_WITH(reclag::RecLagLagrangian<double>({1.0, std::nan("")}), Catch::Contains("log_gamma"));
    CHECK_THROWS_WITH(reclag::PolynomialLagrangian<double>({0}), Catch::Contains("degree"));
    CHECK_THROWS_AS(reclag::RecLagLagrangian<float>({-1.0f, 0.0f}), reclag::invalid_argument);
}
