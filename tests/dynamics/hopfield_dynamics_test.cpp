// HopfieldDynamics (Eqs. 1-4, 12): golden steps, trajectories, energies; energy descent along
// Euler trajectories; Theorems 1-3; Eqs. 6 and 8; batched == per-sample; run() statuses.
#include <catch2/catch.hpp>

#include <cmath>
#include <limits>
#include <random>
#include <sstream>

#include <reclag/dynamics/hopfield_dynamics.hpp>
#include <reclag/dynamics/scores_over_time.hpp>
#include <reclag/lagrangian/absolute.hpp>
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
using Quad = reclag::QuadraticLagrangian<T>;
template <typename T>
using Lse = reclag::LogSumExpLagrangian<T>;
template <typename T>
using Rec = reclag::RecLagLagrangian<T>;
template <typename T>
using VanillaMhn = reclag::HopfieldDynamics<Lse<T>, Quad<T>>;
template <typename T>
using ReclagMhn = reclag::HopfieldDynamics<Rec<T>, Quad<T>>;

template <typename T>
RowMatrix<T> random_matrix(std::mt19937& rng, Eigen::Index r, Eigen::Index c, double scale) {
    std::normal_distribution<double> nd(0.0, scale);
    RowMatrix<T> m(r, c);
    for (Eigen::Index i = 0; i < r; ++i)
        for (Eigen::Index j = 0; j < c; ++j) m(i, j) = static_cast<T>(nd(rng));
    return m;
}

template <typename T, typename Expected>
void check_matrix(const RowMatrix<T>& got, const Expected& e, const char* what) {
    const double tol = rtol_for<T>();
    REQUIRE(got.rows() == e.rows());
    REQUIRE(got.cols() == e.cols());
    for (Eigen::Index i = 0; i < e.rows(); ++i)
        for (Eigen::Index j = 0; j < e.cols(); ++j) {
            INFO(what << "[" << i << "," << j << "]");
            CHECK(close(got(i, j), e(i, j), tol, tol));
        }
}

template <typename T>
void check_vector(const Vector<T>& got, const Eigen::VectorXd& e, const char* what) {
    const double tol = rtol_for<T>();
    REQUIRE(got.size() == e.size());
    for (Eigen::Index i = 0; i < e.size(); ++i) {
        INFO(what << "[" << i << "]");
        CHECK(close(got(i), e(i), tol, tol));
    }
}

/// (n, K+1, D) golden trajectory -> batch k.
reclag_test::MatrixXdR traj_step(const reclag_test::Json& arr, long k) {
    const std::vector<long> shape = reclag_test::array_shape(arr);
    const std::vector<double> flat = reclag_test::array_flat(arr);
    reclag_test::MatrixXdR out(shape[0], shape[2]);
    for (long i = 0; i < shape[0]; ++i)
        for (long d = 0; d < shape[2]; ++d) out(i, d) = flat[static_cast<std::size_t>((i * shape[1] + k) * shape[2] + d)];
    return out;
}

}  // namespace

TEMPLATE_TEST_CASE("adiabatic step matches adiabatic_step.json", "[dynamics][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("adiabatic_step.json");
    for (const auto& c : golden["cases"].array) {
        const T beta = static_cast<T>(reclag_test::scalar(c["params"]["beta"]));
        const T log_gamma = static_cast<T>(reclag_test::scalar(c["params"]["log_gamma"]));
        const RowMatrix<T> xi = reclag_test::mat(c["inputs"]["xi"]).cast<T>();
        const RowMatrix<T> v = reclag_test::mat(c["inputs"]["v"]).cast<T>();
        const VanillaMhn<T> van(xi, Lse<T>({beta}));
        const ReclagMhn<T> rec(xi, Rec<T>({beta, log_gamma}));
        check_matrix(van.adiabatic_step(v), reclag_test::mat(c["expected"]["v_next_vanilla"]), "v_next_vanilla");
        check_matrix(rec.adiabatic_step(v), reclag_test::mat(c["expected"]["v_next_reclag"]), "v_next_reclag");
        check_vector(rec.gate(v), reclag_test::vec(c["expected"]["G"]), "G");
    }
}

