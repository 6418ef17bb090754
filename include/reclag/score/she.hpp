// reclag: the simplified Hopfield energy score SHE (Zhang et al. 2023; paper Eq. 10).
#pragma once

#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/class_patterns.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// SHE score s(x) = mean_mu(S^c_mu) . x, the inner product of the raw feature x with the mean
/// of the stored patterns of its predicted class c = argmax(logits) (first maximum); the
/// stored patterns are those of MheScorer (ID fit features with label == prediction == c).
/// This is the official SHE / OpenOOD convention (Eq. 10 up to the constant 1/d). Higher = ID.
///
/// fit() needs the fit split's logits and labels and throws when a class has no correctly
/// classified sample (see correctly_classified_rows). The class means are accumulated in
/// double. The head of fit(id_fit, head) is ignored. score() needs features and logits.
template <typename Scalar_>
class SheScorer {
public:
    using Scalar = Scalar_;
    static_assert(is_supported_scalar_v<Scalar>, "reclag::SheScorer: Scalar must be float or double");
    static constexpr const char* name = "she";
    static constexpr bool needs_head = false;

    /// SHE has no hyper-parameter.
    struct Param {
        void check_param() const {}
    };

    explicit SheScorer(Param p = {}) : param_(p) { param_.check_param(); }

    void fit(const FeatureView<Scalar>& id_fit) {
        const auto rows = correctly_classified_rows("SheScorer::fit", id_fit);
        const auto x = id_fit.features();
        RowMatrix<Scalar> means(static_cast<Index>(rows.size()), x.cols());
        Eigen::Matrix<double, 1, Eigen::Dynamic> sum(x.cols());
        for (std::size_t c = 0; c < rows.size(); ++c) {
            sum.setZero();
            for (const Index i : rows[c]) sum += x.row(i).template cast<double>();
            means.row(static_cast<Index>(c)) = (sum / static_cast<double>(rows[c].size())).template cast<Scalar>();
        }
        means_ = std::move(means);
    }
    void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& /*head: not needed*/) { fit(id_fit); }

    void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const {
        const char* where = "SheScorer::score";
        const ScoreChecks checks{where};
        checks.fitted(is_fitted());
        checks.features(split, feature_dim());
        checks.logits(split, num_classes());
        check_size(where, "out", out.size(), split.rows());
        const auto x = split.features();
        const auto z = split.logits();
        // One dot product per row (O(n D)); a full GEMM against all C means would cost C times
        // more. The predicted class is found row by row: no allocation.
        for (Index i = 0; i < x.rows(); ++i) out(i) = means_.row(predicted_class(z, i)).dot(x.row(i));
        checks.scores(out);
    }
    Vector<Scalar> score(const FeatureView<Scalar>& split) const {
        Vector<Scalar> out(split.rows());
        score(split, out);
        return out;
    }

    bool is_fitted() const { return means_.size() > 0; }
    Index num_classes() const { return means_.rows(); }
    Index feature_dim() const { return means_.cols(); }
    /// Row c = mean of the stored patterns of class c (C x D).
    const RowMatrix<Scalar>& class_means() const { return means_; }
    const Param& param() const { return param_; }

private:
    Param param_;
    RowMatrix<Scalar> means_;
};

}  // namespace reclag
