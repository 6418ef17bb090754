// reclag: the additive memory Lagrangians of dense associative memory (Eq. 5,
// Krotov & Hopfield 2016):  L_H(h) = sum_mu sigma(h_mu),  f_mu(h) = sigma'(h_mu), with
//   PolynomialLagrangian:            sigma(x) = x^n          (n = 2: classical Hopfield, Eq. 6)
//   RectifiedPolynomialLagrangian:   sigma(x) = max(x, 0)^n  (convex for n >= 1, so its Hessian
//                                    is PSD and the energy of Eq. 4 decreases along the flow)
// n is a positive integer. Values are finite while |h|^n is representable in Scalar.
// Contract: see lagrangian/lagrangian.hpp.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/lagrangian.hpp"

namespace reclag {

namespace detail {

/// x^n by repeated squaring: exact for small n, no pow() call in the inner loop.
template <typename Scalar>
Scalar int_pow(Scalar x, int n) {
    Scalar result(1);
    while (n > 0) {
        if (n & 1) result *= x;
        x *= x;
        n >>= 1;
    }
    return result;
}

template <typename Scalar>
struct PolynomialParam {
    /// The integer exponent n of sigma (>= 1). n = 2 gives the classical Hopfield energy.
    int degree = 2;
    void check_param() const {
        if (degree < 1) throw_invalid("PolynomialLagrangian::Param", "degree must be >= 1 (got ", degree, ")");
    }
};

}  // namespace detail

/// sigma(x) = x^n (Eq. 5). Convex only for even n.
template <typename Scalar_>
class PolynomialLagrangian : public LagrangianBase<PolynomialLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::PolynomialLagrangian: Scalar must be float or double");
    static constexpr const char* name = "polynomial";
    using Param = detail::PolynomialParam<Scalar>;

    explicit PolynomialLagrangian(Param p = {}) : param_(p) { param_.check_param(); }
    int degree() const { return param_.degree; }

    /// L_H(h_i) = sum_mu h_mu^n per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("PolynomialLagrangian::value_into", "out", out.size(), h.rows());
        const int n = param_.degree;
        out = h.unaryExpr([n](Scalar x) { return detail::int_pow(x, n); }).rowwise().sum();
    }

    /// f_mu(h) = n h_mu^(n-1).
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("PolynomialLagrangian::activation_into", "out", out.rows(), h.rows());
        check_cols("PolynomialLagrangian::activation_into", "out", out.cols(), h.cols());
        const int n = param_.degree;
        out = h.unaryExpr([n](Scalar x) { return Scalar(n) * detail::int_pow(x, n - 1); });
    }

private:
    Param param_;
};

/// sigma(x) = max(x, 0)^n (Eq. 5, the rectified polynomial of dense associative memory).
/// For n = 1 the derivative at 0 is taken as 0 (the left-hand value).
template <typename Scalar_>
class RectifiedPolynomialLagrangian : public LagrangianBase<RectifiedPolynomialLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>,
                  "reclag::RectifiedPolynomialLagrangian: Scalar must be float or double");
    static constexpr const char* name = "rectified_polynomial";
    using Param = detail::PolynomialParam<Scalar>;

    explicit RectifiedPolynomialLagrangian(Param p = {}) : param_(p) { param_.check_param(); }
    int degree() const { return param_.degree; }

    /// L_H(h_i) = sum_mu max(h_mu, 0)^n per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("RectifiedPolynomialLagrangian::value_into", "out", out.size(), h.rows());
        const int n = param_.degree;
        out = h.unaryExpr([n](Scalar x) { return x > Scalar(0) ? detail::int_pow(x, n) : x * Scalar(0); })
                  .rowwise()
                  .sum();
    }

    /// f_mu(h) = n max(h_mu, 0)^(n-1) (0 for h_mu <= 0).
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("RectifiedPolynomialLagrangian::activation_into", "out", out.rows(), h.rows());
        check_cols("RectifiedPolynomialLagrangian::activation_into", "out", out.cols(), h.cols());
        const int n = param_.degree;
        out = h.unaryExpr(
            [n](Scalar x) { return x > Scalar(0) ? Scalar(n) * detail::int_pow(x, n - 1) : x * Scalar(0); });
    }

private:
    Param param_;
};

}  // namespace reclag
