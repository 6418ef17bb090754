// reclag: the scorer contract shared by every OOD detector.
//
// A scorer is a small class template over Scalar (float or double) with
//
//   using Scalar = ...;                                    // float or double
//   struct Param { ...; void check_param() const; };       // documented defaults
//   explicit Scorer(Param p = {});
//   void fit(const FeatureView<Scalar>& id_fit);                                  // (1)
//   void fit(const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>& h); // (2)
//   Vector<Scalar> score(const FeatureView<Scalar>& split) const;                 // (3)
//   void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out) const;
//   bool is_fitted() const;
//   static constexpr const char* name = "...";            // the name reclag_ood uses
//   static constexpr bool needs_head = ...;                // optional: fit() needs a head
//
// Semantics, identical for every scorer:
//  - (1)/(2) learn what the scorer needs from in-distribution data and copy it (a scorer never
//    keeps a reference to the caller's matrices). A scorer that needs the head throws
//    reclag::invalid_argument from (1); one that does not ignores the head in (2).
//  - (3) returns one score per row, HIGHER = MORE IN-DISTRIBUTION. score() is const and keeps
//    no mutable state, so one fitted scorer may be called from several threads at once.
//  - Heap allocation in score(split, out) (out = caller storage): none, on any call, for Energy,
//    MSP, MaxLogit, SHE and GEN (when top_m >= C; their blocks of rows live on the stack). The
//    other scorers work in blocks of rows with GEMMs and take a workspace, reused across calls:
//      void score(const FeatureView<Scalar>& split, Eigen::Ref<Vector<Scalar>> out, Workspace& ws) const;
//    (RecLag: ReclagWorkspace, score/reclag_workspace.hpp; ReAct, ASH, DICE, MHE, KNN,
//    Mahalanobis, ViM: ScoreWorkspace, score/score_workspace.hpp; a run-time choice:
//    AnyScorer::Workspace, which holds both): no heap allocation in steady state, one workspace
//    per concurrent caller. Without one they allocate their scratch per call, with the same
//    numbers. tests/score/no_allocation_test.cpp counts malloc.
//  - Shapes are checked against what fit() saw; mismatches throw reclag::invalid_argument
//    naming the scorer, the argument and both sizes. score() before fit() throws too.
#pragma once

#include <cmath>
#include <type_traits>
#include <utility>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/checks.hpp"
#include "reclag/core/types.hpp"
#include "reclag/score/feature_view.hpp"

