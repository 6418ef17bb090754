// Access to the golden cases (schema: shared/golden/README.md), copied into tests/data/golden/
// so that they always run. Arrays come back as Eigen objects in double.
#pragma once

#include <cstdlib>
#include <string>
#include <vector>

#include <Eigen/Core>

#include "json.hpp"

#ifndef RECLAG_TEST_DATA_DIR
#error "RECLAG_TEST_DATA_DIR must be defined by the build"
#endif

namespace reclag_test {

using MatrixXdR = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

inline std::string test_data_dir() { return RECLAG_TEST_DATA_DIR; }

/// Loads tests/data/golden/<file>.
inline Json load_golden(const std::string& file) { return parse_json_file(test_data_dir() + "/golden/" + file); }

/// Shape of an ARRAY object.
inline std::vector<long> array_shape(const Json& arr) {
    std::vector<long> shape;
    for (const auto& d : arr["shape"].array) shape.push_back(static_cast<long>(d.as_double()));
    return shape;
}

namespace detail {
inline void flatten(const Json& j, std::vector<double>& out) {
    if (j.is_array()) {
        for (const auto& e : j.array) flatten(e, out);
    } else {
        out.push_back(j.as_double());
    }
}
}  // namespace detail

/// Any ARRAY as a flat row-major vector of doubles.
inline std::vector<double> array_flat(const Json& arr) {
    std::vector<double> out;
    detail::flatten(arr["data"], out);
    return out;
}

/// A scalar ARRAY (shape []) or a bare number.
inline double scalar(const Json& arr) { return arr.is_number() ? arr.as_double() : arr["data"].as_double(); }

/// A 1-D ARRAY as a column vector.
inline Eigen::VectorXd vec(const Json& arr) {
    std::vector<double> flat = array_flat(arr);
    return Eigen::Map<Eigen::VectorXd>(flat.data(), static_cast<Eigen::Index>(flat.size()));
}

/// A 2-D ARRAY as a row-major matrix (a 1-D ARRAY becomes one row).
inline MatrixXdR mat(const Json& arr) {
    std::vector<long> shape = array_shape(arr);
    std::vector<double> flat = array_flat(arr);
    const long rows = shape.size() >= 2 ? shape[0] : 1;
    const long cols = shape.size() >= 2 ? static_cast<long>(flat.size()) / (rows > 0 ? rows : 1) : static_cast<long>(flat.size());
    return Eigen::Map<MatrixXdR>(flat.data(), rows, cols);
}

/// An integer 1-D ARRAY.
inline Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> ivec(const Json& arr) {
    std::vector<double> flat = array_flat(arr);
    Eigen::Matrix<std::int64_t, Eigen::Dynamic, 1> out(static_cast<Eigen::Index>(flat.size()));
    for (std::size_t i = 0; i < flat.size(); ++i) out(static_cast<Eigen::Index>(i)) = static_cast<std::int64_t>(flat[i]);
    return out;
}

/// Relative-plus-absolute closeness used with golden values: |a - b| <= atol + rtol |b|.
inline bool close(double a, double b, double rtol = 1e-12, double atol = 1e-12) {
    return std::abs(a - b) <= atol + rtol * std::abs(b);
}

}  // namespace reclag_test
