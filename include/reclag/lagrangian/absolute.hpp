// reclag: the absolute-value feature Lagrangian of Eq. 5:  L_V(v) = sum_i |v_i|,  g(v) = sgn(v).
// Paired with an additive memory Lagrangian it gives dense associative memory (Eq. 6).
// |x| is not differentiable at 0; g returns sgn(0) = 0 there (the mean of the one-sided
// derivatives, and the convention of Eq. 6). g is piecewise constant, so the Euler energy
// argument of Eq. 4 (which needs a PSD Hessian and a smooth g) does not cover this policy.
// Contract: see lagrangian/lagrangian.hpp.
#pragma once

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/lagrangian.hpp"

namespace reclag {

template <typename Scalar_>
class AbsoluteLagrangian : public LagrangianBase<AbsoluteLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::AbsoluteLagrangian: Scalar must be float or double");
    static constexpr const char* name = "absolute";

    /// No hyper-parameters.
    struct Param {
        void check_param() const {}
    };

    explicit AbsoluteLagrangian(Param = {}) {}

    /// L_V(v_i) = ||v_i||_1 per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& v, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("AbsoluteLagrangian::value_into", "out", out.size(), v.rows());
        out = v.array().abs().rowwise().sum().matrix();
    }

    /// g(v_i) = sgn(v_i) entrywise (sgn(0) = 0; NaN stays NaN).
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& v, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("AbsoluteLagrangian::activation_into", "out", out.rows(), v.rows());
        check_cols("AbsoluteLagrangian::activation_into", "out", out.cols(), v.cols());
        out = v.unaryExpr([](Scalar x) { return x > Scalar(0) ? Scalar(1) : (x < Scalar(0) ? Scalar(-1) : x * Scalar(0)); });
    }
};

}  // namespace reclag
