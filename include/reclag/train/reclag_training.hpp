// reclag: plugs SfnnTrainer into ReclagScorer, so that ReclagScorer::fit() trains xi from the
// ID-fit split and then calibrates log gamma:
//
//   reclag::ReclagScorer<float> scorer;                                      // beta 5, norm 10
//   scorer.set_trainer(reclag::sfnn_reclag_trainer<float>());                // paper: global xi
//   scorer.fit(id_train);
//
//   reclag::ReclagScorer<float> code({}, {5.0f, 0.0f});                      // raw features
//   code.set_trainer(reclag::sfnn_reclag_trainer<float>(
//       reclag::SfnnTrainer<float>::Param::public_code(), /*per_class=*/true));
//   code.fit(id_train);                                       // needs logits and labels
#pragma once

#include <utility>

#include "reclag/core/checks.hpp"
#include "reclag/score/reclag_scorer.hpp"
#include "reclag/train/sfnn_trainer.hpp"

namespace reclag {

/// A ReclagScorer trainer running SfnnTrainer with `p`: one global xi, or one xi per class
/// (label == argmax(logits) == c). The scorer's beta and norm must be those the trainer uses
/// (norm 0 <=> raw features): a mismatch throws reclag::invalid_argument from fit().
template <typename Scalar>
typename ReclagScorer<Scalar>::Trainer sfnn_reclag_trainer(typename SfnnTrainer<Scalar>::Param p = {},
                                                           bool per_class = false) {
    p.check_param();
    return [p, per_class](const FeatureView<Scalar>& id_fit, const ClassifierHead<Scalar>* /*head*/,
                          const typename ReclagScorer<Scalar>::Param& sp) {
        const char* w = "sfnn_reclag_trainer";
        if (sp.beta != p.beta) throw_invalid(w, "the scorer's beta (", sp.beta, ") differs from the trainer's (", p.beta, ")");
        const Scalar trainer_norm = p.normalize_features ? p.feature_norm : Scalar(0);
        if (sp.norm != trainer_norm)
            throw_invalid(w, "the scorer's norm (", sp.norm, ") differs from the trainer's feature scaling (", trainer_norm,
                          "; 0 = raw features)");
        SfnnTrainer<Scalar> trainer(p);
        ReclagInteraction<Scalar> out;
        out.per_class = per_class;
        if (per_class) {
            for (auto& r : trainer.fit_per_class(id_fit)) out.xi.push_back(std::move(r.xi));
        } else {
            out.xi.push_back(trainer.fit(id_fit.features()).xi);
        }
        return out;
    };
}

}  // namespace reclag
