// reclag: RecLag, the rectified log-sum-exp memory Lagrangian (Definition 1, Eq. 11):
//   L_H(h) = max( (LSE(beta h) - log gamma) / beta, 0 ),
//   f(h)   = chi(G(h)) softmax(beta h),   G(h) = LSE(beta h) - log gamma   (Eqs. 20-24).
// We carry log gamma, never gamma (the calibrated gamma of a 512-d model is ~1e201).
// At G = 0 exactly, L is not differentiable; f returns the right-hand value softmax(beta h)
// (chi(0) = 1, Eq. 14). The gate is reclag_gate_from_lse (lagrangian/reclag_gate.hpp), the same
// function the dynamics and the RecLag scorer use.
// Contract: see lagrangian/lagrangian.hpp. Max-shifted: finite for |beta h| up to 1e4.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/lagrangian/lagrangian.hpp"
#include "reclag/lagrangian/reclag_gate.hpp"

namespace reclag {

template <typename Scalar_>
class RecLagLagrangian : public LagrangianBase<RecLagLagrangian<Scalar_>, Scalar_> {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::RecLagLagrangian: Scalar must be float or double");
    static constexpr const char* name = "reclag";

    struct Param {
        /// Inverse temperature beta (> 0); the paper uses 5.
        Scalar beta = Scalar(5);
        /// log of the inverse memory strength gamma (any finite value). Theorem 1's origin
        /// attractor needs gamma > N_H, i.e. log_gamma > log N_H.
        Scalar log_gamma = Scalar(0);
        void check_param() const {
            check_positive("RecLagLagrangian::Param", "beta", beta);
            if (!std::isfinite(static_cast<double>(log_gamma)))
                throw_invalid("RecLagLagrangian::Param", "log_gamma must be finite (got ", log_gamma, ")");
        }
    };

    explicit RecLagLagrangian(Param p = {}) : param_(p) { param_.check_param(); }

    Scalar beta() const { return param_.beta; }
    Scalar log_gamma() const { return param_.log_gamma; }
    const Param& param() const { return param_; }

    /// G(h_i) = LSE(beta h_i) - log gamma per row (Eq. 13 with h = xi v).
    void gate_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("RecLagLagrangian::gate_into", "out", out.size(), h.rows());
        RowVector<Scalar> e(h.cols());
        for (Index i = 0; i < h.rows(); ++i)
            out(i) = reclag_gate_from_lse(detail::shifted_exp(h.row(i), param_.beta, e), param_.log_gamma);
    }
    Vector<Scalar> gate(const Eigen::Ref<const RowMatrix<Scalar>>& h) const {
        Vector<Scalar> out(h.rows());
        gate_into(h, out);
        return out;
    }

    /// L_H(h_i) = max(G(h_i) / beta, 0) per row.
    void value_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<Vector<Scalar>> out) const {
        check_size("RecLagLagrangian::value_into", "out", out.size(), h.rows());
        gate_into(h, out);
        for (Index i = 0; i < h.rows(); ++i) {
            const Scalar g = out(i);
            // max(NaN, 0) would hide a NaN: propagate it instead.
            out(i) = std::isnan(g) ? g : (g > Scalar(0) ? g / param_.beta : Scalar(0));
        }
    }

    /// f(h_i) = chi(G(h_i)) softmax(beta h_i) per row: the zero row inside the basin {G < 0}.
    void activation_into(const Eigen::Ref<const RowMatrix<Scalar>>& h, Eigen::Ref<RowMatrix<Scalar>> out) const {
        check_rows("RecLagLagrangian::activation_into", "out", out.rows(), h.rows());
        check_cols("RecLagLagrangian::activation_into", "out", out.cols(), h.cols());
        for (Index i = 0; i < h.rows(); ++i) {
            const Scalar lse = detail::shifted_exp(h.row(i), param_.beta, out.row(i));
            if (std::isnan(lse)) {
                out.row(i).setConstant(lse);  // never hide a NaN behind a closed gate
                continue;
            }
            // Open gate: exactly LogSumExpLagrangian's softmax (same kernel, same division), so a
            // RecLag trajectory that never closes its gate equals the vanilla one bit for bit (Theorem 2).
            if (reclag_gate_open(reclag_gate_from_lse(lse, param_.log_gamma)) > Scalar(0))
                out.row(i) /= out.row(i).sum();
            else
                out.row(i).setZero();
        }
    }

private:
    Param param_;
};

}  // namespace reclag
