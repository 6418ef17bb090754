// reclag: the settings of the OOD evaluation metrics (metrics/ood_metrics.hpp and friends).
//
// Conventions (DESIGN.md section 2). Scores: higher = more in-distribution (ID). By default ID is
// the positive class, as in the paper: FPR95 is the fraction of OOD samples still accepted when
// 95% of ID samples are kept. OpenOOD reports the mirror image (OOD positive: the fraction of ID
// samples rejected when 95% of OOD samples are caught); that is PositiveClass::Ood, never chosen
// silently. AUROC is the same number under both conventions; AUPR-In always takes ID as positive
// and AUPR-Out always takes OOD as positive (scores negated).
#pragma once

#include <cmath>

#include "reclag/core/checks.hpp"
#include "reclag/core/non_finite_policy.hpp"

namespace reclag {

/// Which class the FPR-at-TPR metric (and its threshold) treats as positive.
enum class PositiveClass {
    Id,   ///< the paper's convention (default): TPR = ID kept, FPR = OOD accepted
    Ood,  ///< OpenOOD's: TPR = OOD caught, FPR = ID rejected (score <= threshold flags OOD)
};

/// Which estimator of the area under the precision-recall curve AUPR-In / AUPR-Out report.
enum class AuprEstimator {
    /// Trapezoids through (recall, precision) of every distinct threshold plus (0, 1):
    /// sklearn `auc(recall, precision)` of `precision_recall_curve`, as OpenOOD v1.5 reports it.
    Trapezoid,
    /// Step function sum_k (R_k - R_{k-1}) P_k: sklearn `average_precision_score`.
    AveragePrecision,
};

inline const char* to_string(PositiveClass c) { return c == PositiveClass::Id ? "ID positive" : "OOD positive"; }
inline const char* to_string(AuprEstimator e) {
    return e == AuprEstimator::Trapezoid ? "trapezoid" : "average precision";
}

/// Settings shared by evaluate_ood, roc_curve and fpr_at_tpr.
struct MetricsParam {
    /// Target true-positive rate of the FPR metric, in (0, 1]. Default 0.95 (FPR95).
    double tpr = 0.95;
    /// Positive class of the FPR metric. Default PositiveClass::Id (the paper's).
    PositiveClass positive = PositiveClass::Id;
    /// false (default): the ROC curve has one point per distinct score, and FPR@TPR is read at
    /// the first point whose TPR >= tpr. true: sklearn's `roc_curve(drop_intermediate=True)`
    /// rule first removes every interior point whose second differences of the (FP, TP) counts
    /// are both zero; the reference's `fpr95` column uses that curve. The two differ only when
    /// ties straddle the target (golden case `drop_intermediate_edge`: 0.10 vs 0.15).
    bool drop_intermediate = false;
    /// Estimator of AUPR-In / AUPR-Out in evaluate_ood. Default Trapezoid (OpenOOD, reference).
    AuprEstimator aupr = AuprEstimator::Trapezoid;
    /// Non-finite scores (core/non_finite_policy.hpp). Default NonFinitePolicy::Reject: throw,
    /// naming id_scores / ood_scores and the index. ScoreAsOod ranks a NaN or infinite score as
    /// the least ID-like value (below every finite score, ties among themselves), i.e. such a
    /// sample is predicted OOD at every threshold: a NaN ID sample counts as missed, a NaN OOD
    /// sample as caught. Used by evaluate_ood, roc_curve, roc_point_at_tpr and fpr_at_tpr.
    NonFinitePolicy non_finite = NonFinitePolicy::Reject;

    void check_param() const {
        if (!(tpr > 0.0 && tpr <= 1.0)) throw_invalid("MetricsParam", "tpr must be in (0, 1] (got ", tpr, ")");
        if (positive != PositiveClass::Id && positive != PositiveClass::Ood)
            throw_invalid("MetricsParam", "positive is not a PositiveClass value");
        if (aupr != AuprEstimator::Trapezoid && aupr != AuprEstimator::AveragePrecision)
            throw_invalid("MetricsParam", "aupr is not an AuprEstimator value");
        if (non_finite != NonFinitePolicy::Reject && non_finite != NonFinitePolicy::ScoreAsOod)
            throw_invalid("MetricsParam", "non_finite is not a NonFinitePolicy value");
    }
};

}  // namespace reclag
