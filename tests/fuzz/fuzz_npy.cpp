// libFuzzer target for the .npy reader (reclag/io/npy.hpp), issue #6 item 3.
//
// The input bytes are handed to load_npy_from_memory<T> for five destination types. The only
// acceptable outcomes are a successful load or reclag::io_error / reclag::invalid_argument;
// any other exception, a crash, a sanitizer report or a leak is a finding. When a load
// succeeds, invariants that hold for every valid file are checked and abort() on violation:
//   - read_npy_header_from_memory accepts the same bytes, and the matrix has the shape the
//     documented mapping gives (() -> 1x1, (n,) -> n x 1, (r, c) -> r x c);
//   - re-encoding the loaded values (numpy.save's header + native data) and reading them back
//     gives the same values bit for bit (no file I/O: the fuzzer stays fast);
//   - the destination types agree with each other: row-major and column-major double are the
//     same matrix; the vector type holds the same elements as the matrix type; float data loads
//     into float as the double load narrowed (NaN as NaN); integer labels equal the double load.
//
// Build: see tests/fuzz/CMakeLists.txt (RECLAG_BUILD_FUZZERS=ON, Clang). Replay one input:
//   ./build-fuzz/tests/fuzz/reclag_fuzz_npy crash-file
#include <reclag/core/error.hpp>
#include <reclag/core/types.hpp>
#include <reclag/io/npy.hpp>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <optional>
#include <string>
#include <type_traits>

namespace {

using reclag::LabelVector;
using reclag::NpyHeader;
template <typename S>
using RowMat = reclag::RowMatrix<S>;
using ColMatD = Eigen::MatrixXd;
using VecF = reclag::Vector<float>;

[[noreturn]] void violated(const char* what) {
    std::fprintf(stderr, "fuzz_npy: invariant violated: %s\n", what);
    std::abort();
}

/// Loads T from the bytes; nullopt for the two documented error types, everything else escapes.
template <typename T>
std::optional<T> try_load(const std::uint8_t* data, std::size_t size) {
    try {
        return reclag::load_npy_from_memory<T>(data, size, "fuzz.npy");
    } catch (const reclag::io_error& e) {
        if (std::strstr(e.what(), "fuzz.npy") == nullptr) violated("io_error message does not name the input");
        return std::nullopt;
    } catch (const reclag::invalid_argument&) {
        return std::nullopt;
    }
}

template <typename S>
bool same_bits(S a, S b) {
    return std::memcmp(&a, &b, sizeof(S)) == 0;
}

template <typename S>
bool same_value_or_both_nan(S a, S b) {
    if constexpr (std::is_floating_point_v<S>) {
        if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
    }
    return a == b;
}

/// The shape load_npy documents for a matrix type.
void check_matrix_shape(const NpyHeader& h, Eigen::Index rows, Eigen::Index cols) {
    const std::size_t nd = h.shape.size();
    const Eigen::Index want_rows = nd >= 1 ? h.shape[0] : 1;
    const Eigen::Index want_cols = nd == 2 ? h.shape[1] : 1;
    if (nd > 2) violated("an array with ndim > 2 loaded");
    if (rows != want_rows || cols != want_cols) violated("matrix shape differs from the header's shape");
}

/// numpy.save's bytes for m (row-major elements), read back: must be bit-identical.
template <typename M>
void check_reencode(const M& m) {
    using S = typename M::Scalar;
    std::vector<std::int64_t> shape;
    if constexpr (M::IsVectorAtCompileTime) shape = {static_cast<std::int64_t>(m.size())};
    else shape = {static_cast<std::int64_t>(m.rows()), static_cast<std::int64_t>(m.cols())};
    std::string bytes =
        reclag::detail::npy_header_bytes(reclag::detail::descr_of(reclag::detail::npy_dtype_of<S>()), shape);
    const RowMat<S> rm = m;  // C order
    bytes.append(reinterpret_cast<const char*>(rm.data()), sizeof(S) * static_cast<std::size_t>(rm.size()));
    M back;
    try {
        back = reclag::load_npy_from_memory<M>(bytes.data(), bytes.size(), "reencoded.npy");
    } catch (const std::exception& e) {
        std::fprintf(stderr, "fuzz_npy: %s\n", e.what());
        violated("a re-encoded valid array does not load");
    }
    if (back.rows() != m.rows() || back.cols() != m.cols()) violated("re-encoded array changed shape");
    for (Eigen::Index r = 0; r < m.rows(); ++r)
        for (Eigen::Index c = 0; c < m.cols(); ++c)
            if (!same_bits(m(r, c), back(r, c))) violated("re-encoded array changed a value");
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::optional<NpyHeader> header;
    try {
        header = reclag::read_npy_header_from_memory(data, size, "fuzz.npy");
    } catch (const reclag::io_error&) {
    }

    const auto rf = try_load<RowMat<float>>(data, size);
    const auto rd = try_load<RowMat<double>>(data, size);
    const auto cd = try_load<ColMatD>(data, size);
    const auto vf = try_load<VecF>(data, size);
    const auto lv = try_load<LabelVector>(data, size);

    // Any successful load implies a valid header.
    if ((rf || rd || cd || vf || lv) && !header) violated("an array loaded but its header was refused");
    // A float or double destination accepts every supported dtype: the two either both load or
    // both fail, and so does the column-major variant.
    if (rd.has_value() != cd.has_value()) violated("row-major and column-major double disagree on validity");

    if (rd) {
        check_matrix_shape(*header, rd->rows(), rd->cols());
        for (Eigen::Index r = 0; r < rd->rows(); ++r)
            for (Eigen::Index c = 0; c < rd->cols(); ++c)
                if (!same_bits((*rd)(r, c), (*cd)(r, c))) violated("row-major and column-major double loads differ");
        check_reencode(*rd);
        check_reencode(*cd);
    }
    if (rf) {
        check_matrix_shape(*header, rf->rows(), rf->cols());
        check_reencode(*rf);
        if (!rd) violated("float loaded but double did not");
        if (header->dtype.kind == 'f') {
            // f2/f4 widen exactly; f8 narrows with IEEE rounding and overflow to infinity.
            for (Eigen::Index i = 0; i < rf->size(); ++i)
                if (!same_value_or_both_nan(rf->data()[i], reclag::detail::narrow_to_float(rd->data()[i])))
                    violated("the float load is not the double load rounded to float");
        }
    }
    if (vf) {
        check_reencode(*vf);
        if (!rf) violated("a float vector loaded but the float matrix did not");
        if (vf->size() != rf->size()) violated("vector and matrix loads have different element counts");
        // One dimension is 1 (or the array is 0-/1-D), so row-major order is the file's order.
        for (Eigen::Index i = 0; i < vf->size(); ++i)
            if (!same_bits((*vf)(i), rf->data()[i])) violated("vector and matrix loads differ");
    } else if (rf && (rf->rows() == 1 || rf->cols() == 1) && header->shape.size() <= 2) {
        violated("a vector-shaped array loaded as a matrix but not as a vector");
    }
    if (lv) {
        check_reencode(*lv);
        if (header->dtype.kind == 'f') violated("floating-point data loaded into int64 labels");
        if (!rd) violated("labels loaded but double did not");
        if (lv->size() != rd->size()) violated("labels and double loads have different element counts");
        for (Eigen::Index i = 0; i < lv->size(); ++i)
            if (static_cast<double>((*lv)(i)) != rd->data()[i]) violated("labels differ from the double load");
    }
    return 0;
}