TEMPLATE_TEST_CASE("5-step trajectories and scores over time match trajectory.json", "[dynamics][golden]", float, double) {
    using T = TestType;
    const auto golden = reclag_test::load_golden("trajectory.json");
    for (const auto& c : golden["cases"].array) {
        INFO("case " << c["name"].as_string());
        const T beta = static_cast<T>(reclag_test::scalar(c["params"]["beta"]));
        const T s = static_cast<T>(reclag_test::scalar(c["params"]["s"]));
        const T log_gamma = static_cast<T>(reclag_test::scalar(c["params"]["log_gamma"]));
        const long steps = static_cast<long>(reclag_test::scalar(c["params"]["steps"]));
        const RowMatrix<T> xi = reclag_test::mat(c["inputs"]["xi"]).cast<T>();
        const RowMatrix<T> x = reclag_test::mat(c["inputs"]["x"]).cast<T>();
        const RowMatrix<T> v0 = reclag::normalize_rows(x, s);
        const VanillaMhn<T> van(xi, Lse<T>({beta}));
        const ReclagMhn<T> rec(xi, Rec<T>({beta, log_gamma}));
        const auto tr = rec.adiabatic_trajectory(v0, steps);
        const auto tv = van.adiabatic_trajectory(v0, steps);
        REQUIRE(static_cast<long>(tr.size()) == steps + 1);
        const reclag_test::MatrixXdR g_expected = reclag_test::mat(c["expected"]["G_reclag"]);  // (n, K+1)
        reclag::ScoresOverTimeParam<T> sp;
        sp.steps = steps;
        sp.beta = beta;
        sp.norm = s;
        sp.log_gamma = log_gamma;
        sp.mhe_beta = T(1);
        const reclag::ScoresOverTime<T> sot = reclag::scores_over_time(x, xi, sp);
        REQUIRE(sot.reclag.rows() == steps + 1);
        REQUIRE(sot.reclag.cols() == x.rows());
        for (long k = 0; k <= steps; ++k) {
            INFO("step " << k);
            const reclag_test::MatrixXdR er = traj_step(c["expected"]["traj_reclag"], k);
            const reclag_test::MatrixXdR ev = traj_step(c["expected"]["traj_vanilla"], k);
            check_matrix(tr[static_cast<std::size_t>(k)], er, "traj_reclag");
            check_matrix(tv[static_cast<std::size_t>(k)], ev, "traj_vanilla");
            const Eigen::VectorXd gk = g_expected.col(k);
            {
                // G = r - log gamma cancels: its error scales with log gamma, not with G
                const Vector<T> g = rec.gate(tr[static_cast<std::size_t>(k)]);
                const double lg = std::abs(reclag_test::scalar(c["params"]["log_gamma"]));
                for (Eigen::Index i = 0; i < gk.size(); ++i) {
                    INFO("G_reclag[" << i << "]");
                    CHECK(std::abs(g(i) - gk(i)) <= rtol_for<T>() * (1.0 + lg + std::abs(gk(i))));
                }
            }
            // scores over time: r(v_k) = G + log gamma on the RecLag path; LSE(xi v_k) on the vanilla path
            const Eigen::VectorXd rk = gk.array() + reclag_test::scalar(c["params"]["log_gamma"]);
            check_vector(Vector<T>(sot.reclag.row(k).transpose()), rk, "scores_over_time.reclag");
            Eigen::VectorXd mk(ev.rows());
            const reclag_test::MatrixXdR a = ev * reclag_test::mat(c["inputs"]["xi"]).transpose();
            for (Eigen::Index i = 0; i < a.rows(); ++i) {
                const double m = a.row(i).maxCoeff();
                mk(i) = m + std::log((a.row(i).array() - m).exp().sum());
            }
            check_vector(Vector<T>(sot.mhe.row(k).transpose()), mk, "scores_over_time.mhe");
        }
    }
}

