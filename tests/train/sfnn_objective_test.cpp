// SFNN objective kernel: golden values (shared/golden/sfnn_exact.json, sfnn_mc.json), analytic
// gradients against central finite differences of an independent naive (loop) oracle, and the
// GEMM evaluation against the same oracle.
#include <catch2/catch.hpp>

#include <cmath>
#include <random>

#include <reclag/core/numeric.hpp>
#include <reclag/train/sfnn_objective.hpp>

#include "golden.hpp"

using reclag::Index;
using reclag::VarianceLayout;
using reclag_test::close;
using reclag_test::MatrixXdR;

namespace {

template <typename A, typename B>
void check_close(const A& got, const B& expected, double rtol, double atol, const char* what) {
    INFO(what);
    REQUIRE(got.rows() == expected.rows());
    REQUIRE(got.cols() == expected.cols());
    for (Index i = 0; i < got.rows(); ++i)
        for (Index j = 0; j < got.cols(); ++j) {
            INFO("(" << i << ", " << j << ") got " << double(got(i, j)) << " expected " << double(expected(i, j)));
            CHECK(close(double(got(i, j)), double(expected(i, j)), rtol, atol));
        }
}

template <typename T>
double tol(double dbl) { return std::is_same_v<T, double> ? dbl : 2e-4; }

}  // namespace

TEMPLATE_TEST_CASE("SfnnObjective exact estimator matches sfnn_exact.json", "[train][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("sfnn_exact.json");
    for (const auto& c : golden["cases"].array) {
        INFO("case " << c["name"].as_string());
        const double beta = reclag_test::scalar(c["params"]["beta"]);
        const double s = reclag_test::scalar(c["params"]["s"]);
        const MatrixXdR x = reclag_test::mat(c["inputs"]["x"]);
        const MatrixXdR xi = reclag_test::mat(c["inputs"]["xi"]);
        const Eigen::VectorXd lv = reclag_test::vec(c["inputs"]["log_var"]);
        const auto& e = c["expected"];
        const Index B = x.rows();

        reclag::SfnnObjective<T> k;
        k.reserve(B + 3, xi.rows(), xi.cols(), 1);  // larger workspace than the batch: blocks must be used
        auto in = k.input(B);
        in = x.cast<T>();
        reclag::normalize_rows_inplace(in, T(s));
        check_close(k.input(B), reclag_test::mat(e["xh"]), tol<T>(1e-12), tol<T>(1e-12), "xh");

        const reclag::RowMatrix<T> xit = xi.cast<T>();
        const reclag::Vector<T> lvt = lv.cast<T>();
        const double mean = k.exact(B, xit, lvt, T(beta), VarianceLayout::PerDimension, true);
        CHECK(close(mean, reclag_test::scalar(e["objective_mean"]), tol<T>(1e-12), tol<T>(1e-12)));
        check_close(k.objective().head(B).transpose(), reclag_test::mat(e["objective_per_sample"]), tol<T>(1e-12),
                    tol<T>(1e-12), "objective_per_sample");
        check_close(k.log_p_H().topRows(B), reclag_test::mat(e["log_p_H"]), tol<T>(1e-12), tol<T>(1e-12), "log_p_H");
        // log p_V via ||x||^2 - 2 x.xi + ||xi||^2 loses ~|x|^2 eps to cancellation (|x|^2 ~ 100 here)
        check_close(k.log_p_V().topRows(B), reclag_test::mat(e["log_p_V"]), tol<T>(1e-12), tol<T>(1e-12), "log_p_V");
        check_close(k.posterior().topRows(B), reclag_test::mat(e["posterior"]), tol<T>(1e-12), tol<T>(1e-12), "posterior");
        check_close(k.grad_xi(), reclag_test::mat(e["grad_xi"]), tol<T>(1e-12), tol<T>(1e-12), "grad_xi");
        check_close(k.grad_log_var().transpose(), reclag_test::mat(e["grad_log_var"]), tol<T>(1e-12), tol<T>(1e-12),
                    "grad_log_var");
    }
}

