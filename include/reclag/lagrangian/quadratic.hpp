// reclag: the quadratic feature Lagrangian of Eq. 7:  L_V(v) = 0.5 ||v||^2,  g(v) = v.
// With it the feature neurons are linear and Eq. 4's first two terms reduce to 0.5 ||v||^2.
// Contract: see lagrangian/lagrangian.hpp.
#pragma once

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/lagrangian.hpp"

namespace reclag {

template <typename Scalar_>
class QuadraticLagrangian : public LagrangianBase<QuadraticLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::QuadraticLagrangian: Scalar must be float or double");
    static constexpr const char* name = "quadratic";

    /// No hyper-parameters.
    struct Param {
        void check_param() const {}
    };

    explicit QuadraticLagrangian(Param = {}) {}

    /// L_V(v_i) = 0.5 ||v_i||^2 per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& v, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("QuadraticLagrangian::value_into", "out", out.size(), v.rows());
        out = Scalar(0.5) * v.rowwise().squaredNorm();
    }

    /// g(v_i) = v_i.
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& v, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("QuadraticLagrangian::activation_into", "out", out.rows(), v.rows());
        check_cols("QuadraticLagrangian::activation_into", "out", out.cols(), v.cols());
        out = v;
    }
};

}  // namespace reclag
