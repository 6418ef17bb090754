// reclag: first-order optimisers for the SFNN trainer, written exactly as PyTorch's
// torch.optim.Adam and torch.optim.SGD (momentum, no dampening, no Nesterov, no weight decay)
// so that a run can be compared step by step with a PyTorch reference.
#pragma once

#include <cmath>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"

namespace reclag {

enum class OptimizerKind {
    Adam,        ///< torch.optim.Adam
    SgdMomentum  ///< torch.optim.SGD(momentum = m)
};

struct OptimizerParam {
    OptimizerKind kind = OptimizerKind::Adam;
    /// Learning rate. Default 3e-3: the value the Python reference chose on the FMNIST dev set
    /// (the paper does not state one).
    double lr = 3e-3;
    double beta1 = 0.9;    ///< Adam first-moment decay (torch default)
    double beta2 = 0.999;  ///< Adam second-moment decay (torch default)
    double eps = 1e-8;     ///< Adam denominator guard (torch default)
    double momentum = 0.9; ///< SGD momentum

    void check_param() const {
        const char* w = "OptimizerParam::check_param";
        check_positive(w, "lr", lr);
        if (!(beta1 >= 0.0 && beta1 < 1.0)) throw_invalid(w, "beta1 must be in [0, 1) (got ", beta1, ")");
        if (!(beta2 >= 0.0 && beta2 < 1.0)) throw_invalid(w, "beta2 must be in [0, 1) (got ", beta2, ")");
        if (!(eps >= 0.0) || !std::isfinite(eps)) throw_invalid(w, "eps must be >= 0 and finite (got ", eps, ")");
        if (!(momentum >= 0.0 && momentum < 1.0)) throw_invalid(w, "momentum must be in [0, 1) (got ", momentum, ")");
    }
};

/// Minimises a loss over several parameter blocks that share one step counter t (one torch
/// param group). Usage per step: begin_step(); update(0, xi, grad_xi); update(1, lv, grad_lv).
template <typename Scalar_>
class Optimizer {
public:
    using Scalar = Scalar_;

    Optimizer() = default;
    explicit Optimizer(const OptimizerParam& p) : param_(p) { param_.check_param(); }

    /// Forgets all moments; `sizes` = number of entries of each block.
    void reset(const std::vector<Index>& sizes) {
        t_ = 0;
        m_.assign(sizes.size(), {});
        v_.assign(sizes.size(), {});
        for (std::size_t i = 0; i < sizes.size(); ++i) {
            m_[i].setZero(sizes[i]);
            if (param_.kind == OptimizerKind::Adam) v_[i].setZero(sizes[i]);
        }
    }

    void begin_step() { ++t_; }
    long steps() const { return t_; }
    const OptimizerParam& param() const { return param_; }

    /// One update of block `block` given the gradient of the LOSS (minimisation).
    /// Adam:  m = b1 m + (1-b1) g;  v = b2 v + (1-b2) g^2;
    ///        p -= lr/(1-b1^t) * m / (sqrt(v)/sqrt(1-b2^t) + eps).
    /// SGD:   buf = g (t = 1) else momentum buf + g;  p -= lr buf.
    template <typename DP, typename DG>
    void update(std::size_t block, Eigen::MatrixBase<DP>& p, const Eigen::MatrixBase<DG>& g) {
        auto pa = Eigen::Map<Eigen::Array<Scalar, Eigen::Dynamic, 1>>(p.derived().data(), p.size());
        const auto ga = Eigen::Map<const Eigen::Array<Scalar, Eigen::Dynamic, 1>>(g.derived().data(), g.size());
        auto& m = m_[block];
        if (param_.kind == OptimizerKind::Adam) {
            auto& v = v_[block];
            const Scalar b1 = static_cast<Scalar>(param_.beta1), b2 = static_cast<Scalar>(param_.beta2);
            m = m * b1 + ga * (Scalar(1) - b1);
            v = v * b2 + (ga * ga) * (Scalar(1) - b2);
            // Bias corrections in double, as Python floats in torch.
            const double bc1 = 1.0 - std::pow(param_.beta1, static_cast<double>(t_));
            const double bc2 = 1.0 - std::pow(param_.beta2, static_cast<double>(t_));
            const Scalar step_size = static_cast<Scalar>(param_.lr / bc1);
            const Scalar bc2_sqrt = static_cast<Scalar>(std::sqrt(bc2));
            const Scalar eps = static_cast<Scalar>(param_.eps);
            pa -= step_size * (m / (v.sqrt() / bc2_sqrt + eps));
        } else {
            if (t_ == 1) m = ga;
            else m = m * static_cast<Scalar>(param_.momentum) + ga;
            pa -= static_cast<Scalar>(param_.lr) * m;
        }
    }

private:
    OptimizerParam param_;
    long t_ = 0;
    std::vector<Eigen::Array<Scalar, Eigen::Dynamic, 1>> m_, v_;
};

}  // namespace reclag
