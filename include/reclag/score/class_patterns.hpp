// reclag: per-class bookkeeping shared by the class-conditional scorers (MHE, SHE): which
// ID-fit rows become the stored patterns S^c of class c, and how test rows are grouped by
// their predicted class so that each class costs one GEMM instead of one GEMV per sample.
#pragma once

#include <cstdint>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"

namespace reclag {

/// Row indices of the stored patterns of every class, following the official SHE code and
/// OpenOOD (Zhang et al. 2023; paper Eqs. 9-10): row i belongs to S^c when its label is c AND
/// the classifier predicts c (first maximum of its logits). The number of classes C is the
/// number of logit columns of `fit`.
///
/// Throws reclag::invalid_argument (messages start with `where`) when the split is empty, has
/// no logits or no labels, holds a non-finite feature or logit, a label outside [0, C), or
/// when some class has no correctly classified row: that class would have no stored pattern,
/// and silently scoring its test samples as -inf (MHE) or 0 (SHE) would hide the problem.
template <typename Scalar>
std::vector<std::vector<Index>> correctly_classified_rows(const char* where, const FeatureView<Scalar>& fit) {
    check_nonempty(where, "the fit split", fit.rows());
    if (fit.feature_dim() == 0) throw_invalid(where, "the fit split has 0 feature columns");
    if (!fit.has_logits()) throw_invalid(where, "the fit split has no logits (needed to select correctly classified rows)");
    if (!fit.has_labels()) throw_invalid(where, "the fit split has no labels (needed to select correctly classified rows)");
    check_finite(where, "features", fit.features());
    check_finite(where, "logits", fit.logits());

    const Index num_classes = fit.num_classes();
    const ConstLabelView labels = fit.labels();
    check_labels(where, labels, num_classes);

    const LabelVector pred = predicted_classes(fit.logits());
    std::vector<std::vector<Index>> rows(static_cast<std::size_t>(num_classes));
    for (Index i = 0; i < labels.size(); ++i)
        if (pred(i) == labels(i)) rows[static_cast<std::size_t>(labels(i))].push_back(i);

    for (Index c = 0; c < num_classes; ++c)
        if (rows[static_cast<std::size_t>(c)].empty())
            throw_invalid(where, "class ", c,
                          " has no correctly classified fit sample (label == argmax(logits) == ", c,
                          "), so it would have no stored pattern; add samples of that class to the fit split");
    return rows;
}

/// Test-row indices grouped by predicted class: element c lists, in increasing order, the rows
/// i with pred(i) == c. Every pred(i) must lie in [0, num_classes).
inline std::vector<std::vector<Index>> rows_by_class(const LabelVector& pred, Index num_classes) {
    std::vector<std::size_t> counts(static_cast<std::size_t>(num_classes), 0);
    for (Index i = 0; i < pred.size(); ++i) ++counts[static_cast<std::size_t>(pred(i))];
    std::vector<std::vector<Index>> rows(static_cast<std::size_t>(num_classes));
    for (std::size_t c = 0; c < rows.size(); ++c) rows[c].reserve(counts[c]);
    for (Index i = 0; i < pred.size(); ++i) rows[static_cast<std::size_t>(pred(i))].push_back(i);
    return rows;
}

}  // namespace reclag
