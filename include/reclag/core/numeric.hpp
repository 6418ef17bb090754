// reclag: numerically safe building blocks: max-shifted log-sum-exp and softmax, the RecLag
// gate chi (Eq. 14), and row normalisation to a fixed L2 radius.
#pragma once

#include <cmath>
#include <limits>

#include <Eigen/Core>

#include "reclag/core/types.hpp"

namespace reclag {

/// The lowest exponent exp_no_subnormal() evaluates: log of the smallest normal Scalar, plus 1
/// (-86.3 for float, -707.4 for double).
template <typename Scalar>
constexpr Scalar exp_floor() noexcept {
    return static_cast<Scalar>(std::numeric_limits<Scalar>::min_exponent - 1) * static_cast<Scalar>(0.69314718055994531) +
           Scalar(1);
}

/// exp(a) for max-shifted exponents (entries <= 0, as in every LSE and softmax here), with
/// exponents below exp_floor<Scalar>() raised to it, so every result is at least
/// e * numeric_limits<Scalar>::min(): a normal number, never a subnormal one.
/// Why: Eigen's vectorised exp returns subnormals (never 0) for exponents in about
/// [-104, -87] (float) and below, and every subnormal operand or result costs a microcode
/// assist on x86: an SFNN epoch on 12,000 x 512 features took 25 s instead of 1.3 s (its
/// gradient GEMM read 28,000 subnormal probabilities out of 32,000). The raised terms add at
/// most N * e * min() to a sum whose largest term is 1: far below one ulp, so an LSE is
/// unchanged to the last bit in practice; a probability that small is not exact (it reads
/// 3e-38 instead of 0 in float), so use plain exp where tiny probabilities themselves matter.
template <typename Derived>
auto exp_no_subnormal(const Eigen::ArrayBase<Derived>& a) {
    using Scalar = typename Derived::Scalar;
    return a.derived().max(exp_floor<Scalar>()).exp();
}

/// Sets every entry of m below sqrt(numeric_limits<Scalar>::min()) in magnitude (1.1e-19 in
/// float, 1.5e-154 in double) to 0. For probability-like GEMM operands (responsibilities,
/// softmax weights, their differences: |entries| of order 1 and below): an entry that small
/// times a feature gives a subnormal product, and the accumulators of a GEMM over such terms
/// stay subnormal, each operation a microcode assist (the SFNN gradient GEMM ran 70x slower
/// with 3e-38 entries than with zeros). Dropped terms are below 1e-15 relative to the largest
/// probability of their row in float: far below one ulp of the sums they enter. One pass over
/// m, negligible next to the GEMM it precedes.
template <typename Derived>
void flush_negligible(Eigen::DenseBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    const Scalar tiny = std::sqrt(std::numeric_limits<Scalar>::min());
    m = m.unaryExpr([tiny](Scalar v) { return std::fabs(v) < tiny ? Scalar(0) : v; });
}

/// log(sum_i exp(a_i)), shifted by max_i a_i so that no exp overflows. An empty input or an
/// all -inf input gives -inf; a +inf entry gives +inf. NaN propagates.
template <typename Derived>
typename Derived::Scalar log_sum_exp(const Eigen::MatrixBase<Derived>& a) {
    using Scalar = typename Derived::Scalar;
    if (a.size() == 0) return -std::numeric_limits<Scalar>::infinity();
    const Scalar m = a.maxCoeff();
    if (!std::isfinite(m)) return m;  // +inf, -inf (all entries -inf) or NaN
    return m + std::log(exp_no_subnormal(a.array() - m).sum());
}

/// softmax(a) = exp(a - LSE(a)), max-shifted; written into `out` (resized as needed).
template <typename Derived, typename OutDerived>
void softmax(const Eigen::MatrixBase<Derived>& a, Eigen::PlainObjectBase<OutDerived>& out) {
    using Scalar = typename Derived::Scalar;
    const Scalar m = a.maxCoeff();
    out = (a.array() - m).exp().matrix();
    out /= out.sum();
}

template <typename Derived>
Vector<typename Derived::Scalar> softmax(const Eigen::MatrixBase<Derived>& a) {
    Vector<typename Derived::Scalar> out;
    softmax(a, out);
    return out;
}

/// Row-wise LSE of a matrix (rows = samples), written into `out` (size rows()).
template <typename Derived, typename OutDerived>
void rowwise_log_sum_exp(const Eigen::MatrixBase<Derived>& a, Eigen::MatrixBase<OutDerived>& out) {
    using Scalar = typename Derived::Scalar;
    eigen_assert(out.size() == a.rows());
    for (Index i = 0; i < a.rows(); ++i) {
        const Scalar m = a.row(i).maxCoeff();
        out(i) = std::isfinite(m) ? m + std::log(exp_no_subnormal(a.row(i).array() - m).sum()) : m;
    }
}

template <typename Derived>
Vector<typename Derived::Scalar> rowwise_log_sum_exp(const Eigen::MatrixBase<Derived>& a) {
    Vector<typename Derived::Scalar> out(a.rows());
    rowwise_log_sum_exp(a, out);
    return out;
}

/// The RecLag gate chi (Eq. 14): 1 when z >= 0, else 0 (so chi(-0.0) = 1, chi(NaN) = 0).
template <typename Scalar>
constexpr Scalar chi(Scalar z) {
    return z >= Scalar(0) ? Scalar(1) : Scalar(0);
}

/// L2 norm that neither overflows nor underflows for entries near the limits of Scalar
/// (1e30 in float, 1e-200 in double): the plain sum of squares on the fast path, Eigen's
/// scaled blueNorm only when that sum is not a normal finite number.
template <typename Derived>
typename Derived::Scalar safe_norm(const Eigen::MatrixBase<Derived>& x) {
    using Scalar = typename Derived::Scalar;
    const Scalar sq = x.squaredNorm();
    if (std::isfinite(sq) && sq >= std::numeric_limits<Scalar>::min()) return std::sqrt(sq);
    return x.blueNorm();
}

/// Scales each row of x in place to L2 norm `radius` (x_hat = radius x / ||x||); a zero row
/// stays zero (it has no direction). The paper scales features to norm 10 (Appendix D).
template <typename Derived>
void normalize_rows_inplace(Eigen::MatrixBase<Derived>& x, typename Derived::Scalar radius) {
    using Scalar = typename Derived::Scalar;
    for (Index i = 0; i < x.rows(); ++i) {
        const Scalar n = safe_norm(x.row(i));
        if (n > Scalar(0)) x.row(i) *= radius / n;
    }
}

template <typename Derived>
RowMatrix<typename Derived::Scalar> normalize_rows(const Eigen::MatrixBase<Derived>& x,
                                                  typename Derived::Scalar radius) {
    RowMatrix<typename Derived::Scalar> out = x;
    normalize_rows_inplace(out, radius);
    return out;
}

}  // namespace reclag
