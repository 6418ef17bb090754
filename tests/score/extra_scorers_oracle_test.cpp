// The extra scorers against independent oracles on random data with fixed seeds (KNN vs a full
// sort of directly computed distances; Mahalanobis vs an explicit long-double inverse; ViM vs
// an explicit projector from a covariance eigensolver; GEN vs a long-double formula; ASH vs a
// stable sort; DICE vs a fully sorted percentile), hand-worked tiny cases, and bad inputs.
#include <catch2/catch.hpp>

#include <algorithm>
#include <cmath>
#include <numeric>
#include <random>
#include <type_traits>
#include <vector>

#include <Eigen/Eigenvalues>

#include <reclag/core/percentile.hpp>
#include <reclag/score/ash.hpp>
#include <reclag/score/dice.hpp>
#include <reclag/score/gen.hpp>
#include <reclag/score/knn.hpp>
#include <reclag/score/mahalanobis.hpp>
#include <reclag/score/max_logit.hpp>
#include <reclag/score/vim.hpp>

using reclag::Index;
using LD = long double;
using MatLD = Eigen::Matrix<long double, Eigen::Dynamic, Eigen::Dynamic>;

namespace {

template <typename T>
reclag::RowMatrix<T> random_matrix(Index rows, Index cols, unsigned seed, double lo = 0.0, double hi = 1.0) {
    std::mt19937 gen(seed);
    std::uniform_real_distribution<double> u(lo, hi);
    reclag::RowMatrix<T> m(rows, cols);
    for (Index i = 0; i < rows; ++i)
        for (Index j = 0; j < cols; ++j) m(i, j) = static_cast<T>(u(gen));
    return m;
}

template <typename T>
double tol() {
    return std::is_same_v<T, double> ? 1e-10 : 2e-5;
}

bool near(double a, double b, double rtol) { return std::abs(a - b) <= rtol * (1.0 + std::abs(b)); }

/// Gauss-Jordan inverse with partial pivoting in long double: the oracle's explicit inverse.
MatLD inverse_ld(MatLD a) {
    const Index n = a.rows();
    MatLD inv = MatLD::Identity(n, n);
    for (Index c = 0; c < n; ++c) {
        Index piv = c;
        for (Index r = c + 1; r < n; ++r)
            if (std::abs(a(r, c)) > std::abs(a(piv, c))) piv = r;
        a.row(c).swap(a.row(piv));
        inv.row(c).swap(inv.row(piv));
        const LD d = a(c, c);
        a.row(c) /= d;
        inv.row(c) /= d;
        for (Index r = 0; r < n; ++r)
            if (r != c) {
                const LD f = a(r, c);
                a.row(r) -= f * a.row(c);
                inv.row(r) -= f * inv.row(c);
            }
    }
    return inv;
}

}  // namespace

// ---------------------------------------------------------------------------------------------
// MaxLogit

TEMPLATE_TEST_CASE("maxlogit is the largest logit; bad inputs throw", "[score][maxlogit]", float, double) {
    reclag::RowMatrix<TestType> x(2, 1), z(2, 3);
    x << 1, 2;
    z << 0.5, -1, 2, 3, 3, -7;
    reclag::MaxLogitScorer<TestType> s;
    CHECK_THROWS_AS(s.score(reclag::FeatureView<TestType>(x, z)), reclag::invalid_argument);  // before fit
    s.fit(reclag::FeatureView<TestType>(x, z));
    const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(x, z));
    CHECK(got(0) == TestType(2));
    CHECK(got(1) == TestType(3));
    CHECK_THROWS_AS(s.score(reclag::FeatureView<TestType>(x)), reclag::invalid_argument);  // no logits
    const reclag::RowMatrix<TestType> z4 = reclag::RowMatrix<TestType>::Zero(2, 4);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(x, z4)), Catch::Contains("logits has 4 columns, expected 3"));
}

// ---------------------------------------------------------------------------------------------
// KNN

TEMPLATE_TEST_CASE("knn hand-worked: distances 0, 1, sqrt 2 and a zero row", "[score][knn]", float, double) {
    reclag::RowMatrix<TestType> fit(3, 2), q(2, 2);
    fit << 3, 0, 0, 0.5, 0, 0;
    q << 2, 0, 0, 0;
    const double expected_x[3] = {0.0, 1.0, std::sqrt(2.0)};  // (1,0) vs (1,0), (0,0), (0,1)
    const double expected_zero[3] = {0.0, 1.0, 1.0};          // (0,0) vs (0,0), (1,0), (0,1)
    for (Index k = 1; k <= 3; ++k) {
        typename reclag::KnnScorer<TestType>::Param p;
        p.k = k;
        reclag::KnnScorer<TestType> s(p);
        s.fit(reclag::FeatureView<TestType>(fit));
        const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(q));
        CHECK(near(-got(0), expected_x[k - 1], tol<TestType>()));
        CHECK(near(-got(1), expected_zero[k - 1], tol<TestType>()));
    }
}

