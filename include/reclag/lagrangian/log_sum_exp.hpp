// reclag: the log-sum-exp memory Lagrangian of Krotov & Hopfield (2021), Eq. 7:
//   L_H(h) = LSE(beta h) / beta,   f(h) = softmax(beta h).
// Contract: see lagrangian/lagrangian.hpp. Max-shifted: finite for |beta h| up to 1e4.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/lagrangian.hpp"
#include "reclag/lagrangian/reclag_gate.hpp"  // detail::shifted_exp

namespace reclag {

template <typename Scalar_>
class LogSumExpLagrangian : public LagrangianBase<LogSumExpLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::LogSumExpLagrangian: Scalar must be float or double");
    static constexpr const char* name = "log_sum_exp";

    struct Param {
        /// Inverse temperature beta of Eq. 7 (> 0). beta = 1 gives Ramsauer et al.'s energy (Eq. 8).
        Scalar beta = Scalar(1);
        void check_param() const { check_positive("LogSumExpLagrangian::Param", "beta", beta); }
    };

    explicit LogSumExpLagrangian(Param p = {}) : param_(p) { param_.check_param(); }

    Scalar beta() const { return param_.beta; }
    const Param& param() const { return param_; }

    /// L_H(h_i) = LSE(beta h_i) / beta per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("LogSumExpLagrangian::value_into", "out", out.size(), h.rows());
        for (Index i = 0; i < h.rows(); ++i)
            out(i) = log_sum_exp((param_.beta * h.row(i).array()).matrix()) / param_.beta;
    }

    /// f(h_i) = softmax(beta h_i) per row.
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("LogSumExpLagrangian::activation_into", "out", out.rows(), h.rows());
        check_cols("LogSumExpLagrangian::activation_into", "out", out.cols(), h.cols());
        for (Index i = 0; i < h.rows(); ++i) {
            detail::shifted_exp(h.row(i), param_.beta, out.row(i));  // the kernel RecLag shares
            out.row(i) /= out.row(i).sum();
        }
    }

private:
    Param param_;
};

}  // namespace reclag
