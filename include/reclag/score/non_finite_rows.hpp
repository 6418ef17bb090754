// reclag: the opt-in non-finite policy for scoring, as ONE generic helper for every scorer
// (concrete or AnyScorer). Every scorer's score() rejects a NaN or infinite feature or logit
// with reclag::invalid_argument naming the first bad row and column (NonFinitePolicy::Reject,
// the default). A deployment that must answer for every sample instead asks
//
//   auto r = reclag::score_finite_rows(scorer, split, reclag::NonFinitePolicy::ScoreAsOod);
//   // r.scores(i) == std::numeric_limits<float>::lowest() for a bad row i: OOD at any threshold
//   // r.non_finite(i) == true, r.rows lists those rows (ascending)
//
// The clean rows are scored in one batch by the scorer's own score(), so their scores are
// bit-identical to scoring them alone; a bad row never turns into a NaN score.
#pragma once

#include <limits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/non_finite_policy.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"

namespace reclag {

/// Scores of a split under a NonFinitePolicy: one per row, with the rows that held a
/// non-finite feature or logit marked.
template <typename Scalar>
struct ScoredRows {
    /// One score per row, higher = more in-distribution; a marked row has
    /// std::numeric_limits<Scalar>::lowest() (the lowest FINITE value: never NaN, never -inf,
    /// so metrics and thresholds take it as it is).
    Vector<Scalar> scores;
    /// non_finite(i): row i had a NaN or infinite feature or logit and was not scored.
    Eigen::Matrix<bool, Eigen::Dynamic, 1> non_finite;
    /// The marked rows, ascending.
    std::vector<Index> rows;

    bool all_finite() const { return rows.empty(); }
};

namespace detail {

/// True when row i of m has no NaN or infinite entry.
template <typename Derived>
bool row_is_finite(const Eigen::MatrixBase<Derived>& m, Index i) {
    return all_finite_fast(m.row(i));
}

/// Rows of `split` with a non-finite feature or (when present) logit, ascending.
template <typename Scalar>
std::vector<Index> non_finite_rows(const FeatureView<Scalar>& split) {
    std::vector<Index> bad;
    const auto x = split.features();
    const auto z = split.logits();
    const bool logits = split.has_logits();
    for (Index i = 0; i < split.rows(); ++i)
        if (!row_is_finite(x, i) || (logits && !row_is_finite(z, i))) bad.push_back(i);
    return bad;
}

}  // namespace detail

/// Scores `split` with a fitted `scorer` (any type with `Vector<Scalar> score(const
/// FeatureView<Scalar>&) const`: every scorer of the registry, and AnyScorer).
///  - NonFinitePolicy::Reject (default): exactly scorer.score(split): a NaN or infinite feature
///    or logit throws reclag::invalid_argument naming the scorer, the first bad row and column.
///    The mask is still filled (all false).
///  - NonFinitePolicy::ScoreAsOod: every row with a non-finite feature or logit (whether or not
///    this scorer reads that matrix: the row is not trustworthy input) gets
///    std::numeric_limits<Scalar>::lowest() and is marked; the remaining rows are gathered and
///    scored in ONE call of scorer.score(), so shape and fitted checks still apply (also when
///    every row is bad: an empty batch is scored for them). Labels are not carried over
///    (scoring never reads them).
/// Cost with clean input: one vectorised pass per row, no copy. With bad rows: one copy of the
/// clean rows.
template <typename S>
ScoredRows<typename S::Scalar> score_finite_rows(const S& scorer, const FeatureView<typename S::Scalar>& split,
                                                 NonFinitePolicy policy = NonFinitePolicy::Reject) {
    using Scalar = typename S::Scalar;
    if (policy != NonFinitePolicy::Reject && policy != NonFinitePolicy::ScoreAsOod)
        throw_invalid("score_finite_rows", "policy is not a NonFinitePolicy value");
    ScoredRows<Scalar> out;
    const Index n = split.rows();
    out.non_finite = Eigen::Matrix<bool, Eigen::Dynamic, 1>::Constant(n, false);
    if (policy == NonFinitePolicy::Reject) {
        out.scores = scorer.score(split);
        return out;
    }
    out.rows = detail::non_finite_rows(split);
    if (out.rows.empty()) {
        out.scores = scorer.score(split);
        return out;
    }
    for (const Index i : out.rows) out.non_finite(i) = true;

    // The clean rows, in order, as one owned batch.
    std::vector<Index> clean;
    clean.reserve(static_cast<std::size_t>(n) - out.rows.size());
    for (Index i = 0; i < n; ++i)
        if (!out.non_finite(i)) clean.push_back(i);
    const RowMatrix<Scalar> x = split.features()(clean, Eigen::all);
    Vector<Scalar> clean_scores;
    if (split.has_logits()) {
        const RowMatrix<Scalar> z = split.logits()(clean, Eigen::all);
        clean_scores = scorer.score(FeatureView<Scalar>(x, z));
    } else {
        clean_scores = scorer.score(FeatureView<Scalar>(x));
    }
    check_size("score_finite_rows", "the scorer's result", clean_scores.size(), static_cast<Index>(clean.size()));

    out.scores = Vector<Scalar>::Constant(n, std::numeric_limits<Scalar>::lowest());
    for (std::size_t k = 0; k < clean.size(); ++k) out.scores(clean[k]) = clean_scores(static_cast<Index>(k));
    return out;
}

}  // namespace reclag
