// A tiny, fully valid data set on which every registered scorer fits, and the facts about each
// scorer (its class name, which matrices score() reads) that the bad-input tests check against.
// C = 3 classes, D = 4 features, n = 15 rows: row i belongs to class c = i % 3, its feature c
// is large (3 + i/10), the others are small and deterministic, and the head W = [I_3 | 0],
// b = 0 makes every row predicted as its label. So every class has correctly classified rows,
// every label is present and the covariance is full rank.
#pragma once

#include <cmath>
#include <limits>
#include <string>
#include <vector>

#include <catch2/catch.hpp>

#include <exception>

#include <reclag/score/registry.hpp>

namespace reclag_test {

/// NaN, +inf and -inf: the values every non-finite check must catch.
template <typename T>
std::vector<T> non_finite_values() {
    return {std::numeric_limits<T>::quiet_NaN(), std::numeric_limits<T>::infinity(), -std::numeric_limits<T>::infinity()};
}

/// Catch2 2.13's REQUIRE_THROWS_MATCHES matches the exception object: this adapts a string
/// matcher (Contains(a) && Contains(b) ...) to the exception's what().
template <typename Inner>
class WhatMatcher : public Catch::MatcherBase<std::exception> {
public:
    explicit WhatMatcher(const Inner& inner) : inner_(inner) {}
    bool match(const std::exception& e) const override { return inner_.match(std::string(e.what())); }
    std::string describe() const override { return "has a message that " + inner_.toString(); }

private:
    Inner inner_;
};

template <typename Inner>
WhatMatcher<Inner> what(const Inner& inner) {
    return WhatMatcher<Inner>(inner);
}

struct ScorerFacts {
    const char* name;        ///< registry name
    const char* cls;         ///< class name, as error messages spell it
    bool reads_features;     ///< score() reads (and so validates) the features
    bool reads_logits;       ///< score() reads (and so validates) the logits
};

/// Every registered scorer, in registry order.
inline const std::vector<ScorerFacts>& scorer_facts() {
    static const std::vector<ScorerFacts> facts = {
        {"msp", "MspScorer", false, true},
        {"maxlogit", "MaxLogitScorer", false, true},
        {"energy", "EnergyScorer", false, true},
        {"react", "ReActScorer", true, false},
        {"mhe", "MheScorer", true, true},
        {"she", "SheScorer", true, true},
        {"gen", "GenScorer", false, true},
        {"knn", "KnnScorer", true, false},
        {"mahalanobis", "MahalanobisScorer", true, false},
        {"vim", "VimScorer", true, true},
        {"ash", "AshScorer", true, false},
        {"dice", "DiceScorer", true, false},
        {"reclag", "ReclagScorer", true, false},
        {"reclag_code", "ReclagScorer", true, true},
    };
    return facts;
}

template <typename T>
struct TinyData {
    static constexpr reclag::Index n = 15, d = 4, c = 3;
    reclag::RowMatrix<T> x{n, d}, z{n, c}, w{c, d}, xi{5, d};
    reclag::Vector<T> b{c};
    reclag::LabelVector y{n};

    TinyData() {
        for (reclag::Index i = 0; i < n; ++i) {
            const reclag::Index k = i % c;
            for (reclag::Index j = 0; j < d; ++j)
                x(i, j) = static_cast<T>(0.25 * std::sin(1.0 + 3.0 * static_cast<double>(i) + 7.0 * static_cast<double>(j)) + 0.5);
            x(i, k) = static_cast<T>(3.0 + 0.1 * static_cast<double>(i));
            y(i) = static_cast<std::int64_t>(k);
        }
        w.setZero();
        for (reclag::Index k = 0; k < c; ++k) w(k, k) = T(1);
        b.setZero();
        z = x * w.transpose();
        for (reclag::Index m = 0; m < xi.rows(); ++m)
            for (reclag::Index j = 0; j < d; ++j) xi(m, j) = static_cast<T>(std::cos(2.0 * static_cast<double>(m) + static_cast<double>(j)));
    }

    reclag::FeatureView<T> fit_view() const { return reclag::FeatureView<T>(x, z, y); }
    reclag::ClassifierHead<T> head() const { return reclag::ClassifierHead<T>(w, b); }

    /// Options that make every scorer fit on 15 rows: k = 3 for KNN, a given xi for RecLag,
    /// a short per-class training for reclag_code, and ASH at p = 50: its default p = 90 keeps
    /// D - round(0.9 D) = 4 - 4 = 0 of D = 4 activations, which AshScorer::fit refuses.
    reclag::ScorerOptions<T> options() const {
        reclag::ScorerOptions<T> o;
        o.knn.k = 3;
        o.ash.percentile = 50.0;
        o.reclag_xi = xi;
        o.reclag_code_training.epochs = 2;
        return o;
    }

    /// A fresh scorer by name (unfitted).
    reclag::AnyScorer<T> make(const std::string& name) const { return reclag::make_scorer<T>(name, options()); }

    /// A scorer by name, fitted on the tiny data (with the head).
    reclag::AnyScorer<T> fitted(const std::string& name) const {
        reclag::AnyScorer<T> s = make(name);
        s.fit(fit_view(), head());
        return s;
    }
};

template <typename T>
bool all_finite(const reclag::Vector<T>& v) {
    for (reclag::Index i = 0; i < v.size(); ++i)
        if (!std::isfinite(static_cast<double>(v(i)))) return false;
    return true;
}

}  // namespace reclag_test
