// reclag: the maximum-logit baseline (Hendrycks et al. 2022, "Scaling OOD detection").
#pragma once

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/logit_blocks.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// score(x) = max_c z_c(x), the largest of the given logits. Needs nothing from ID data
/// except the number of classes, which later calls are checked against.
template <typename Scalar_>
class MaxLogitScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::MaxLogitScorer: Scalar must be float or double");
    static constexpr const char* name = "maxlogit";

    /// No hyper-parameters.
    struct Param {
        void check_param() const {}
    };

    explicit MaxLogitScorer(Param p = {}) : param_(p) { param_.check_param(); }

    /// Records C from the fit split's logits (a split without logits leaves C free: any C is accepted).
    void fit(const FeatureView<Scalar>& id_fit) {
        check_nonempty("MaxLogitScorer::fit", "the fit split", id_fit.rows());
        num_classes_ = id_fit.has_logits() ? id_fit.num_classes() : 0;
        fitted_ = true;
    }
    /// The head is not used.
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>&) { fit(id_fit); }

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const ScoreChecks checks{"MaxLogitScorer::score"};
        checks.fitted(fitted_);
        checks.logits(split, num_classes_ > 0 ? num_classes_ : split.num_classes());
        check_size("MaxLogitScorer::score", "out", out.size(), split.rows());
        // blocks of rows transposed, so the max over classes is one vectorised pass (logit_blocks.hpp)
        detail::for_logit_blocks<Scalar>(split.logits(), 0, [&](Index begin, auto& blk, auto& m, auto&) {
            out.segment(begin, blk.rows()) = m.matrix();
        });
        checks.scores(out);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return fitted_; }
    const Param& param() const { return param_; }

private:
    Param param_;
    Index num_classes_ = 0;
    bool fitted_ = false;
};

using MaxLogitScorerf = MaxLogitScorer<float>;
using MaxLogitScorerd = MaxLogitScorer<double>;

}  // namespace reclag