TEMPLATE_TEST_CASE("knn equals a full sort of directly computed distances", "[score][knn][oracle]", float, double) {
    reclag::RowMatrix<TestType> fit = random_matrix<TestType>(150, 7, 11);
    reclag::RowMatrix<TestType> q = random_matrix<TestType>(23, 7, 12);
    fit.row(5).setZero();
    fit.row(9) = fit.row(8);  // a duplicate: tied distances
    q.row(3).setZero();
    q.row(4) = fit.row(8) * TestType(2);  // distance 0 to two rows
    for (Index k : {Index(1), Index(2), Index(3), Index(40), Index(150)}) {
        for (Index block : {Index(1), Index(5), Index(256)}) {
            typename reclag::KnnScorer<TestType>::Param p;
            p.k = k;
            p.block_rows = block;
            reclag::KnnScorer<TestType> s(p);
            s.fit(reclag::FeatureView<TestType>(fit));
            const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(q));
            for (Index i = 0; i < q.rows(); ++i) {
                std::vector<LD> d;
                const Eigen::Matrix<LD, 1, Eigen::Dynamic> qi = q.row(i).template cast<LD>();
                const LD qn = qi.norm();
                for (Index j = 0; j < fit.rows(); ++j) {
                    const Eigen::Matrix<LD, 1, Eigen::Dynamic> fj = fit.row(j).template cast<LD>();
                    const LD fn = fj.norm();
                    const auto a = qn > 0 ? (qi / qn).eval() : qi;
                    const auto b = fn > 0 ? (fj / fn).eval() : fj;
                    d.push_back((a - b).squaredNorm());
                }
                std::sort(d.begin(), d.end());
                const double kth = static_cast<double>(std::sqrt(d[std::size_t(k - 1)]));
                INFO("k " << k << " block " << block << " row " << i);
                CHECK(std::abs(-double(got(i)) - kth) <= (std::is_same_v<TestType, double> ? 1e-7 : 2e-3));
                // The GEMM form's absolute error on d^2 is ~eps; on d = sqrt(d^2) near 0 it is ~sqrt(eps).
                CHECK(std::abs(double(got(i)) * double(got(i)) - kth * kth) <= 10 * tol<TestType>());
            }
        }
    }
}

TEMPLATE_TEST_CASE("knn bad inputs", "[score][knn][errors]", float, double) {
    using S = reclag::KnnScorer<TestType>;
    typename S::Param p;
    p.k = 0;
    CHECK_THROWS_WITH(S(p), Catch::Contains("k must be >= 1"));
    p.k = 1;
    p.block_rows = 0;
    CHECK_THROWS_WITH(S(p), Catch::Contains("block_rows"));
    const reclag::RowMatrix<TestType> fit = random_matrix<TestType>(4, 3, 1);
    typename S::Param p5;
    p5.k = 5;
    S s5(p5);
    CHECK_THROWS_WITH(s5.fit(reclag::FeatureView<TestType>(fit)), Catch::Contains("k = 5 exceeds the number of ID-fit rows (4)"));
    S s;
    s.fit(reclag::FeatureView<TestType>(random_matrix<TestType>(60, 3, 2)));
    CHECK_THROWS_AS(s.score(reclag::FeatureView<TestType>(random_matrix<TestType>(2, 4, 3))), reclag::invalid_argument);
    reclag::RowMatrix<TestType> nan = random_matrix<TestType>(2, 3, 3);
    nan(1, 2) = std::numeric_limits<TestType>::quiet_NaN();
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(nan)), Catch::Contains("row 1, column 2"));
}

// ---------------------------------------------------------------------------------------------
// Mahalanobis