TEMPLATE_TEST_CASE("SfnnObjective Monte Carlo estimator matches sfnn_mc.json", "[train][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("sfnn_mc.json");
    for (const auto& c : golden["cases"].array) {
        INFO("case " << c["name"].as_string());
        const double beta = reclag_test::scalar(c["params"]["beta"]);
        const double s = reclag_test::scalar(c["params"]["s"]);
        const Index M = static_cast<Index>(reclag_test::scalar(c["params"]["M"]));
        const MatrixXdR x = reclag_test::mat(c["inputs"]["x"]);
        const MatrixXdR xi = reclag_test::mat(c["inputs"]["xi"]);
        const Eigen::VectorXd lv = reclag_test::vec(c["inputs"]["log_var"]);
        const MatrixXdR idx = reclag_test::mat(c["inputs"]["idx"]);
        const MatrixXdR u = reclag_test::mat(c["inputs"]["u"]);
        const auto& e = c["expected"];
        const Index B = x.rows();

        reclag::SfnnObjective<T> k;
        k.reserve(B, xi.rows(), xi.cols(), M);
        auto in = k.input(B);
        in = x.cast<T>();
        reclag::normalize_rows_inplace(in, T(s));
        const reclag::RowMatrix<T> xit = xi.cast<T>();
        const reclag::Vector<T> lvt = lv.cast<T>();

        k.p_H(B, xit, T(beta));
        check_close(k.p_H_matrix().topRows(B), reclag_test::mat(e["p_H"]), tol<T>(1e-12), tol<T>(1e-12), "p_H");
        k.sample_indices(B, u.cast<T>());
        if (std::is_same_v<T, double>)  // float p_H may move a cdf boundary past u
            check_close(k.indices().topLeftCorner(B, M), reclag_test::mat(e["idx_from_u"]), 0, 0, "idx_from_u");

        k.set_indices(B, idx);
        const double mean = k.monte_carlo(B, M, xit, lvt, T(beta), VarianceLayout::PerDimension, true);
        CHECK(close(mean, reclag_test::scalar(e["objective_mean"]), tol<T>(1e-12), tol<T>(1e-12)));
        CHECK(close(k.surrogate(), reclag_test::scalar(e["surrogate_mean"]), tol<T>(1e-12), tol<T>(1e-12)));
        check_close(k.objective().head(B).transpose(), reclag_test::mat(e["objective_per_sample"]), tol<T>(1e-12),
                    tol<T>(1e-12), "objective_per_sample");
        check_close(k.mc_weights().topLeftCorner(B, M), reclag_test::mat(e["weights"]), tol<T>(1e-12), tol<T>(1e-12),
                    "weights");
        check_close(k.grad_xi(), reclag_test::mat(e["grad_xi"]), tol<T>(1e-12), tol<T>(1e-12), "grad_xi");
        check_close(k.grad_log_var().transpose(), reclag_test::mat(e["grad_log_var"]), tol<T>(1e-12), tol<T>(1e-12),
                    "grad_log_var");
    }
}

// ---- finite differences against a naive oracle ---------------------------------------------

namespace {

struct Problem {
    MatrixXdR x;    // already scaled
    MatrixXdR xi;
    Eigen::VectorXd lv;  // D entries (PerDimension) or 1 (Shared)
    double beta;
};

/// Naive loops: log p_H (B x H) and log p_V (B x H), straight from Eqs. 16-17.
void oracle_logs(const Problem& p, MatrixXdR& lph, MatrixXdR& lpv) {
    const Index B = p.x.rows(), H = p.xi.rows(), D = p.x.cols();
    lph.resize(B, H);
    lpv.resize(B, H);
    for (Index b = 0; b < B; ++b) {
        Eigen::VectorXd a(H);
        for (Index mu = 0; mu < H; ++mu) {
            double dot = 0, q = 0, slv = 0;
            for (Index d = 0; d < D; ++d) {
                const double l = p.lv.size() == 1 ? p.lv(0) : p.lv(d);
                dot += p.xi(mu, d) * p.x(b, d);
                q += (p.x(b, d) - p.xi(mu, d)) * (p.x(b, d) - p.xi(mu, d)) * std::exp(-l);
                slv += l;
            }
            a(mu) = p.beta * dot;
            lpv(b, mu) = -0.5 * (static_cast<double>(D) * std::log(2 * M_PI) + slv + q);
        }
        const double lse = reclag::log_sum_exp(a);
        for (Index mu = 0; mu < H; ++mu) lph(b, mu) = a(mu) - lse;
    }
}

double oracle_exact_mean(const Problem& p) {
    MatrixXdR lph, lpv;
    oracle_logs(p, lph, lpv);
    double sum = 0;
    for (Index b = 0; b < p.x.rows(); ++b) sum += reclag::log_sum_exp((lph.row(b) + lpv.row(b)).transpose().eval());
    return sum / static_cast<double>(p.x.rows());
}

/// The MC surrogate mean_b sum_m w_bm [log p_V + log p_H](idx_bm) with the weights w frozen.
double oracle_mc_surrogate(const Problem& p, const Eigen::MatrixXi& idx, const MatrixXdR& w) {
    MatrixXdR lph, lpv;
    oracle_logs(p, lph, lpv);
    double sum = 0;
    for (Index b = 0; b < p.x.rows(); ++b)
        for (Index m = 0; m < idx.cols(); ++m) sum += w(b, m) * (lpv(b, idx(b, m)) + lph(b, idx(b, m)));
    return sum / static_cast<double>(p.x.rows());
}

Problem random_problem(std::uint32_t seed, Index B, Index H, Index D, double s, double beta, bool shared) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> n01;
    Problem p;
    p.x = MatrixXdR::NullaryExpr(B, D, [&] { return n01(gen); });
    reclag::normalize_rows_inplace(p.x, s);
    p.xi = MatrixXdR::NullaryExpr(H, D, [&] { return n01(gen); });
    reclag::normalize_rows_inplace(p.xi, s);
    p.xi += 0.3 * MatrixXdR::NullaryExpr(H, D, [&] { return n01(gen); });
    p.lv = shared ? Eigen::VectorXd::Constant(1, 0.4) : Eigen::VectorXd(Eigen::VectorXd::NullaryExpr(D, [&] { return 0.5 * n01(gen); }));
    p.beta = beta;
    return p;
}

