// The RecLag scoring workspace (score/reclag_workspace.hpp): scores through a reused workspace
// are (1) close to an independent straightforward implementation written here (x~ = s x/||x||
// materialised, a = beta x~ xi^T by Eigen's plain product, a max-shifted log-sum-exp),
// (2) bit-identical for 1, 2 and 3 threads, (3) bit-identical to the one-shot score(split) and
// to the pre-workspace algorithm (512-row chunks, Eigen product into a fresh matrix), and (4)
// unchanged when one workspace is reused across shapes (batch sizes, D, N_H, global and routed,
// growing and shrinking). Global xi and per-class xi (routed by argmax logits); float and double.
#include <catch2/catch.hpp>

#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#include <reclag/core/numeric.hpp>
#include <reclag/score/reclag_scorer.hpp>

using reclag::Index;
using reclag::RowMatrix;
using reclag::Vector;

namespace {

constexpr Index kClasses = 10;

template <typename T>
struct Problem {
    RowMatrix<T> x, z, xi;
    std::vector<RowMatrix<T>> xi_per_class;
};

/// Post-ReLU-like features (a few zero rows), logits, xi rows of norm ~1.
template <typename T>
Problem<T> make_problem(Index n, Index d, Index h, unsigned seed) {
    std::mt19937 gen(seed);
    std::normal_distribution<double> nd(0.0, 1.0);
    Problem<T> p;
    p.x.resize(n, d);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < d; ++j) p.x(i, j) = static_cast<T>(std::max(0.0, 0.3 + nd(gen)));
    if (n > 5) p.x.row(5).setZero();  // a zero row: x~ = 0, r = log N_H
    p.z.resize(n, kClasses);
    for (Index i = 0; i < n; ++i)
        for (Index j = 0; j < kClasses; ++j) p.z(i, j) = static_cast<T>(nd(gen));
    auto xi = [&] {
        RowMatrix<T> m(h, d);
        const double scale = 1.0 / std::sqrt(static_cast<double>(d));
        for (Index i = 0; i < h; ++i)
            for (Index j = 0; j < d; ++j) m(i, j) = static_cast<T>(scale * nd(gen));
        return m;
    };
    p.xi = xi();
    for (Index c = 0; c < kClasses; ++c) p.xi_per_class.push_back(xi());
    return p;
}

/// The straightforward implementation, independent of the library's kernel: materialise x~,
/// one plain Eigen product, then a max-shifted log-sum-exp per row written out by hand.
template <typename T>
Vector<T> straightforward(const RowMatrix<T>& x, const RowMatrix<T>& xi, T beta, T norm) {
    RowMatrix<T> xt = x;
    if (norm > T(0))
        for (Index i = 0; i < x.rows(); ++i) {
            const T len = x.row(i).norm();
            xt.row(i) = len > T(0) ? RowMatrix<T>(x.row(i) * (norm / len)) : RowMatrix<T>::Zero(1, x.cols());
        }
    const RowMatrix<T> a = beta * (xt * xi.transpose());
    Vector<T> r(x.rows());
    for (Index i = 0; i < a.rows(); ++i) {
        T m = a(i, 0);
        for (Index j = 1; j < a.cols(); ++j) m = std::max(m, a(i, j));
        T sum = 0;
        for (Index j = 0; j < a.cols(); ++j) sum += std::exp(a(i, j) - m);
        r(i) = m + std::log(sum);
    }
    return r;
}

template <typename T>
Vector<T> straightforward_routed(const Problem<T>& p, T beta, T norm) {
    Vector<T> r(p.x.rows());
    for (Index i = 0; i < p.x.rows(); ++i) {
        Index c = 0;
        for (Index j = 1; j < p.z.cols(); ++j)
            if (p.z(i, j) > p.z(i, c)) c = j;
        r(i) = straightforward<T>(p.x.row(i), p.xi_per_class[static_cast<std::size_t>(c)], beta, norm)(0);
    }
    return r;
}