TEMPLATE_TEST_CASE("mahalanobis hand-worked one-dimensional case", "[score][mahalanobis]", float, double) {
    // Class 0: {0, 2} (mean 1), class 1: {10, 12} (mean 11); centred rows -1, 1, -1, 1: variance 1.
    reclag::RowMatrix<TestType> x(4, 1), q(2, 1);
    x << 0, 2, 10, 12;
    q << 3, 7;
    reclag::LabelVector y(4);
    y << 0, 0, 1, 1;
    const reclag::RowMatrix<TestType> z = reclag::RowMatrix<TestType>::Zero(4, 2);
    for (auto solver : {reclag::MahalanobisScorer<TestType>::Solver::pinvh, reclag::MahalanobisScorer<TestType>::Solver::cholesky}) {
        typename reclag::MahalanobisScorer<TestType>::Param p;
        p.solver = solver;
        reclag::MahalanobisScorer<TestType> s(p);
        s.fit(reclag::FeatureView<TestType>(x, z, y));
        const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(q));
        CHECK(got(0) == Approx(-4.0));   // (3 - 1)^2
        CHECK(got(1) == Approx(-16.0));  // (7 - 11)^2 = (7 - 1)^2 - 20 = 16
    }
}

TEMPLATE_TEST_CASE("mahalanobis equals an explicit long-double inverse", "[score][mahalanobis][oracle]", float, double) {
    const Index n = 90, d = 6, c = 3;
    reclag::RowMatrix<TestType> x = random_matrix<TestType>(n, d, 21);
    reclag::LabelVector y(n);
    for (Index i = 0; i < n; ++i) {
        y(i) = i % c;
        x.row(i).array() += TestType(y(i));  // separate the classes
    }
    const reclag::RowMatrix<TestType> q = random_matrix<TestType>(17, d, 22, -1.0, 3.0);
    for (double shrinkage : {0.0, 0.3}) {
        // Oracle: means, covariance (/n, centred twice as sklearn), optional shrinkage, inverse.
        MatLD means = MatLD::Zero(c, d);
        std::vector<LD> counts(std::size_t(c), 0);
        for (Index i = 0; i < n; ++i) {
            means.row(Index(y(i))) += x.row(i).template cast<LD>();
            counts[std::size_t(y(i))] += 1;
        }
        for (Index k = 0; k < c; ++k) means.row(k) /= counts[std::size_t(k)];
        MatLD centred(n, d);
        for (Index i = 0; i < n; ++i) centred.row(i) = x.row(i).template cast<LD>() - means.row(Index(y(i)));
        const Eigen::Matrix<LD, 1, Eigen::Dynamic> grand = centred.colwise().mean();
        centred.rowwise() -= grand;
        MatLD cov = centred.transpose() * centred / LD(n);
        const LD mu = cov.trace() / LD(d);
        cov = (1 - LD(shrinkage)) * cov + LD(shrinkage) * mu * MatLD::Identity(d, d);
        const MatLD prec = inverse_ld(cov);
        for (auto solver : {reclag::MahalanobisScorer<TestType>::Solver::pinvh, reclag::MahalanobisScorer<TestType>::Solver::cholesky}) {
            typename reclag::MahalanobisScorer<TestType>::Param p;
            p.solver = solver;
            p.shrinkage = shrinkage;
            p.block_rows = 4;
            reclag::MahalanobisScorer<TestType> s(p);
            s.fit(reclag::FeatureView<TestType>(x, reclag::RowMatrix<TestType>::Zero(n, c), y));
            const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(q));
            for (Index i = 0; i < q.rows(); ++i) {
                LD best = -std::numeric_limits<LD>::infinity();
                for (Index k = 0; k < c; ++k) {
                    const Eigen::Matrix<LD, Eigen::Dynamic, 1> diff = (q.row(i).template cast<LD>() - means.row(k)).transpose();
                    best = std::max(best, -(diff.transpose() * prec * diff)(0, 0));
                }
                INFO("shrinkage " << shrinkage << " row " << i);
                CHECK(near(double(got(i)), double(best), std::is_same_v<TestType, double> ? 1e-11 : 1e-5));
            }
            const MatLD p_got = s.precision().template cast<LD>();
            CHECK(double((p_got - prec).cwiseAbs().maxCoeff() / prec.cwiseAbs().maxCoeff()) < 1e-10);
        }
    }
}