TEMPLATE_TEST_CASE("energy of Eq. 4 and one Euler step match energy.json and euler_step.json", "[dynamics][golden]",
                   float, double) {
    using T = TestType;
    for (const char* file : {"energy.json", "euler_step.json"}) {
        const auto golden = reclag_test::load_golden(file);
        for (const auto& c : golden["cases"].array) {
            const T beta = static_cast<T>(reclag_test::scalar(c["params"]["beta"]));
            const T log_gamma = static_cast<T>(reclag_test::scalar(c["params"]["log_gamma"]));
            const RowMatrix<T> xi = reclag_test::mat(c["inputs"]["xi"]).cast<T>();
            const RowMatrix<T> v = reclag_test::mat(c["inputs"]["v"]).cast<T>();
            const RowMatrix<T> h = reclag_test::mat(c["inputs"]["h"]).cast<T>();
            const VanillaMhn<T> van(xi, Lse<T>({beta}));
            const ReclagMhn<T> rec(xi, Rec<T>({beta, log_gamma}));
            if (std::string(file) == "energy.json") {
                check_vector(van.energy(v, h), reclag_test::vec(c["expected"]["E_lse"]), "E_lse");
                check_vector(rec.energy(v, h), reclag_test::vec(c["expected"]["E_reclag"]), "E_reclag");
            } else {
                reclag::EulerParam<T> ep;
                ep.dt = static_cast<T>(reclag_test::scalar(c["params"]["dt"]));
                ep.tau_v = static_cast<T>(reclag_test::scalar(c["params"]["tau_v"]));
                ep.tau_h = static_cast<T>(reclag_test::scalar(c["params"]["tau_h"]));
                const auto sl = van.euler_step(v, h, ep);
                const auto sr = rec.euler_step(v, h, ep);
                check_matrix(sl.v, reclag_test::mat(c["expected"]["v_next_lse"]), "v_next_lse");
                check_matrix(sl.h, reclag_test::mat(c["expected"]["h_next_lse"]), "h_next_lse");
                check_matrix(sr.v, reclag_test::mat(c["expected"]["v_next_reclag"]), "v_next_reclag");
                check_matrix(sr.h, reclag_test::mat(c["expected"]["h_next_reclag"]), "h_next_reclag");
            }
        }
    }
}

namespace {

/// Runs `steps` Euler steps and checks E_{k+1} <= E_k + slack at every step.
template <typename Dyn>
void check_energy_descent(const Dyn& dyn, RowMatrix<typename Dyn::Scalar> v, RowMatrix<typename Dyn::Scalar> h,
                          const reclag::EulerParam<typename Dyn::Scalar>& ep, int steps) {
    using T = typename Dyn::Scalar;
    const double rel = std::is_same_v<T, double> ? 1e-12 : 2e-6;
    Vector<T> e = dyn.energy(v, h);
    for (int k = 0; k < steps; ++k) {
        auto s = dyn.euler_step(v, h, ep);
        const Vector<T> en = dyn.energy(s.v, s.h);
        REQUIRE(en.allFinite());  // the horizon must stay in the bounded regime to mean anything
        for (Eigen::Index i = 0; i < e.size(); ++i) {
            INFO(Dyn::Memory::name << " step " << k << " state " << i << ": " << e(i) << " -> " << en(i));
            CHECK(static_cast<double>(en(i)) <= static_cast<double>(e(i)) + rel * (1.0 + std::abs(static_cast<double>(e(i)))));
        }
        v = std::move(s.v);
        h = std::move(s.h);
        e = en;
    }
}

}  // namespace