/// The algorithm of reclag_score.hpp before the workspace (kept here verbatim in spirit):
/// 512-row chunks, `a.noalias() = chunk * xi^T` into a fresh matrix, the library's safe_norm and
/// log_sum_exp; routed: each class's rows gathered into one matrix, then chunked the same way.
template <typename T>
Vector<T> pre_workspace(const RowMatrix<T>& x, const RowMatrix<T>& xi, T beta, T norm) {
    Vector<T> out(x.rows());
    RowMatrix<T> a;
    for (Index start = 0; start < x.rows(); start += 512) {
        const Index len = std::min<Index>(512, x.rows() - start);
        a.noalias() = x.middleRows(start, len) * xi.transpose();
        for (Index i = 0; i < len; ++i) {
            T c = beta;
            if (norm > T(0)) {
                const T n = reclag::safe_norm(x.row(start + i));
                c = n > T(0) ? beta * (norm / n) : T(0);
            }
            out(start + i) = reclag::log_sum_exp((c * a.row(i).array()).matrix());
        }
    }
    return out;
}
template <typename T>
Vector<T> pre_workspace_routed(const Problem<T>& p, T beta, T norm) {
    const reclag::LabelVector pred = reclag::predicted_classes(p.z);
    Vector<T> out(p.x.rows());
    for (Index c = 0; c < kClasses; ++c) {
        std::vector<Index> rows;
        for (Index i = 0; i < pred.size(); ++i)
            if (pred(i) == c) rows.push_back(i);
        if (rows.empty()) continue;
        RowMatrix<T> xc(static_cast<Index>(rows.size()), p.x.cols());
        for (std::size_t j = 0; j < rows.size(); ++j) xc.row(static_cast<Index>(j)) = p.x.row(rows[j]);
        const Vector<T> rc = pre_workspace<T>(xc, p.xi_per_class[static_cast<std::size_t>(c)], beta, norm);
        for (std::size_t j = 0; j < rows.size(); ++j) out(rows[j]) = rc(static_cast<Index>(j));
    }
    return out;
}

template <typename T>
bool same_bits(const Vector<T>& a, const Vector<T>& b) {
    return a.size() == b.size() &&
           (a.size() == 0 || std::memcmp(a.data(), b.data(), sizeof(T) * static_cast<std::size_t>(a.size())) == 0);
}

template <typename T>
void check_close(const Vector<T>& got, const Vector<T>& expected) {
    const double tol = std::is_same_v<T, double> ? 1e-12 : 1e-5;
    REQUIRE(got.size() == expected.size());
    Index bad = 0;
    for (Index i = 0; i < got.size(); ++i) {
        const double g = got(i), e = expected(i);
        if (!(std::abs(g - e) <= tol * std::max(1.0, std::abs(e)))) {
            if (bad++ < 3) FAIL_CHECK("row " << i << ": " << g << " vs " << e);
        }
    }
    CHECK(bad == 0);
}

template <typename T>
reclag::ReclagScorer<T> scorer_for(const Problem<T>& p, bool routed, T norm) {
    typename reclag::ReclagScorer<T>::Param param;
    param.norm = norm;
    reclag::ReclagScorer<T> s = routed ? reclag::ReclagScorer<T>(p.xi_per_class, param) : reclag::ReclagScorer<T>(p.xi, param);
    s.set_log_gamma(T(0));
    return s;
}

}  // namespace