TEMPLATE_TEST_CASE("mahalanobis bad inputs and a singular covariance", "[score][mahalanobis][errors]", float, double) {
    using S = reclag::MahalanobisScorer<TestType>;
    typename S::Param bad;
    bad.shrinkage = 1.5;
    CHECK_THROWS_WITH(S(bad), Catch::Contains("shrinkage"));
    reclag::RowMatrix<TestType> x = random_matrix<TestType>(12, 3, 31);
    x.col(1).setZero();  // a dead feature: rank-2 covariance
    const reclag::RowMatrix<TestType> z = reclag::RowMatrix<TestType>::Zero(12, 2);
    reclag::LabelVector y(12);
    for (Index i = 0; i < 12; ++i) y(i) = i % 2;
    S no_labels;
    CHECK_THROWS_WITH(no_labels.fit(reclag::FeatureView<TestType>(x, z)), Catch::Contains("no labels"));
    typename S::Param chol;
    chol.solver = S::Solver::cholesky;
    S singular(chol);
    CHECK_THROWS_WITH(singular.fit(reclag::FeatureView<TestType>(x, z, y)), Catch::Contains("singular"));
    chol.shrinkage = 0.1;  // shrinkage makes it positive definite
    S shrunk(chol);
    CHECK_NOTHROW(shrunk.fit(reclag::FeatureView<TestType>(x, z, y)));
    S pinvh;  // the pseudo-inverse ignores the dead direction
    pinvh.fit(reclag::FeatureView<TestType>(x, z, y));
    CHECK(pinvh.rank() == 2);
    reclag::LabelVector gap = y * 2;  // labels {0, 2}: class 1 missing
    S s;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x, z, gap)), Catch::Contains("class 1 has no ID-fit rows"));
    reclag::LabelVector neg = y;
    neg(3) = -1;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x, z, neg)), Catch::Contains("negative"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(x)), Catch::Contains("before fit"));
    CHECK_THROWS_WITH(pinvh.score(reclag::FeatureView<TestType>(random_matrix<TestType>(2, 4, 3))),
                      Catch::Contains("features has 4 columns, expected 3"));
}

// ---------------------------------------------------------------------------------------------
// ViM

TEMPLATE_TEST_CASE("vim hand-worked two-dimensional case", "[score][vim]", float, double) {
    // W u + b = 0 for u = (1, 0); F - u = (+-3, +-1): covariance diag(9, 1), principal axis e1,
    // residual |x2| = 1 for every fit row; max logit 3 everywhere -> alpha = 3.
    reclag::RowMatrix<TestType> w(2, 2), x(4, 2), q(1, 2);
    w << 1, 0, -1, 0;
    reclag::Vector<TestType> b(2);
    b << -1, 1;
    x << 4, 1, -2, -1, 4, -1, -2, 1;
    q << 1, 2;
    const reclag::ClassifierHead<TestType> head(w, b);
    const reclag::RowMatrix<TestType> z = head.logits(x), zq = head.logits(q);
    typename reclag::VimScorer<TestType>::Param p;
    p.dim = 1;
    reclag::VimScorer<TestType> s(p);
    s.fit(reclag::FeatureView<TestType>(x, z), head);
    CHECK(s.origin()(0) == Approx(1.0));
    CHECK(s.origin()(1) == Approx(0.0).margin(1e-6));
    CHECK(s.alpha() == Approx(3.0));
    // x - u = (0, 2): residual 2; logits (0, 0): LSE = log 2.
    CHECK(double(s.score(reclag::FeatureView<TestType>(q, zq))(0)) == Approx(-6.0 + std::log(2.0)));
    // Without fit logits the head recomputes them: same alpha.
    reclag::VimScorer<TestType> s2(p);
    s2.fit(reclag::FeatureView<TestType>(x), head);
    CHECK(s2.alpha() == Approx(3.0));
}