TEMPLATE_TEST_CASE("Eq. 4 energy never increases along Euler trajectories with small dt", "[dynamics][property]", float,
                   double) {
    using T = TestType;
    std::mt19937 rng(1234);
    reclag::EulerParam<T> ep;
    ep.dt = T(0.01);
    ep.tau_v = T(1);
    ep.tau_h = T(0.2);
    for (int trial = 0; trial < 12; ++trial) {
        const Eigen::Index nh = 3 + trial % 5, nv = 2 + trial % 4, n = 5;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, nv, 1.0);
        const RowMatrix<T> v = random_matrix<T>(rng, n, nv, 1.0);
        const RowMatrix<T> h = random_matrix<T>(rng, n, nh, 1.0);
        const T beta = T(0.5 + trial % 3);
        check_energy_descent(VanillaMhn<T>(xi, Lse<T>({beta})), v, h, ep, 150);
        // quadratic memory side (sigma(x) = x^2) and the rectified polynomial (n = 2, 3):
        // small xi so that the polynomial growth stays tame over the horizon
        const RowMatrix<T> xs = xi * T(0.2);
        check_energy_descent(reclag::HopfieldDynamics<reclag::PolynomialLagrangian<T>, Quad<T>>(xs), v * T(0.3),
                             h * T(0.3), ep, 150);
        check_energy_descent(reclag::HopfieldDynamics<reclag::RectifiedPolynomialLagrangian<T>, Quad<T>>(
                                 xs, reclag::RectifiedPolynomialLagrangian<T>({2 + trial % 2})),
                             v * T(0.3), h * T(0.3), ep, 150);
    }
}

// RecLag: between gate switches E descends as above. When a step moves h across G = 0, E jumps:
//   E_{k+1} = E_branch + (chi_{k+1} - chi_k) [softmax(beta h') . (h' - xi v') - G(h') / beta],
// (v', h') = the new state, E_branch <= E_k the energy of the new state with the OLD gate value
// held fixed (LogSumExp energy + log gamma / beta when the gate was open, 0.5||v'||^2 when
// closed). G(h') / beta is O(dt) (h' is one step past G = 0), so the jump is
// softmax(beta h) . (h - xi v) in the limit: zero on the adiabatic slice h = xi v, either sign off it.
TEMPLATE_TEST_CASE("RecLag energy descends between gate switches and jumps by the pinned amount across G = 0",
                   "[dynamics][property]", float, double) {
    using T = TestType;
    const double rel = std::is_same_v<T, double> ? 1e-12 : 2e-6;
    const double jump_tol = std::is_same_v<T, double> ? 1e-10 : 1e-4;
    std::mt19937 rng(99);
    reclag::EulerParam<T> ep;
    ep.dt = T(0.01);
    ep.tau_v = T(1);
    ep.tau_h = T(0.2);
    int crossings = 0, up_jumps = 0, down_jumps = 0;
    for (int trial = 0; trial < 30; ++trial) {
        const Eigen::Index nh = 3 + trial % 4, nv = 2 + trial % 3, n = 6;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, nv, 1.0);
        const RowMatrix<T> v0 = random_matrix<T>(rng, n, nv, 1.5);
        const RowMatrix<T> h0 = random_matrix<T>(rng, n, nh, 1.5);
        const T beta = T(1 + trial % 3);
        // log gamma among the states' LSE values so that gates open and close along the way
        const T log_gamma = T(std::log(static_cast<double>(nh))) + T(0.2 * (trial % 7));
        const ReclagMhn<T> rec(xi, Rec<T>({beta, log_gamma}));
        const VanillaMhn<T> van(xi, Lse<T>({beta}));
        RowMatrix<T> v = v0, h = h0;
        Vector<T> e = rec.energy(v, h);
        Vector<T> chi = rec.memory().gate(h).unaryExpr([](T g) { return reclag::chi(g); });
        for (int k = 0; k < 300; ++k) {
            auto s = rec.euler_step(v, h, ep);
            const Vector<T> en = rec.energy(s.v, s.h);
            const Vector<T> gn = rec.memory().gate(s.h);
            const Vector<T> chin = gn.unaryExpr([](T g) { return reclag::chi(g); });
            const Vector<T> e_lse = van.energy(s.v, s.h);
            const RowMatrix<T> p = Lse<T>({beta}).activation(s.h);
            const RowMatrix<T> gap = s.h - s.v * xi.transpose();
            for (Eigen::Index i = 0; i < n; ++i) {
                const double ek = e(i), ek1 = en(i);
                INFO("trial " << trial << " step " << k << " state " << i << ": " << ek << " -> " << ek1);
                if (chin(i) == chi(i)) {
                    CHECK(ek1 <= ek + rel * (1.0 + std::abs(ek)));
                } else {
                    ++crossings;
                    const double branch = chi(i) > 0 ? static_cast<double>(e_lse(i)) + double(log_gamma) / double(beta)
                                                     : 0.5 * static_cast<double>(s.v.row(i).squaredNorm());
                    const double jump = (static_cast<double>(chin(i)) - static_cast<double>(chi(i))) *
                                        (static_cast<double>(p.row(i).dot(gap.row(i))) - double(gn(i)) / double(beta));
                    CHECK(branch <= ek + rel * (1.0 + std::abs(ek)));
                    CHECK(std::abs(ek1 - (branch + jump)) <= jump_tol * (1.0 + std::abs(ek1)));
                    (jump > 0 ? up_jumps : down_jumps) += 1;
                }
            }
            v = std::move(s.v);
            h = std::move(s.h);
            e = en;
            chi = chin;
        }
    }
    INFO("crossings " << crossings << " (up " << up_jumps << ", down " << down_jumps << ")");
    CHECK(crossings > 0);  // the test must actually exercise the switch
    CHECK(up_jumps > 0);    // with these seeds: 1 up, 72 down (double and float)
    CHECK(down_jumps > 0);
}