TEMPLATE_TEST_CASE("RecLag workspace: straightforward oracle, 1/2/3 threads bit-identical, pre-workspace bits",
                   "[score][reclag][workspace]", float, double) {
    using T = TestType;
    const Problem<T> all = make_problem<T>(3000, 512, 250, 11);
    const bool routed = GENERATE(false, true);
    const T norm = GENERATE(T(10), T(0));
    const Index n = GENERATE(Index(1), Index(37), Index(513), Index(3000));
    INFO((routed ? "routed" : "global") << ", norm " << norm << ", n " << n);
    Problem<T> p{all.x.topRows(n), all.z.topRows(n), all.xi, all.xi_per_class};
    const reclag::ReclagScorer<T> scorer = scorer_for(p, routed, norm);
    const reclag::FeatureView<T> view(p.x, p.z);
    const T beta = scorer.param().beta;

    const Vector<T> oneshot = scorer.score(view);
    check_close<T>(oneshot, routed ? straightforward_routed(p, beta, norm) : straightforward<T>(p.x, p.xi, beta, norm));
    CHECK(same_bits<T>(oneshot, routed ? pre_workspace_routed(p, beta, norm) : pre_workspace<T>(p.x, p.xi, beta, norm)));

    for (Index threads : {1, 2, 3}) {
        INFO(threads << " threads");
        typename reclag::ReclagScorer<T>::Workspace ws({threads});
        for (int call = 0; call < 2; ++call) {  // the second call reuses what the first grew
            Vector<T> out = Vector<T>::Constant(n, T(-12345));
            scorer.score(view, out, ws);
            CHECK(same_bits<T>(out, oneshot));
        }
    }
}

TEMPLATE_TEST_CASE("RecLag workspace: one workspace reused across shapes and set-ups gives the same bits",
                   "[score][reclag][workspace]", float, double) {
    using T = TestType;
    const Problem<T> big = make_problem<T>(3000, 512, 250, 21);
    const Problem<T> small = make_problem<T>(700, 16, 25, 22);  // other D and N_H (lazy-product path too)
    const Problem<T> wide = make_problem<T>(600, 64, 400, 23);  // more hidden units than big
    struct Call {
        const Problem<T>* p;
        Index n;
        bool routed;
    };
    // grows, shrinks, changes D / N_H / set-up between calls
    const std::vector<Call> calls = {{&big, 37, false},  {&big, 3000, true}, {&small, 700, false}, {&big, 1, true},
                                     {&wide, 600, true}, {&big, 513, false}, {&small, 3, true},    {&big, 3000, false},
                                     {&wide, 1, false},  {&big, 37, true}};
    for (Index threads : {1, 2, 3}) {
        typename reclag::ReclagScorer<T>::Workspace ws({threads});
        for (std::size_t k = 0; k < calls.size(); ++k) {
            const Call& c = calls[k];
            INFO(threads << " threads, call " << k << ": n " << c.n << ", D " << c.p->x.cols() << ", routed " << c.routed);
            const RowMatrix<T> x = c.p->x.topRows(c.n), z = c.p->z.topRows(c.n);
            const reclag::ReclagScorer<T> scorer = scorer_for(*c.p, c.routed, T(10));
            const reclag::FeatureView<T> view(x, z);
            Vector<T> out(c.n);
            scorer.score(view, out, ws);
            CHECK(same_bits<T>(out, scorer.score(view)));
            Problem<T> sub{x, z, c.p->xi, c.p->xi_per_class};
            check_close<T>(out, c.routed ? straightforward_routed(sub, scorer.param().beta, T(10))
                                         : straightforward<T>(x, c.p->xi, scorer.param().beta, T(10)));
        }
        CHECK(ws.bytes() > 0);
    }
}

TEST_CASE("RecLag workspace: the free function and ReclagScore take it too; bad thread counts throw",
          "[score][reclag][workspace]") {
    const Problem<float> p = make_problem<float>(1100, 32, 40, 31);
    reclag::ReclagWorkspace<float> ws({2});
    Vector<float> out(p.x.rows());
    reclag::reclag_scores_into(p.x, p.xi, 5.0f, 10.0f, out, ws);
    CHECK(same_bits<float>(out, reclag::reclag_scores(p.x, p.xi, 5.0f, 10.0f)));
    const reclag::ReclagScore<float> det(p.xi_per_class);
    Vector<float> routed(p.x.rows());
    det.scores_into(p.x, p.z, routed, ws);
    CHECK(same_bits<float>(routed, det.scores(p.x, p.z)));
    CHECK_THROWS_AS(reclag::ReclagWorkspace<float>({0}), reclag::invalid_argument);
}