namespace reclag {

namespace detail {

template <typename T, typename = void>
struct has_scalar_typedef : std::false_type {};
template <typename T>
struct has_scalar_typedef<T, std::void_t<typename T::Scalar>> : std::true_type {};

template <typename T, typename = void>
struct has_fit : std::false_type {};
template <typename T>
struct has_fit<T, std::void_t<decltype(std::declval<T&>().fit(std::declval<const FeatureView<typename T::Scalar>&>()))>>
    : std::true_type {};

template <typename T, typename = void>
struct has_fit_with_head : std::false_type {};
template <typename T>
struct has_fit_with_head<T, std::void_t<decltype(std::declval<T&>().fit(
                                std::declval<const FeatureView<typename T::Scalar>&>(),
                                std::declval<const ClassifierHead<typename T::Scalar>&>()))>> : std::true_type {};

template <typename T, typename = void>
struct has_const_score : std::false_type {};
template <typename T>
struct has_const_score<T, std::void_t<decltype(std::declval<const T&>().score(
                              std::declval<const FeatureView<typename T::Scalar>&>()))>>
    : std::is_same<decltype(std::declval<const T&>().score(std::declval<const FeatureView<typename T::Scalar>&>())),
                   Vector<typename T::Scalar>> {};

template <typename T, typename = void>
struct has_needs_head : std::false_type {};
template <typename T>
struct has_needs_head<T, std::void_t<decltype(T::needs_head)>> : std::true_type {};

template <typename T, typename = void>
struct has_name : std::false_type {};
template <typename T>
struct has_name<T, std::void_t<decltype(T::name)>> : std::true_type {};

}  // namespace detail

/// True when T satisfies the scorer contract written at the top of this header.
template <typename T>
struct is_scorer {
    static constexpr bool has_scalar = detail::has_scalar_typedef<T>::value;
    static constexpr bool value = [] {
        if constexpr (detail::has_scalar_typedef<T>::value) {
            return detail::has_fit<T>::value && detail::has_fit_with_head<T>::value &&
                   detail::has_const_score<T>::value && detail::has_name<T>::value;
        } else {
            return false;
        }
    }();
};

template <typename T>
inline constexpr bool is_scorer_v = is_scorer<T>::value;

/// Fails to compile, with a sentence saying what is missing, when T is not a scorer.
template <typename T>
constexpr void static_assert_scorer() {
    static_assert(detail::has_scalar_typedef<T>::value,
                  "reclag scorer contract: the type must declare `using Scalar = float or double;`");
    if constexpr (detail::has_scalar_typedef<T>::value) {
        static_assert(detail::has_fit<T>::value,
                      "reclag scorer contract: missing `void fit(const FeatureView<Scalar>&)`");
        static_assert(detail::has_fit_with_head<T>::value,
                      "reclag scorer contract: missing `void fit(const FeatureView<Scalar>&, const ClassifierHead<Scalar>&)`");
        static_assert(detail::has_const_score<T>::value,
                      "reclag scorer contract: missing `Vector<Scalar> score(const FeatureView<Scalar>&) const` "
                      "(it must be const: scoring may run on several threads)");
        static_assert(detail::has_name<T>::value,
                      "reclag scorer contract: missing `static constexpr const char* name`");
    }
}

/// Index of the largest logit of row i; ties go to the first maximum (NumPy argmax).
template <typename Derived>
Index predicted_class(const Eigen::MatrixBase<Derived>& logits, Index i) {
    Index arg = 0;
    for (Index j = 1; j < logits.cols(); ++j)
        if (logits(i, j) > logits(i, arg)) arg = j;  // strict: the first maximum wins
    return arg;
}

/// Index of the largest logit of each row; ties go to the first maximum (NumPy argmax).
template <typename Derived>
LabelVector predicted_classes(const Eigen::MatrixBase<Derived>& logits) {
    LabelVector pred(logits.rows());
    for (Index i = 0; i < logits.rows(); ++i) pred(i) = static_cast<std::int64_t>(predicted_class(logits, i));
    return pred;
}

/// The rows of `logits` grouped by predicted class (predicted_class), ascending within a
/// class, by one counting sort into caller storage (no allocation within the vectors'
/// capacity): class c occupies order[offsets[c], offsets[c + 1]) and pred[i] is row i's class.
/// For scorers that route each row to its class's parameters (MHE, per-class RecLag).
template <typename Derived>
void group_rows_by_predicted_class(const Eigen::MatrixBase<Derived>& logits, Index num_classes,
                                   std::vector<Index>& pred, std::vector<Index>& offsets, std::vector<Index>& order) {
    const Index n = logits.rows();
    pred.resize(static_cast<std::size_t>(n));
    order.resize(static_cast<std::size_t>(n));
    offsets.assign(static_cast<std::size_t>(num_classes + 1), 0);
    for (Index i = 0; i < n; ++i) {
        pred[static_cast<std::size_t>(i)] = predicted_class(logits, i);
        ++offsets[static_cast<std::size_t>(pred[static_cast<std::size_t>(i)] + 1)];
    }
    for (Index c = 0; c < num_classes; ++c) offsets[static_cast<std::size_t>(c + 1)] += offsets[static_cast<std::size_t>(c)];
    // placing row i advances its class's start to the next free position; afterwards
    // offsets[c] holds the end of class c, so shifting by one restores the starts
    for (Index i = 0; i < n; ++i) order[static_cast<std::size_t>(offsets[static_cast<std::size_t>(pred[static_cast<std::size_t>(i)])]++)] = i;
    for (Index c = num_classes; c > 0; --c) offsets[static_cast<std::size_t>(c)] = offsets[static_cast<std::size_t>(c - 1)];
    offsets[0] = 0;
}

/// Common argument checks for score(): fitted, dimensions as at fit time, finite values.
struct ScoreChecks {
    const char* where;
    template <typename Scalar>
    void features(const FeatureView<Scalar>& split, Index expected_dim) const {
        check_cols(where, "features", split.feature_dim(), expected_dim);
        check_finite(where, "features", split.features());
    }
    template <typename Scalar>
    void logits(const FeatureView<Scalar>& split, Index expected_classes) const {
        if (!split.has_logits()) throw_invalid(where, "the split has no logits");
        check_cols(where, "logits", split.num_classes(), expected_classes);
        check_finite(where, "logits", split.logits());
    }
    void fitted(bool is_fitted) const {
        if (!is_fitted) throw_invalid(where, "called before fit()");
    }
    /// The computed scores are finite. Finite inputs can still overflow Scalar (features of
    /// 1e20 in float make MHE's dot products inf and its LSE NaN): that row is named instead of
    /// returning a silent NaN or inf. One vectorised pass, negligible next to any scorer.
    template <typename Derived>
    void scores(const Eigen::MatrixBase<Derived>& out) const {
        if (all_finite_fast(out)) return;
        for (Index i = 0; i < out.size(); ++i)
            if (!std::isfinite(static_cast<double>(out(i))))
                throw_invalid(where, "the score of row ", i, " is not finite (", out(i),
                              ") although the inputs are: they overflow this Scalar; use double or rescale the features");
    }
};

}  // namespace reclag