TEMPLATE_TEST_CASE("adiabatic energy: Eq. 8 for LogSumExp (beta = 1) and the classical Hopfield energy for x^2",
                   "[dynamics][property]", float, double) {
    using T = TestType;
    const double tol = std::is_same_v<T, double> ? 1e-12 : 2e-5;
    std::mt19937 rng(5);
    for (int trial = 0; trial < 10; ++trial) {
        const Eigen::Index nh = 2 + trial, nv = 3 + trial % 3;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, nv, 1.0);
        const RowMatrix<T> v = random_matrix<T>(rng, 4, nv, 1.0);
        const VanillaMhn<T> van(xi, Lse<T>({T(1)}));
        const Vector<T> e = van.adiabatic_energy(v);
        // the full energy on the adiabatic slice h = xi v is the same thing
        const Vector<T> e_full = van.energy(v, van.memory_input(v));
        const RowMatrix<double> xd = xi.template cast<double>(), vd = v.template cast<double>();
        for (Eigen::Index i = 0; i < v.rows(); ++i) {
            const Eigen::VectorXd a = xd * vd.row(i).transpose();
            const double m = a.maxCoeff();
            const double eq8 = -(m + std::log((a.array() - m).exp().sum())) + 0.5 * vd.row(i).squaredNorm();
            CHECK(close(e(i), eq8, tol, tol));
            CHECK(close(e_full(i), eq8, tol, tol));
        }
        // sigma(x) = x^2 with |.| features: E(v) = -sum_mu (xi_mu . sgn v)^2 = -s^T W s, W = xi^T xi (Eq. 6)
        const reclag::HopfieldDynamics<reclag::PolynomialLagrangian<T>, reclag::AbsoluteLagrangian<T>> hop(xi);
        const Vector<T> eh = hop.adiabatic_energy(v);
        const Eigen::MatrixXd w = xd.transpose() * xd;
        for (Eigen::Index i = 0; i < v.rows(); ++i) {
            const Eigen::VectorXd sg = vd.row(i).transpose().unaryExpr([](double x) { return double((x > 0) - (x < 0)); });
            const double classical = -sg.dot(w * sg);
            CHECK(close(eh(i), classical, tol, tol));
        }
    }
}

