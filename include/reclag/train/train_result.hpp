// reclag: what SfnnTrainer returns: the learnt interaction matrix, the log-variances, the
// training curve and a Status that says in a sentence how the run ended.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "reclag/core/types.hpp"

namespace reclag {

enum class TrainStatus {
    Completed,          ///< every configured epoch ran
    StoppedByCallback,  ///< the epoch callback returned false
    NumericalIssue      ///< a non-finite objective or gradient; the parameters are those before that step
};

inline const char* describe(TrainStatus s) {
    switch (s) {
        case TrainStatus::Completed: return "training ran all configured epochs";
        case TrainStatus::StoppedByCallback: return "training was stopped early by the epoch callback";
        case TrainStatus::NumericalIssue:
            return "training stopped on a non-finite objective or gradient (parameters kept from the last finite step)";
    }
    return "unknown status";
}

/// One trained SFNN (one global xi, or the xi of one class).
template <typename Scalar>
struct SfnnResult {
    RowMatrix<Scalar> xi;         ///< interaction matrix, N_H x D (N_H = min(n_hidden, #samples))
    Vector<Scalar> log_var;       ///< log-variances of p_V, D entries (equal for isotropic/fixed)
    std::vector<double> objective;       ///< per epoch: mean over its mini-batches of the estimator's
                                         ///< batch-mean objective, each evaluated before its update
    std::vector<double> full_objective;  ///< if Param::track_full_objective: mean exact objective over
                                         ///< the training set, [0] at init, [e] after epoch e
    std::vector<double> epoch_seconds;   ///< wall time of each epoch
    std::vector<Index> init_rows;        ///< training-set rows (class-set positions per class) that initialised xi
    std::vector<Index> rows;             ///< per class: the input rows of the class set (file order); global: empty
    std::int64_t label = -1;             ///< per class: the class; global: -1
    long steps = 0;                      ///< optimiser steps taken
    int epochs = 0;                      ///< epochs completed
    TrainStatus status = TrainStatus::Completed;
    double seconds = 0;                  ///< total wall time

    bool ok() const { return status != TrainStatus::NumericalIssue; }
    std::string message() const { return describe(status); }
};

}  // namespace reclag