TEMPLATE_TEST_CASE("vim residual equals an explicit projector from a covariance eigensolver", "[score][vim][oracle]", float, double) {
    const Index n = 120, d = 8, c = 3, dim = 3;
    // Anisotropic data so that the eigen-gaps are clear: scale column j by 2^-j.
    reclag::RowMatrix<TestType> x = random_matrix<TestType>(n, d, 41);
    for (Index j = 0; j < d; ++j) x.col(j) *= static_cast<TestType>(std::pow(2.0, -double(j)));
    const reclag::RowMatrix<TestType> w = random_matrix<TestType>(c, d, 42, -1.0, 1.0);
    const reclag::Vector<TestType> b = random_matrix<TestType>(c, 1, 43, -1.0, 1.0);
    const reclag::ClassifierHead<TestType> head(w, b);
    const reclag::RowMatrix<TestType> z = head.logits(x);
    const reclag::RowMatrix<TestType> q = random_matrix<TestType>(9, d, 44);
    const reclag::RowMatrix<TestType> zq = head.logits(q);
    typename reclag::VimScorer<TestType>::Param p;
    p.dim = dim;
    p.block_rows = 4;
    reclag::VimScorer<TestType> s(p);
    s.fit(reclag::FeatureView<TestType>(x, z), head);

    // Oracle, independent of the scorer's QR + SVD: u from the normal equations (C < D, full
    // row rank: u = -W^T (W W^T)^{-1} b), eigenvectors of the covariance, explicit projector.
    const Eigen::MatrixXd wd = w.template cast<double>();
    const Eigen::VectorXd u = -wd.transpose() * (wd * wd.transpose()).inverse() * b.template cast<double>();
    CHECK((s.origin() - u).cwiseAbs().maxCoeff() < 1e-10);
    Eigen::MatrixXd f = x.template cast<double>();
    f.rowwise() -= u.transpose();
    Eigen::SelfAdjointEigenSolver<Eigen::MatrixXd> eig(f.transpose() * f / double(n));  // ascending
    const Eigen::MatrixXd principal = eig.eigenvectors().rightCols(dim);
    const Eigen::MatrixXd projector = Eigen::MatrixXd::Identity(d, d) - principal * principal.transpose();
    CHECK((s.residual_basis() * s.residual_basis().transpose() - projector).cwiseAbs().maxCoeff() < 1e-9);
    const Eigen::VectorXd r_fit = (f * projector).rowwise().norm();
    const double alpha = z.template cast<double>().rowwise().maxCoeff().mean() / r_fit.mean();
    CHECK(near(s.alpha(), alpha, 1e-9));
    Eigen::MatrixXd g = q.template cast<double>();
    g.rowwise() -= u.transpose();
    const Eigen::VectorXd r = (g * projector).rowwise().norm();
    CHECK((s.residual_norm(q) - r).cwiseAbs().maxCoeff() < 1e-9);
    const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(q, zq));
    for (Index i = 0; i < q.rows(); ++i) {
        const Eigen::VectorXd zi = zq.row(i).template cast<double>().transpose();
        const double lse = std::log(zi.array().exp().sum());
        CHECK(near(double(got(i)), -alpha * r(i) + lse, std::is_same_v<TestType, double> ? 1e-9 : 1e-5));
    }
}

TEMPLATE_TEST_CASE("vim bad inputs", "[score][vim][errors]", float, double) {
    using S = reclag::VimScorer<TestType>;
    typename S::Param p;
    p.dim = -1;
    CHECK_THROWS_WITH(S(p), Catch::Contains("dim must be >= 1"));
    const reclag::RowMatrix<TestType> x = random_matrix<TestType>(10, 4, 51);
    const reclag::RowMatrix<TestType> w = random_matrix<TestType>(2, 4, 52);
    const reclag::Vector<TestType> b = random_matrix<TestType>(2, 1, 53);
    const reclag::ClassifierHead<TestType> head(w, b);
    p.dim = 256;  // >= D = 4
    S s(p);
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x), head), Catch::Contains("dim = 256 must be in [1, D)"));
    S automatic;  // dim 0 = min(256, D/2) = 2 for D = 4
    automatic.fit(reclag::FeatureView<TestType>(x), head);
    CHECK(automatic.dim() == 2);
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x)), Catch::Contains("needs the classifier head"));
    p.dim = 2;
    S ok(p);
    ok.fit(reclag::FeatureView<TestType>(x), head);
    CHECK_THROWS_WITH(ok.score(reclag::FeatureView<TestType>(x)), Catch::Contains("no logits"));
    const reclag::RowMatrix<TestType> z3 = reclag::RowMatrix<TestType>::Zero(10, 3);
    CHECK_THROWS_WITH(ok.score(reclag::FeatureView<TestType>(x, z3)), Catch::Contains("logits has 3 columns, expected 2"));
}

// ---------------------------------------------------------------------------------------------
// GEN

TEMPLATE_TEST_CASE("gen hand-worked: uniform, saturated and top-M", "[score][gen]", float, double) {
    reclag::RowMatrix<TestType> x = reclag::RowMatrix<TestType>::Zero(3, 1), z(3, 3);
    z << 0, 0, 0, 0, -100, -100, 5, 5, 5;
    reclag::GenScorer<TestType> s;
    s.fit(reclag::FeatureView<TestType>(x, z));
    const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(x, z));
    // Uniform over 3 classes: -3 (1/3)^0.1 (2/3)^0.1.
    CHECK(double(got(0)) == Approx(-3.0 * std::pow(1.0 / 3.0 * 2.0 / 3.0, 0.1)));
    CHECK(double(got(2)) == Approx(-3.0 * std::pow(1.0 / 3.0 * 2.0 / 3.0, 0.1)));
    // Saturated: 1 - p_max = 2e^-100 / (1 + 2e^-100) (rounds to 0 by subtraction); the two
    // small classes contribute (e^-100)^0.1 each: score = -(2^0.1 + 2) e^-10 to ~1e-40.
    CHECK(double(got(1)) == Approx(-(std::pow(2.0, 0.1) + 2.0) * std::exp(-10.0)).epsilon(1e-6));
    // Top-1 only: the saturated row keeps just the argmax term.
    typename reclag::GenScorer<TestType>::Param p;
    p.top_m = 1;
    reclag::GenScorer<TestType> top1(p);
    top1.fit(reclag::FeatureView<TestType>(x, z));
    CHECK(double(top1.score(reclag::FeatureView<TestType>(x, z))(1)) == Approx(-std::pow(2.0, 0.1) * std::exp(-10.0)).epsilon(1e-6));
}