/// Central differences of f over every entry of xi and lv; returns the relative 2-norm error.
template <typename F>
double fd_relative_error(Problem p, const F& f, const MatrixXdR& grad_xi, const Eigen::VectorXd& grad_lv) {
    const double h = 1e-5;
    double err2 = 0, norm2 = 0;
    for (Index i = 0; i < p.xi.size(); ++i) {
        const double keep = p.xi.data()[i];
        p.xi.data()[i] = keep + h;
        const double fp = f(p);
        p.xi.data()[i] = keep - h;
        const double fm = f(p);
        p.xi.data()[i] = keep;
        const double fd = (fp - fm) / (2 * h);
        err2 += (fd - grad_xi.data()[i]) * (fd - grad_xi.data()[i]);
        norm2 += grad_xi.data()[i] * grad_xi.data()[i];
    }
    for (Index i = 0; i < p.lv.size(); ++i) {
        const double keep = p.lv(i);
        p.lv(i) = keep + h;
        const double fp = f(p);
        p.lv(i) = keep - h;
        const double fm = f(p);
        p.lv(i) = keep;
        const double fd = (fp - fm) / (2 * h);
        err2 += (fd - grad_lv(i)) * (fd - grad_lv(i));
        norm2 += grad_lv(i) * grad_lv(i);
    }
    return std::sqrt(err2 / norm2);
}

}  // namespace

TEST_CASE("exact estimator: GEMM value = naive oracle, gradients = finite differences", "[train][gradient]") {
    for (const bool shared : {false, true}) {
        for (const auto& [s, beta] : {std::pair<double, double>{1.0, 2.0}, {3.0, 1.5}}) {
            INFO((shared ? "shared (isotropic/fixed) variance" : "diagonal variance") << ", s " << s << ", beta " << beta);
            const Problem p = random_problem(shared ? 7u : 11u, 7, 5, 6, s, beta, shared);
            reclag::SfnnObjective<double> k;
            k.reserve(8, 5, 6, 1);
            k.input(7) = p.x;
            const auto layout = shared ? VarianceLayout::Shared : VarianceLayout::PerDimension;
            const double mean = k.exact(7, p.xi, p.lv, p.beta, layout, true);
            CHECK(close(mean, oracle_exact_mean(p), 1e-12, 1e-12));
            const double rel = fd_relative_error(p, oracle_exact_mean, k.grad_xi(), k.grad_log_var());
            INFO("relative error " << rel);
            CHECK(rel < 1e-6);
        }
    }
}

TEST_CASE("Monte Carlo estimator: gradients = finite differences of the frozen-weight surrogate", "[train][gradient]") {
    for (const bool shared : {false, true}) {
        INFO((shared ? "shared variance" : "diagonal variance"));
        const Index B = 6, H = 5, D = 4, M = 4;
        const Problem p = random_problem(shared ? 3u : 5u, B, H, D, 2.0, 1.5, shared);
        Eigen::MatrixXi idx(B, M);
        std::mt19937 gen(99);
        for (Index b = 0; b < B; ++b)
            for (Index m = 0; m < M; ++m) idx(b, m) = static_cast<int>(gen() % H);
        idx(0, 1) = idx(0, 0);  // a repeated index
        reclag::SfnnObjective<double> k;
        k.reserve(B, H, D, M);
        k.input(B) = p.x;
        k.p_H(B, p.xi, p.beta);
        k.set_indices(B, idx);
        const auto layout = shared ? VarianceLayout::Shared : VarianceLayout::PerDimension;
        k.monte_carlo(B, M, p.xi, p.lv, p.beta, layout, true);
        const MatrixXdR w = k.mc_weights().topLeftCorner(B, M);
        CHECK(close(k.surrogate(), oracle_mc_surrogate(p, idx, w), 1e-12, 1e-12));
        const auto f = [&](const Problem& q) { return oracle_mc_surrogate(q, idx, w); };
        const double rel = fd_relative_error(p, f, k.grad_xi(), k.grad_log_var());
        INFO("relative error " << rel);
        CHECK(rel < 1e-6);
    }
}

TEST_CASE("exact estimator stays finite in 512 dimensions where exp(-|x - xi|^2/2) underflows", "[train]") {
    Problem p = random_problem(21u, 4, 3, 512, 10.0, 5.0, false);
    p.lv.setConstant(-3.0);  // trained log-variances go to about -5 (reference README)
    reclag::SfnnObjective<double> k;
    k.reserve(4, 3, 512, 1);
    k.input(4) = p.x;
    const double mean = k.exact(4, p.xi, p.lv, p.beta, VarianceLayout::PerDimension, true);
    REQUIRE(std::exp(oracle_exact_mean(p)) == 0.0);  // the naive density is 0
    CHECK(std::isfinite(mean));
    CHECK(close(mean, oracle_exact_mean(p), 1e-10, 1e-10));
    CHECK(k.grad_xi().allFinite());
    CHECK(k.grad_log_var().allFinite());
}