TEMPLATE_TEST_CASE("the LogSumExp adiabatic update decreases the adiabatic energy (Ramsauer et al.)", "[dynamics][property]",
                   float, double) {
    using T = TestType;
    const double rel = std::is_same_v<T, double> ? 1e-12 : 2e-6;
    std::mt19937 rng(11);
    for (int trial = 0; trial < 10; ++trial) {
        const RowMatrix<T> xi = random_matrix<T>(rng, 6, 4, 2.0);
        const VanillaMhn<T> van(xi, Lse<T>({T(0.5 + trial % 4)}));
        reclag::DynamicsParam<T> p;
        p.max_steps = 30;
        p.record_energy = true;
        const auto r = van.run(random_matrix<T>(rng, 5, 4, 2.0), p);
        REQUIRE(r.energy.rows() == r.iterations + 1);
        for (Eigen::Index k = 1; k < r.energy.rows(); ++k)
            for (Eigen::Index i = 0; i < r.energy.cols(); ++i)
                CHECK(double(r.energy(k, i)) <= double(r.energy(k - 1, i)) + rel * (1.0 + std::abs(double(r.energy(k - 1, i)))));
    }
}

TEMPLATE_TEST_CASE("Theorem 1: the origin is a fixed point and the eps-ball of Eq. 39 maps to it in one step",
                   "[dynamics][theorem]", float, double) {
    using T = TestType;
    std::mt19937 rng(31);
    std::uniform_real_distribution<double> u01(0.0, 1.0);
    for (int trial = 0; trial < 25; ++trial) {
        const Eigen::Index nh = 2 + trial % 9, nv = 2 + trial % 6;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, nv, 0.5 + trial % 4);
        const double beta = 0.5 + trial % 5;
        const double log_gamma = std::log(double(nh)) + 0.05 + 3.0 * u01(rng);  // gamma > N_H
        const ReclagMhn<T> rec(xi, Rec<T>({T(beta), T(log_gamma)}));
        const double big_xi = xi.cwiseAbs().maxCoeff();
        const double eps = (log_gamma - std::log(double(nh))) / (double(nv) * beta * big_xi);  // Eq. 39
        RowMatrix<T> v = random_matrix<T>(rng, 8, nv, 1.0);
        for (Eigen::Index i = 0; i < v.rows(); ++i) v.row(i) *= T(0.999 * eps * u01(rng) / v.row(i).norm());
        v.row(0).setZero();
        const RowMatrix<T> next = rec.adiabatic_step(v);
        CHECK(next.isZero(0));
        CHECK((rec.gate(v).array() < T(0)).all());
        const auto r = rec.run(v);
        CHECK(r.status == reclag::DynamicsStatus::Converged);
        CHECK(r.v.isZero(0));
        const auto att = rec.attractors(r.v);
        for (Eigen::Index i = 0; i < att.index.size(); ++i) CHECK(att.index(i) == reclag::AttractorResult::origin);
    }
}

TEMPLATE_TEST_CASE("Theorem 2: with gamma = delta min_k sum exp(...) (Eq. 53) RecLag equals the vanilla trajectory",
                   "[dynamics][theorem]", float, double) {
    using T = TestType;
    std::mt19937 rng(77);
    for (int trial = 0; trial < 20; ++trial) {
        const Eigen::Index nh = 3 + trial % 8, nv = 2 + trial % 5;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, nv, 1.0 + trial % 3);
        const T beta = T(0.5 + trial % 4);
        const RowMatrix<T> v0 = reclag::normalize_rows(random_matrix<T>(rng, 1, nv, 1.0), T(3));
        const VanillaMhn<T> van(xi, Lse<T>({beta}));
        const int steps = 12;
        const auto tv = van.adiabatic_trajectory(v0, steps);
        // log gamma = log delta + min_k LSE(beta xi v_k), delta = 0.5
        T min_lse = std::numeric_limits<T>::infinity();
        for (const auto& vk : tv) min_lse = std::min(min_lse, reclag::log_sum_exp((beta * (xi * vk.transpose())).eval()));
        const ReclagMhn<T> rec(xi, Rec<T>({beta, T(std::log(0.5)) + min_lse}));
        const auto tr = rec.adiabatic_trajectory(v0, steps);
        for (int k = 0; k <= steps; ++k) CHECK(tr[std::size_t(k)] == tv[std::size_t(k)]);
    }
}