TEMPLATE_TEST_CASE("gen equals a long-double formula on random logits", "[score][gen][oracle]", float, double) {
    const reclag::RowMatrix<TestType> z = random_matrix<TestType>(40, 7, 61, -8.0, 8.0);
    const reclag::RowMatrix<TestType> x = reclag::RowMatrix<TestType>::Zero(40, 1);
    for (Index m : {Index(1), Index(3), Index(7), Index(100)}) {
        typename reclag::GenScorer<TestType>::Param p;
        p.top_m = m;
        p.gamma = 0.3;
        reclag::GenScorer<TestType> s(p);
        s.fit(reclag::FeatureView<TestType>(x, z));
        const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(x, z));
        for (Index i = 0; i < z.rows(); ++i) {
            std::vector<LD> e;
            LD total = 0;
            for (Index j = 0; j < z.cols(); ++j) {
                e.push_back(std::exp(LD(z(i, j))));
                total += e.back();
            }
            std::vector<LD> pr;
            for (LD v : e) pr.push_back(v / total);
            std::sort(pr.begin(), pr.end(), std::greater<LD>());
            LD sum = 0;
            for (Index r = 0; r < std::min<Index>(m, z.cols()); ++r)
                sum += std::pow(pr[std::size_t(r)], LD(0.3)) * std::pow(1 - pr[std::size_t(r)], LD(0.3));
            CHECK(near(double(got(i)), -double(sum), std::is_same_v<TestType, double> ? 1e-12 : 1e-6));
        }
    }
}

TEMPLATE_TEST_CASE("gen bad inputs", "[score][gen][errors]", float, double) {
    using S = reclag::GenScorer<TestType>;
    typename S::Param p;
    p.gamma = 0;
    CHECK_THROWS_WITH(S(p), Catch::Contains("gamma"));
    p.gamma = 0.1;
    p.top_m = 0;
    CHECK_THROWS_WITH(S(p), Catch::Contains("top_m"));
    S s;
    const reclag::RowMatrix<TestType> x = reclag::RowMatrix<TestType>::Zero(2, 1);
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(x, x)), Catch::Contains("before fit"));
}

// ---------------------------------------------------------------------------------------------
// ASH

TEST_CASE("ash keep count rounds half to even like np.round", "[score][ash]") {
    CHECK(reclag::AshScorer<double>::keep_count(512, 90.0) == 51);  // 460.8 -> 461
    CHECK(reclag::AshScorer<double>::keep_count(5, 50.0) == 3);     // 2.5 -> 2
    CHECK(reclag::AshScorer<double>::keep_count(7, 50.0) == 3);     // 3.5 -> 4
    CHECK(reclag::AshScorer<double>::keep_count(6, 65.0) == 2);     // 3.9 -> 4
    CHECK(reclag::AshScorer<double>::keep_count(4, 0.0) == 4);
}

TEMPLATE_TEST_CASE("ash hand-worked ties keep the lower index", "[score][ash]", float, double) {
    reclag::RowMatrix<TestType> w(2, 4), x(1, 4);
    w << 1, 2, 3, 4, 0, 0, 0, 1;
    reclag::Vector<TestType> b(2);
    b << 0, 1;
    x << 1, 3, 3, 3;
    typename reclag::AshScorer<TestType>::Param p;
    p.percentile = 50;  // k = 2
    reclag::AshScorer<TestType> s(p);
    s.fit(reclag::FeatureView<TestType>(x), reclag::ClassifierHead<TestType>(w, b));
    CHECK(s.k() == 2);
    const reclag::RowMatrix<TestType> shaped = s.shape(x);  // s1 = 10: (0, 5, 5, 0)
    CHECK(shaped(0, 0) == 0);
    CHECK(shaped(0, 1) == 5);
    CHECK(shaped(0, 2) == 5);
    CHECK(shaped(0, 3) == 0);
    // logits (5*2 + 5*3, 0 + 1) = (25, 1)
    CHECK(double(s.score(reclag::FeatureView<TestType>(x))(0)) == Approx(25.0 + std::log1p(std::exp(-24.0))));
}

