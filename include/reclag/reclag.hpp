// reclag: umbrella header. Include this, or the one header you need.
#pragma once

#include "reclag/version.hpp"

#include "reclag/core/checks.hpp"
#include "reclag/core/error.hpp"
#include "reclag/core/non_finite_policy.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"

#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"
#include "reclag/score/any_scorer.hpp"
#include "reclag/score/non_finite_rows.hpp"

#include "reclag/io/atomic_file.hpp"
#include "reclag/io/detector_file.hpp"
#include "reclag/io/npy.hpp"

#include "reclag/metrics/ood_metrics.hpp"

#include "reclag/lagrangian/absolute.hpp"
#include "reclag/lagrangian/log_sum_exp.hpp"
#include "reclag/lagrangian/polynomial.hpp"
#include "reclag/lagrangian/quadratic.hpp"
#include "reclag/lagrangian/rectified.hpp"
#include "reclag/dynamics/hopfield_dynamics.hpp"
#include "reclag/dynamics/scores_over_time.hpp"

#include "reclag/train/reclag_training.hpp"
#include "reclag/train/sfnn_trainer.hpp"

#include "reclag/score/registry.hpp"

#include "reclag/report/ood_report.hpp"
