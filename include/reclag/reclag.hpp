// reclag: umbrella header. Include this, or the one header you need.
#pragma once

#include "reclag/version.hpp"

#include "reclag/core/checks.hpp"
#include "reclag/core/error.hpp"
#include "reclag/core/numeric.hpp"
#include "reclag/core/types.hpp"

#include "reclag/score/feature_view.hpp"
#include "reclag/score/scorer.hpp"