TEMPLATE_TEST_CASE("ash equals a stable sort and a naive energy on random data", "[score][ash][oracle]", float, double) {
    const Index d = 20, c = 4;
    reclag::RowMatrix<TestType> x = random_matrix<TestType>(30, d, 71);
    for (Index i = 0; i < x.rows(); ++i)
        for (Index j = 0; j < d; ++j) x(i, j) = std::floor(x(i, j) * 4);  // values 0..3: many ties
    const reclag::RowMatrix<TestType> w = random_matrix<TestType>(c, d, 72, -1.0, 1.0);
    const reclag::Vector<TestType> b = random_matrix<TestType>(c, 1, 73, -1.0, 1.0);
    for (double pct : {0.0, 37.5, 65.0, 90.0}) {
        typename reclag::AshScorer<TestType>::Param p;
        p.percentile = pct;
        reclag::AshScorer<TestType> s(p);
        s.fit(reclag::FeatureView<TestType>(x), reclag::ClassifierHead<TestType>(w, b));
        const Index k = d - static_cast<Index>(std::nearbyint(d * pct / 100.0));
        const reclag::RowMatrix<TestType> shaped = s.shape(x);
        const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(x));
        for (Index i = 0; i < x.rows(); ++i) {
            std::vector<Index> idx(static_cast<std::size_t>(d));
            std::iota(idx.begin(), idx.end(), Index(0));
            std::stable_sort(idx.begin(), idx.end(), [&](Index a, Index bb) { return x(i, a) > x(i, bb); });
            Eigen::VectorXd expected = Eigen::VectorXd::Zero(d);
            const double s1 = x.row(i).template cast<double>().sum();
            for (Index t = 0; t < k; ++t) expected(idx[std::size_t(t)]) = s1 / double(k);
            for (Index j = 0; j < d; ++j) CHECK(near(double(shaped(i, j)), expected(j), tol<TestType>()));
            const Eigen::VectorXd logits = w.template cast<double>() * expected + b.template cast<double>();
            const double mx = logits.maxCoeff();
            CHECK(near(double(got(i)), mx + std::log((logits.array() - mx).exp().sum()), tol<TestType>()));
        }
    }
}

TEMPLATE_TEST_CASE("ash bad inputs", "[score][ash][errors]", float, double) {
    using S = reclag::AshScorer<TestType>;
    typename S::Param p;
    p.percentile = 100;
    CHECK_THROWS_WITH(S(p), Catch::Contains("percentile"));
    const reclag::RowMatrix<TestType> x = random_matrix<TestType>(3, 4, 81), w = random_matrix<TestType>(2, 5, 82);
    const reclag::Vector<TestType> b = reclag::Vector<TestType>::Zero(2);
    S s;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x)), Catch::Contains("needs the classifier head"));
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x), reclag::ClassifierHead<TestType>(w, b)),
                      Catch::Contains("features has 4 columns, expected 5"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(x)), Catch::Contains("before fit"));
}

// ---------------------------------------------------------------------------------------------
// DICE

TEST_CASE("percentile_numpy_linear reproduces np.percentile", "[core][percentile]") {
    const std::vector<double> v = {4, 1, 3, 2};
    CHECK(reclag::percentile_numpy_linear(v, 50) == 2.5);
    CHECK(reclag::percentile_numpy_linear(v, 0) == 1);
    CHECK(reclag::percentile_numpy_linear(v, 100) == 4);
    CHECK(reclag::percentile_numpy_linear(v, 40) == Approx(2.2));
    CHECK(reclag::percentile_numpy_linear({7.0}, 90) == 7);
    // Oracle: full sort and the same virtual index on random data.
    std::mt19937 gen(91);
    std::uniform_real_distribution<double> u(-1, 1);
    std::vector<double> r(101);
    for (auto& e : r) e = u(gen);
    std::vector<double> sorted = r;
    std::sort(sorted.begin(), sorted.end());
    for (double p : {0.0, 12.5, 33.3, 50.0, 90.0, 99.9}) {
        const double vi = 100 * (p / 100);
        const auto lo = static_cast<std::size_t>(std::floor(vi));
        const double g = vi - std::floor(vi);
        const double hi = sorted[std::min<std::size_t>(lo + 1, 100)];
        CHECK(reclag::percentile_numpy_linear(r, p) == Approx(sorted[lo] + (hi - sorted[lo]) * g).epsilon(1e-14));
    }
    CHECK_THROWS_AS(reclag::percentile_numpy_linear({}, 50), reclag::invalid_argument);
    CHECK_THROWS_AS(reclag::percentile_numpy_linear(v, 101), reclag::invalid_argument);
}

