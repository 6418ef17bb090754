// reclag: numerically safe building blocks: max-shifted log-sum-exp and softmax, the RecLag
// gate chi (Eq. 14), and row normalisation to a fixed L2 radius.
#pragma once

#include <cmath>
#include <limits>

#include <Eigen/Core>

#include "reclag/core/types.hpp"

namespace reclag {

/// log(sum_i exp(a_i)), shifted by max_i a_i so that no exp overflows. An empty input or an
/// all -inf input gives -inf; a +inf entry gives +inf. NaN propagates.
template <typename Derived>
typename Derived::Scalar log_sum_exp(const Eigen::MatrixBase<Derived>& a) {
    using Scalar = typename Derived::Scalar;
    if (a.size() == 0) return -std::numeric_limits<Scalar>::infinity();
    const Scalar m = a.maxCoeff();
    if (!std::isfinite(m)) return m;  // +inf, -inf (all entries -inf) or NaN
    return m + std::log((a.array() - m).exp().sum());
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
        out(i) = std::isfinite(m) ? m + std::log((a.row(i).array() - m).exp().sum()) : m;
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
