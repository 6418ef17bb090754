// reclag: the energy score (Liu et al. 2020): the negative free energy of the logits.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// Energy score s(x) = T * LSE_j(z_j / T) = -E(x; T) for the logits z of each row; higher =
/// more ID. Max-shifted: s = m + T log sum_j exp((z_j - m) / T) with m = max_j z_j.
/// fit() learns only the number of classes C from the fit split's logits; the head of
/// fit(id_fit, head) is ignored. Features are never read.
template <typename Scalar_>
class EnergyScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::EnergyScorer: Scalar must be float or double");
    static constexpr const char* name = "energy";
    static constexpr bool needs_head = false;

    struct Param {
        /// Temperature T > 0. Default 1, the value of the paper's comparison and of Liu et al.
        double temperature = 1.0;
        void check_param() const { check_positive("EnergyScorer::Param", "temperature", temperature); }
    };

    explicit EnergyScorer(Param p = {}) : param_(p) {
        param_.check_param();
        // A double temperature such as 1e-60 is positive but rounds to 0 in float.
        check_positive("EnergyScorer::Param", "temperature (rounded to Scalar)", static_cast<Scalar>(param_.temperature));
        // ... and one below ~3e-39 is a float subnormal whose inverse overflows: 0 * inf = NaN.
        check_positive("EnergyScorer::Param", "1 / temperature (in Scalar)", Scalar(1) / static_cast<Scalar>(param_.temperature));
    }

    void fit(const FeatureView<Scalar>& id_fit) {
        check_nonempty("EnergyScorer::fit", "the fit split", id_fit.rows());
        if (!id_fit.has_logits()) throw_invalid("EnergyScorer::fit", "the fit split has no logits (needed for the class count)");
        num_classes_ = id_fit.num_classes();
    }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& /*head: not needed*/) { fit(id_fit); }

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const ScoreChecks checks{"EnergyScorer::score"};
        checks.fitted(is_fitted());
        checks.logits(split, num_classes_);
        check_size("EnergyScorer::score", "out", out.size(), split.rows());
        const auto z = split.logits();
        const Scalar t = static_cast<Scalar>(param_.temperature);
        // blocks of rows, whole-array exp (logit_blocks.hpp); 1 / T is exactly 1 for T = 1
        detail::rowwise_lse_blocks(z, t, out);
        checks.scores(out);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return num_classes_ > 0; }
    Index num_classes() const { return num_classes_; }
    const Param& param() const { return param_; }

private:
    Param param_;
    Index num_classes_ = 0;
};

}  // namespace reclag