TEMPLATE_TEST_CASE("dice hand-worked mask and energy", "[score][dice]", float, double) {
    // Mean feature (1, 1): contributions = W = [[1, 2], [3, 4]]; p = 50 -> threshold 2.5:
    // only row 1 survives. Score of x = (1, 2): LSE(0, 3 + 8) with b = 0.
    reclag::RowMatrix<TestType> w(2, 2), fit(2, 2), x(1, 2);
    w << 1, 2, 3, 4;
    fit << 0, 2, 2, 0;
    x << 1, 2;
    const reclag::Vector<TestType> b = reclag::Vector<TestType>::Zero(2);
    typename reclag::DiceScorer<TestType>::Param p;
    p.percentile = 50;
    reclag::DiceScorer<TestType> s(p);
    s.fit(reclag::FeatureView<TestType>(fit), reclag::ClassifierHead<TestType>(w, b));
    CHECK(s.threshold() == 2.5);
    CHECK(s.mask().count() == 2);
    CHECK(s.mask()(1, 0));
    CHECK(s.mask()(1, 1));
    CHECK(double(s.score(reclag::FeatureView<TestType>(x))(0)) == Approx(11.0 + std::log1p(std::exp(-11.0))));
}

TEMPLATE_TEST_CASE("dice equals a sorted percentile and a naive energy on random data", "[score][dice][oracle]", float, double) {
    const Index d = 9, c = 5;
    const reclag::RowMatrix<TestType> fit = random_matrix<TestType>(50, d, 101);
    const reclag::RowMatrix<TestType> x = random_matrix<TestType>(12, d, 102);
    const reclag::RowMatrix<TestType> w = random_matrix<TestType>(c, d, 103, -1.0, 1.0);
    const reclag::Vector<TestType> b = random_matrix<TestType>(c, 1, 104, -1.0, 1.0);
    for (double pct : {0.0, 40.0, 90.0, 100.0}) {
        typename reclag::DiceScorer<TestType>::Param p;
        p.percentile = pct;
        reclag::DiceScorer<TestType> s(p);
        s.fit(reclag::FeatureView<TestType>(fit), reclag::ClassifierHead<TestType>(w, b));
        const Eigen::VectorXd m = fit.template cast<double>().colwise().mean().transpose();
        Eigen::MatrixXd contrib = w.template cast<double>();
        for (Index j = 0; j < d; ++j) contrib.col(j) *= m(j);
        std::vector<double> all(contrib.data(), contrib.data() + contrib.size());
        std::sort(all.begin(), all.end());
        const double vi = double(c * d - 1) * (pct / 100);
        const auto lo = static_cast<std::size_t>(std::floor(vi));
        const double thr = all[lo] + (all[std::min<std::size_t>(lo + 1, all.size() - 1)] - all[lo]) * (vi - std::floor(vi));
        CHECK(s.threshold() == Approx(thr).epsilon(1e-14));
        const Eigen::MatrixXd masked = (contrib.array() > s.threshold()).select(w.template cast<double>(), 0.0);
        const reclag::Vector<TestType> got = s.score(reclag::FeatureView<TestType>(x));
        for (Index i = 0; i < x.rows(); ++i) {
            const Eigen::VectorXd logits = masked * x.row(i).template cast<double>().transpose() + b.template cast<double>();
            const double mx = logits.maxCoeff();
            CHECK(near(double(got(i)), mx + std::log((logits.array() - mx).exp().sum()), tol<TestType>()));
        }
        if (pct == 100.0) CHECK(s.mask().count() == 0);  // strict: even the maximum is dropped
    }
}

TEMPLATE_TEST_CASE("dice bad inputs", "[score][dice][errors]", float, double) {
    using S = reclag::DiceScorer<TestType>;
    typename S::Param p;
    p.percentile = -1;
    CHECK_THROWS_WITH(S(p), Catch::Contains("percentile"));
    const reclag::RowMatrix<TestType> x = random_matrix<TestType>(3, 4, 111), w = random_matrix<TestType>(2, 4, 112);
    const reclag::Vector<TestType> b = reclag::Vector<TestType>::Zero(2);
    S s;
    CHECK_THROWS_WITH(s.fit(reclag::FeatureView<TestType>(x)), Catch::Contains("needs the classifier head"));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(x)), Catch::Contains("before fit"));
    s.fit(reclag::FeatureView<TestType>(x), reclag::ClassifierHead<TestType>(w, b));
    CHECK_THROWS_WITH(s.score(reclag::FeatureView<TestType>(random_matrix<TestType>(2, 3, 113))),
                      Catch::Contains("features has 3 columns, expected 4"));
}
