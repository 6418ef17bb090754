// reclag: maximum softmax probability (MSP, Hendrycks & Gimpel 2017), the simplest baseline.
#pragma once

#include <cmath>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// MSP score s(x) = max_j softmax(z)_j for the logits z of each row; higher = more ID.
/// Computed as 1 / sum_j exp(z_j - max z), so no exp overflows (logits of 1e3 are fine).
/// fit() learns nothing but the number of classes C (from the fit split's logits); the head
/// of fit(id_fit, head) is ignored. Features are never read.
template <typename Scalar_>
class MspScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::MspScorer: Scalar must be float or double");
    static constexpr const char* name = "msp";
    static constexpr bool needs_head = false;

    /// MSP has no hyper-parameter.
    struct Param {
        void check_param() const {}
    };

    explicit MspScorer(Param p = {}) : param_(p) { param_.check_param(); }

    void fit(const FeatureView<Scalar>& id_fit) {
        check_nonempty("MspScorer::fit", "the fit split", id_fit.rows());
        if (!id_fit.has_logits()) throw_invalid("MspScorer::fit", "the fit split has no logits (needed for the class count)");
        num_classes_ = id_fit.num_classes();
    }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& /*head: not needed*/) { fit(id_fit); }

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const ScoreChecks checks{"MspScorer::score"};
        checks.fitted(is_fitted());
        checks.logits(split, num_classes_);
        check_size("MspScorer::score", "out", out.size(), split.rows());
        const auto z = split.logits();
        // blocks of rows, whole-array exp (logit_blocks.hpp): out = exp(m - LSE(z)) = 1 / sum exp(z - m)
        detail::for_logit_blocks<Scalar>(z, 0, [&](Index begin, auto& blk, auto& m, auto&) {
            blk.col(0) = exp_no_subnormal(blk.col(0) - m);
            for (Index j = 1; j < blk.cols(); ++j) blk.col(0) += exp_no_subnormal(blk.col(j) - m);
            out.segment(begin, blk.rows()) = blk.col(0).inverse().matrix();
        });
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
