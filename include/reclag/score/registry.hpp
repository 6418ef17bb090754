// reclag: every scorer by name, for choosing detectors at run time (reclag_ood --scorers ...).
//
//   reclag::ScorerOptions<float> opt;          // each scorer's Param, defaults as documented
//   opt.mhe.beta = 0.01;
//   reclag::AnyScorer<float> s = reclag::make_scorer<float>("mhe", opt);
//
// RecLag comes in two set-ups (DESIGN.md section 2): "reclag" (the paper's text: one global xi
// trained by SFNN on features scaled to norm 10, or a given xi) and "reclag_code" (the authors'
// public code: one xi per class, raw features, routed by the predicted class).
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "reclag/core/checks.hpp"
#include "reclag/score/any_scorer.hpp"
#include "reclag/score/ash.hpp"
#include "reclag/score/dice.hpp"
#include "reclag/score/energy.hpp"
#include "reclag/score/gen.hpp"
#include "reclag/score/knn.hpp"
#include "reclag/score/mahalanobis.hpp"
#include "reclag/score/max_logit.hpp"
#include "reclag/score/mhe.hpp"
#include "reclag/score/msp.hpp"
#include "reclag/score/react.hpp"
#include "reclag/score/reclag_scorer.hpp"
#include "reclag/score/she.hpp"
#include "reclag/score/vim.hpp"
#include "reclag/train/reclag_training.hpp"
#include "reclag/train/sfnn_trainer.hpp"

namespace reclag {

/// The parameters of every registered scorer, each its own Param with its documented defaults.
template <typename Scalar>
struct ScorerOptions {
    typename MspScorer<Scalar>::Param msp{};
    typename EnergyScorer<Scalar>::Param energy{};
    typename ReActScorer<Scalar>::Param react{};
    typename MheScorer<Scalar>::Param mhe{};
    typename SheScorer<Scalar>::Param she{};
    typename MaxLogitScorer<Scalar>::Param maxlogit{};
    typename KnnScorer<Scalar>::Param knn{};
    typename MahalanobisScorer<Scalar>::Param mahalanobis{};
    typename VimScorer<Scalar>::Param vim{};
    typename GenScorer<Scalar>::Param gen{};
    typename AshScorer<Scalar>::Param ash{};
    typename DiceScorer<Scalar>::Param dice{};

    /// RecLag, the paper's set-up: beta, feature norm (0 = raw features) and target TPR of the
    /// gamma calibration; the SFNN trainer's beta and scaling follow these. With `reclag_xi` set,
    /// that global xi is used as given and fit() only calibrates gamma.
    typename ReclagScorer<Scalar>::Param reclag{};
    typename SfnnTrainer<Scalar>::Param reclag_training{};
    std::optional<RowMatrix<Scalar>> reclag_xi;
    /// RecLag, the public-code set-up: SfnnTrainer::Param::public_code() (raw features, per class).
    typename SfnnTrainer<Scalar>::Param reclag_code_training = SfnnTrainer<Scalar>::Param::public_code();
};

/// Names of every registered scorer, in the order reclag_ood prints them.
inline std::vector<std::string> scorer_names() {
    return {"msp", "maxlogit", "energy", "react", "mhe", "she", "gen", "knn", "mahalanobis", "vim", "ash", "dice",
            "reclag", "reclag_code"};
}

namespace detail {

template <typename Scalar>
AnyScorer<Scalar> make_reclag_scorer(const ScorerOptions<Scalar>& o, bool public_code) {
    typename ReclagScorer<Scalar>::Param sp = o.reclag;
    auto tp = public_code ? o.reclag_code_training : o.reclag_training;
    if (public_code) {
        // The public code scores raw features with the trainer's beta.
        sp.beta = tp.beta;
        sp.norm = Scalar(0);
    } else {
        if (o.reclag_xi) return ReclagScorer<Scalar>(*o.reclag_xi, sp);
        // One source of truth for beta and scaling: the scorer's Param drives the trainer.
        tp.beta = sp.beta;
        tp.normalize_features = sp.norm > Scalar(0);
        if (tp.normalize_features) tp.feature_norm = sp.norm;
    }
    ReclagScorer<Scalar> scorer(sp);
    scorer.set_trainer(sfnn_reclag_trainer<Scalar>(tp, /*per_class=*/public_code));
    return scorer;
}

}  // namespace detail

/// A fresh (unfitted) scorer by name; reclag::invalid_argument for an unknown name.
template <typename Scalar>
AnyScorer<Scalar> make_scorer(const std::string& name, const ScorerOptions<Scalar>& o = {}) {
    if (name == "msp") return MspScorer<Scalar>(o.msp);
    if (name == "maxlogit") return MaxLogitScorer<Scalar>(o.maxlogit);
    if (name == "energy") return EnergyScorer<Scalar>(o.energy);
    if (name == "react") return ReActScorer<Scalar>(o.react);
    if (name == "mhe") return MheScorer<Scalar>(o.mhe);
    if (name == "she") return SheScorer<Scalar>(o.she);
    if (name == "gen") return GenScorer<Scalar>(o.gen);
    if (name == "knn") return KnnScorer<Scalar>(o.knn);
    if (name == "mahalanobis") return MahalanobisScorer<Scalar>(o.mahalanobis);
    if (name == "vim") return VimScorer<Scalar>(o.vim);
    if (name == "ash") return AshScorer<Scalar>(o.ash);
    if (name == "dice") return DiceScorer<Scalar>(o.dice);
    if (name == "reclag") return detail::make_reclag_scorer<Scalar>(o, false);
    if (name == "reclag_code") return detail::make_reclag_scorer<Scalar>(o, true);
    std::string known;
    for (const auto& n : scorer_names()) known += (known.empty() ? "" : ", ") + n;
    throw_invalid("make_scorer", "unknown scorer '", name, "' (known: ", known, ")");
}

// Compiling the registry once. make_scorer<Scalar> instantiates every scorer's fit, score and
// save: the slowest code in reclag to compile (about a minute per Scalar at -O1 with GCC 12),
// paid again by every translation unit that calls it. A program with several such
// TUs defines RECLAG_EXTERN_REGISTRY for all of them (no TU then instantiates it) and
// RECLAG_INSTANTIATE_REGISTRY in exactly one (it instantiates make_scorer<float> and <double>).
// The test suite does this (tests/support/registry_instantiation.cpp).
#if defined(RECLAG_INSTANTIATE_REGISTRY)
template AnyScorer<float> make_scorer<float>(const std::string&, const ScorerOptions<float>&);
template AnyScorer<double> make_scorer<double>(const std::string&, const ScorerOptions<double>&);
#elif defined(RECLAG_EXTERN_REGISTRY)
extern template AnyScorer<float> make_scorer<float>(const std::string&, const ScorerOptions<float>&);
extern template AnyScorer<double> make_scorer<double>(const std::string&, const ScorerOptions<double>&);
#endif

}  // namespace reclag