TEMPLATE_TEST_CASE("Theorem 3: {G < 0} equals {p_H(x) < delta} with delta = gamma / Z", "[dynamics][theorem]", float,
                   double) {
    using T = TestType;
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> unif(-1.0, 1.0);
    for (int trial = 0; trial < 5; ++trial) {
        // N_V = 2: Z of Eq. 18 estimated by a midpoint rule on the disk S of radius R
        const Eigen::Index nh = 3 + trial;
        const RowMatrix<T> xi = random_matrix<T>(rng, nh, 2, 1.0);
        const double beta = 1.0 + trial % 2, radius = 3.0;
        const int grid = 200;
        double z = 0.0;
        const double cell = (2 * radius / grid) * (2 * radius / grid);
        for (int a = 0; a < grid; ++a)
            for (int b = 0; b < grid; ++b) {
                const double x0 = -radius + (a + 0.5) * 2 * radius / grid, x1 = -radius + (b + 0.5) * 2 * radius / grid;
                if (x0 * x0 + x1 * x1 > radius * radius) continue;
                for (Eigen::Index mu = 0; mu < nh; ++mu)
                    z += cell * std::exp(beta * (double(xi(mu, 0)) * x0 + double(xi(mu, 1)) * x1));
            }
        const double log_gamma = std::log(double(nh)) + 1.0 + 0.3 * trial;
        const double delta = std::exp(log_gamma) / z;  // Eq. 64
        const ReclagMhn<T> rec(xi, Rec<T>({T(beta), T(log_gamma)}));
        RowMatrix<T> x(400, 2);
        for (Eigen::Index i = 0; i < x.rows(); ++i) x.row(i) << T(radius * unif(rng)), T(radius * unif(rng));
        const Vector<T> g = rec.gate(x);
        int in_basin = 0, checked = 0;
        for (Eigen::Index i = 0; i < x.rows(); ++i) {
            double p = 0.0;  // p_H(x) = (1/Z) sum_mu exp(beta xi_mu . x)  (Eq. 63), computed directly
            for (Eigen::Index mu = 0; mu < nh; ++mu) p += std::exp(beta * (double(xi(mu, 0)) * x(i, 0) + double(xi(mu, 1)) * x(i, 1)));
            p /= z;
            if (std::abs(double(g(i))) < 1e-4) continue;  // rounding decides ties at the boundary
            ++checked;
            in_basin += g(i) < 0;
            CHECK((g(i) < T(0)) == (p < delta));
        }
        CHECK(checked > 300);
        INFO("in basin " << in_basin << " of " << checked);
        CHECK(in_basin > 0);
        CHECK(in_basin < checked);
    }
}

TEMPLATE_TEST_CASE("run(): batched results equal a per-sample loop", "[dynamics]", float, double) {
    using T = TestType;
    std::mt19937 rng(8);
    const RowMatrix<T> xi = random_matrix<T>(rng, 7, 5, 2.0);
    const RowMatrix<T> v0 = reclag::normalize_rows(random_matrix<T>(rng, 12, 5, 1.0), T(4));
    const ReclagMhn<T> rec(xi, Rec<T>({T(2), T(6)}));
    const VanillaMhn<T> van(xi, Lse<T>({T(2)}));
    reclag::DynamicsParam<T> p;
    p.max_steps = 50;
    p.record_energy = true;
    p.record_trajectory = true;
    const double tol = std::is_same_v<T, double> ? 1e-12 : 1e-5;
    for (const auto& r : {rec.run(v0, p), van.run(v0, p)}) {
        REQUIRE(static_cast<Eigen::Index>(r.trajectory.size()) == r.iterations + 1);
        REQUIRE(r.energy.rows() == r.iterations + 1);
        (void)r;
    }
    const auto rb = rec.run(v0, p);
    for (Eigen::Index i = 0; i < v0.rows(); ++i) {
        const auto ri = rec.run(v0.row(i), p);
        CHECK(ri.steps(0) == rb.steps(i));
        CHECK(ri.converged[0] == rb.converged[std::size_t(i)]);
        for (Eigen::Index d = 0; d < v0.cols(); ++d) CHECK(close(ri.v(0, d), rb.v(i, d), tol, tol));
        CHECK(close(ri.energy(ri.iterations, 0), rb.energy(rb.iterations, i), tol, tol));
    }
    const auto sb = rec.euler_step(v0, rec.memory_input(v0));
    for (Eigen::Index i = 0; i < v0.rows(); ++i) {
        const auto si = rec.euler_step(v0.row(i), rec.memory_input(v0.row(i)));
        for (Eigen::Index d = 0; d < v0.cols(); ++d) CHECK(close(si.v(0, d), sb.v(i, d), tol, tol));
    }
}

TEST_CASE("run(): statuses, never a hidden NaN, attractor indices", "[dynamics]") {
    using T = double;
    // Three orthogonal memories of norm 10, beta 5: a state near xi_1 converges to xi_1.
    RowMatrix<T> xi = RowMatrix<T>::Zero(3, 4);
    xi(0, 0) = 10;
    xi(1, 1) = 10;
    xi(2, 2) = 10;
    const VanillaMhn<T> van(xi, Lse<T>({5.0}));
    RowMatrix<T> v(2, 4);
    v << 1, 9, 0.5, 0.2, 8, 1, 1, 3;
    const auto r = van.run(v);
    CHECK(r.status == reclag::DynamicsStatus::Converged);
    CHECK(r.ok());
    const auto att = van.attractors(r.v, 1e-6);
    CHECK(att.index(0) == 1);
    CHECK(att.index(1) == 0);
    CHECK(att.distance(0) < 1e-6);

    // RecLag with gamma beyond every reachable LSE: everything falls to the origin.
    const ReclagMhn<T> rec(xi, Rec<T>({5.0, 1000.0}));
    const auto rr = rec.run(v);
    CHECK(rr.status == reclag::DynamicsStatus::Converged);
    CHECK(rr.steps(0) == 2);  // v1 = 0, v2 = 0 (moved 0)
    CHECK(rec.attractors(rr.v).index(1) == reclag::AttractorResult::origin);

    reclag::DynamicsParam<T> one;
    one.max_steps = 1;
    const auto rm = van.run(v, one);
    CHECK(rm.status == reclag::DynamicsStatus::MaxIterations);
    CHECK_FALSE(rm.converged[0]);

    // sigma(x) = x^5 blows up to inf and then NaN: reported, not hidden.
    const reclag::HopfieldDynamics<reclag::PolynomialLagrangian<T>, Quad<T>> wild(xi, reclag::PolynomialLagrangian<T>({5}));
    const auto rw = wild.run(v);
    CHECK(rw.status == reclag::DynamicsStatus::NumericalIssue);
    CHECK_FALSE(rw.finite[0]);
    CHECK_FALSE(rw.v.row(0).allFinite());
    std::ostringstream os;
    os << rw.status;
    CHECK_THAT(os.str(), Catch::Contains("NaN"));

    reclag::DynamicsParam<T> bad;
    bad.max_steps = -1;
    CHECK_THROWS_WITH(van.run(v, bad), Catch::Contains("max_steps"));
    bad = {};
    bad.tolerance = -1;
    CHECK_THROWS_WITH(van.run(v, bad), Catch::Contains("tolerance"));
    reclag::EulerParam<T> ebad;
    ebad.dt = 0;
    CHECK_THROWS_WITH(van.euler_step(v, van.memory_input(v), ebad), Catch::Contains("dt"));
    CHECK_THROWS_WITH(van.adiabatic_step(RowMatrix<T>::Zero(2, 5)), Catch::Contains("v has 5 columns, expected 4"));
}
