// reclag: NumPy .npy reader and writer for Eigen matrices and vectors.
//
// The header (format versions 1.0/2.0/3.0, dict parsing, validation) lives in npy_header.hpp.
//
// Reading
//   dtypes: '<f2' '<f4' '<f8', '<i1' '<i2' '<i4' '<i8', '|u1' '<u2' '<u4' '<u8', '|b1', with any of
//   the byte-order characters '<' '>' '=' '|' (or none); big-endian data is byte-swapped.
//   Shapes map to Eigen as follows (documented choice):
//     ()     -> 1 x 1            (n,)   -> n x 1 (a column)         (r, c) -> r x c
//   For a compile-time vector type (VectorX*, RowVectorX*) the element count is used, and a 2-D
//   file must have one dimension equal to 1. ndim > 2 is an error.
//   Conversions: any supported dtype into float/double; integers and bools into any integer
//   Scalar (range-checked: a value that does not fit throws); floating-point data into an
//   integer Scalar is refused (it would truncate silently, and NaN has no integer value).
//   When dtype, byte order and memory layout all match, the data is read with one fread()
//   straight into the destination; otherwise it is converted in 64 KiB chunks, and a storage
//   order change (C-order file into a column-major matrix or vice versa) is done through
//   ~1 MiB blocks of lines, never a full-size temporary.
//
// Writing (save_npy): version 1.0 header byte-identical to numpy.save's (keys sorted, the same
// spare spaces, data aligned to 64 bytes), C order, native byte order ('<' on every common
// machine). Matrices are written with a 2-D shape, compile-time vectors with a 1-D shape. The
// file is replaced atomically (io/atomic_file.hpp).
//
// Errors: every malformed or unreadable file throws reclag::io_error whose message starts with
// the file name (or the name given to the *_from_memory functions) and names the problem.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <limits>
#include <string>
#include <type_traits>
#include <vector>

#include <Eigen/Core>

#include "reclag/core/error.hpp"
#include "reclag/core/types.hpp"
#include "reclag/io/atomic_file.hpp"
#include "reclag/io/npy_header.hpp"

namespace reclag {
namespace detail {

template <typename Scalar>
std::string scalar_name() {
    if constexpr (std::is_same_v<Scalar, bool>) return "bool";
    else if constexpr (std::is_same_v<Scalar, float>) return "float";
    else if constexpr (std::is_same_v<Scalar, double>) return "double";
    else if constexpr (std::is_signed_v<Scalar>) return "int" + std::to_string(8 * sizeof(Scalar));
    else return "uint" + std::to_string(8 * sizeof(Scalar));
}

template <typename Scalar>
inline constexpr bool is_npy_scalar_v =
    std::is_same_v<Scalar, float> || std::is_same_v<Scalar, double> ||
    (std::is_integral_v<Scalar> && (sizeof(Scalar) == 1 || sizeof(Scalar) == 2 || sizeof(Scalar) == 4 || sizeof(Scalar) == 8) &&
     !std::is_same_v<Scalar, char> && !std::is_same_v<Scalar, wchar_t> && !std::is_same_v<Scalar, char16_t> &&
     !std::is_same_v<Scalar, char32_t>);

/// The dtype this library writes for Scalar (and reads without conversion).
template <typename Scalar>
NpyDtype npy_dtype_of() {
    static_assert(is_npy_scalar_v<Scalar>, "reclag npy: Scalar must be float, double, bool or a fixed-size integer type");
    NpyDtype d;
    d.size = static_cast<int>(sizeof(Scalar));
    if constexpr (std::is_same_v<Scalar, bool>) d.kind = 'b';
    else if constexpr (std::is_floating_point_v<Scalar>) d.kind = 'f';
    else d.kind = std::is_signed_v<Scalar> ? 'i' : 'u';
    d.big_endian = d.size > 1 && host_is_big_endian();
    return d;
}

inline std::string descr_of(const NpyDtype& d) {
    const char order = d.size == 1 ? '|' : (d.big_endian ? '>' : '<');
    return std::string(1, order) + d.kind + std::to_string(d.size);
}

inline std::uint16_t bswap(std::uint16_t v) { return static_cast<std::uint16_t>((v >> 8) | (v << 8)); }
inline std::uint32_t bswap(std::uint32_t v) {
    return ((v & 0xFF000000u) >> 24) | ((v & 0x00FF0000u) >> 8) | ((v & 0x0000FF00u) << 8) | ((v & 0x000000FFu) << 24);
}
inline std::uint64_t bswap(std::uint64_t v) {
    return (static_cast<std::uint64_t>(bswap(static_cast<std::uint32_t>(v))) << 32) | bswap(static_cast<std::uint32_t>(v >> 32));
}
inline std::uint8_t bswap(std::uint8_t v) { return v; }

/// IEEE 754 binary16 -> binary32, exact for every input: normals, subnormals (renormalised),
/// signed zeros, infinities and NaNs (payload kept, quiet bit preserved as numpy does).
inline float half_to_float(std::uint16_t h) {
    const std::uint32_t sign = static_cast<std::uint32_t>(h & 0x8000u) << 16;
    std::uint32_t exponent = (h >> 10) & 0x1Fu;
    std::uint32_t mantissa = h & 0x3FFu;
    std::uint32_t bits;
    if (exponent == 0) {
        if (mantissa == 0) {
            bits = sign;
        } else {
            // value = mantissa * 2^-24; shift until the implicit bit appears.
            std::uint32_t e = 127 - 15 + 1;
            while ((mantissa & 0x400u) == 0) {
                mantissa <<= 1;
                --e;
            }
            bits = sign | (e << 23) | ((mantissa & 0x3FFu) << 13);
        }
    } else if (exponent == 0x1F) {
        bits = sign | 0x7F800000u | (mantissa << 13);
    } else {
        bits = sign | ((exponent + 127 - 15) << 23) | (mantissa << 13);
    }
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
}

template <int Size>
struct uint_of_size;
template <> struct uint_of_size<1> { using type = std::uint8_t; };
template <> struct uint_of_size<2> { using type = std::uint16_t; };
template <> struct uint_of_size<4> { using type = std::uint32_t; };
template <> struct uint_of_size<8> { using type = std::uint64_t; };

/// C++17 stand-in for std::in_range: does integer v fit in integer type To?
template <typename To, typename From>
constexpr bool int_fits(From v) {
    if constexpr (std::is_signed_v<From> == std::is_signed_v<To>) {
        if constexpr (sizeof(To) >= sizeof(From)) return true;
        else return v >= static_cast<From>(std::numeric_limits<To>::min()) && v <= static_cast<From>(std::numeric_limits<To>::max());
    } else if constexpr (std::is_signed_v<From>) {  // signed -> unsigned
        return v >= 0 && static_cast<std::make_unsigned_t<From>>(v) <= std::numeric_limits<To>::max();
    } else {  // unsigned -> signed
        return v <= static_cast<std::make_unsigned_t<To>>(std::numeric_limits<To>::max());
    }
}

/// double -> float without the undefined behaviour of an out-of-range cast: values that IEEE
/// round-to-nearest sends to infinity become infinity explicitly.
inline float narrow_to_float(double v) {
    constexpr double overflow_threshold = 0x1.ffffffp+127;  // FLT_MAX + half an ulp
    if (v >= overflow_threshold) return std::numeric_limits<float>::infinity();
    if (v <= -overflow_threshold) return -std::numeric_limits<float>::infinity();
    return static_cast<float>(v);
}

/// Converts `k` elements of on-disk type Raw (given by kind/size) to Scalar. One tight loop per
/// (Raw, Scalar) pair, selected once per chunk: no per-element dispatch.
template <char Kind, int Size, typename Scalar>
void convert_chunk(const unsigned char* in, Scalar* out, std::size_t k, bool swap, std::size_t first_index,
                   const std::string& name, const std::string& descr) {
    using Bits = typename uint_of_size<Size>::type;
    for (std::size_t i = 0; i < k; ++i) {
        Bits b;
        std::memcpy(&b, in + i * Size, Size);
        if (swap) b = bswap(b);
        if constexpr (Kind == 'b') {
            if constexpr (std::is_same_v<Scalar, bool>) out[i] = b != 0;
            else out[i] = static_cast<Scalar>(b != 0 ? 1 : 0);
        } else if constexpr (Kind == 'f') {
            static_assert(std::is_floating_point_v<Scalar>, "float data converts only to floating-point Scalars");
            if constexpr (Size == 2) {
                out[i] = static_cast<Scalar>(half_to_float(b));
            } else if constexpr (Size == 4) {
                float v;
                std::memcpy(&v, &b, 4);
                out[i] = static_cast<Scalar>(v);
            } else {
                double v;
                std::memcpy(&v, &b, 8);
                if constexpr (std::is_same_v<Scalar, float>) out[i] = narrow_to_float(v);
                else out[i] = v;
            }
        } else {
            using Int = std::conditional_t<Kind == 'i', std::make_signed_t<Bits>, Bits>;
            Int v;
            std::memcpy(&v, &b, Size);
            if constexpr (std::is_floating_point_v<Scalar>) {
                out[i] = static_cast<Scalar>(v);
            } else {
                static_assert(!std::is_same_v<Scalar, bool>, "integer data does not convert to bool");
                if (!int_fits<Scalar>(v))
                    throw_io(name, "value " + std::to_string(v) + " at element " + std::to_string(first_index + i) +
                                       " of dtype '" + descr + "' does not fit in the requested " + scalar_name<Scalar>() +
                                       " Scalar");
                out[i] = static_cast<Scalar>(v);
            }
        }
    }
}

template <typename Scalar>
void check_convertible(const NpyHeader& h, const std::string& name) {
    if constexpr (std::is_same_v<Scalar, bool>) {
        if (h.dtype.kind != 'b')
            throw_io(name, "cannot load dtype '" + h.descr + "' into a bool matrix (only '|b1' converts to bool)");
    } else if constexpr (std::is_integral_v<Scalar>) {
        if (h.dtype.kind == 'f')
            throw_io(name, "cannot load floating-point dtype '" + h.descr + "' into an " + scalar_name<Scalar>() +
                               " matrix: the conversion would truncate (load as float or double)");
    }
}

/// Reads `count` elements of the file's dtype into dst (count * sizeof(Scalar) bytes).
template <typename Scalar, typename Source>
void read_elements(Source& src, const NpyHeader& h, Scalar* dst, std::size_t count) {
    const std::string& name = src.name();
    if (count == 0) return;
    const NpyDtype native = npy_dtype_of<Scalar>();
    const bool same = h.dtype.kind == native.kind && h.dtype.size == native.size &&
                      (h.dtype.size == 1 || h.dtype.big_endian == native.big_endian);
    const auto short_read = [&]() { throw_io(name, "truncated data: the file ended while reading the array data"); };
    if (same) {  // the fast path: one fread straight into the destination
        const std::size_t bytes = count * sizeof(Scalar);
        if (src.read(dst, bytes) != bytes) short_read();
        return;
    }
    const bool swap = h.dtype.size > 1 && h.dtype.big_endian != host_is_big_endian();
    const std::size_t item = static_cast<std::size_t>(h.dtype.size);
    const std::size_t chunk = (std::size_t(1) << 16) / item;
    std::vector<unsigned char> buffer(chunk * item);
    for (std::size_t done = 0; done < count;) {
        const std::size_t k = std::min(chunk, count - done);
        if (src.read(buffer.data(), k * item) != k * item) short_read();
        const unsigned char* in = buffer.data();
        Scalar* out = dst + done;
        const char kind = h.dtype.kind;
        const int size = h.dtype.size;
        if constexpr (std::is_same_v<Scalar, bool>) {
            convert_chunk<'b', 1>(in, out, k, swap, done, name, h.descr);
        } else {
            if (kind == 'b') convert_chunk<'b', 1>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'i' && size == 1) convert_chunk<'i', 1>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'i' && size == 2) convert_chunk<'i', 2>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'i' && size == 4) convert_chunk<'i', 4>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'i' && size == 8) convert_chunk<'i', 8>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'u' && size == 1) convert_chunk<'u', 1>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'u' && size == 2) convert_chunk<'u', 2>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'u' && size == 4) convert_chunk<'u', 4>(in, out, k, swap, done, name, h.descr);
            else if (kind == 'u' && size == 8) convert_chunk<'u', 8>(in, out, k, swap, done, name, h.descr);
            else if constexpr (std::is_floating_point_v<Scalar>) {
                if (size == 2) convert_chunk<'f', 2>(in, out, k, swap, done, name, h.descr);
                else if (size == 4) convert_chunk<'f', 4>(in, out, k, swap, done, name, h.descr);
                else convert_chunk<'f', 8>(in, out, k, swap, done, name, h.descr);
            }
        }
        done += k;
    }
}

template <typename MatrixType, typename Source>
MatrixType load_matrix(Source& src) {
    using Scalar = typename MatrixType::Scalar;
    static_assert(is_npy_scalar_v<Scalar>,
                  "reclag::load_npy: the matrix Scalar must be float, double, bool or a fixed-size integer type");
    const std::string& name = src.name();
    const NpyHeader h = read_header(src);
    check_convertible<Scalar>(h, name);

    const std::size_t ndim = h.shape.size();
    if (ndim > 2)
        throw_io(name, "array has " + std::to_string(ndim) + " dimensions (shape " + shape_repr(h.shape) +
                           "); only 0-, 1- and 2-D arrays load into an Eigen matrix");
    const std::int64_t n = h.num_elements();
    Eigen::Index rows = 1, cols = 1;
    if constexpr (MatrixType::IsVectorAtCompileTime) {
        if (ndim == 2 && h.shape[0] != 1 && h.shape[1] != 1)
            throw_io(name, "shape " + shape_repr(h.shape) + " is not a vector: loading into a vector type needs a "
                               "1-D array or a 2-D array with one dimension equal to 1");
        if (MatrixType::ColsAtCompileTime == 1) rows = n;
        else cols = n;
    } else {
        if (ndim >= 1) rows = h.shape[0];
        if (ndim == 2) cols = h.shape[1];
    }
    if ((MatrixType::RowsAtCompileTime != Eigen::Dynamic && rows != MatrixType::RowsAtCompileTime) ||
        (MatrixType::ColsAtCompileTime != Eigen::Dynamic && cols != MatrixType::ColsAtCompileTime))
        throw_io(name, "shape " + shape_repr(h.shape) + " does not fit the fixed-size " +
                           std::to_string(MatrixType::RowsAtCompileTime) + " x " +
                           std::to_string(MatrixType::ColsAtCompileTime) + " matrix type requested");
    if ((MatrixType::MaxRowsAtCompileTime != Eigen::Dynamic && rows > MatrixType::MaxRowsAtCompileTime) ||
        (MatrixType::MaxColsAtCompileTime != Eigen::Dynamic && cols > MatrixType::MaxColsAtCompileTime))
        throw_io(name, "shape " + shape_repr(h.shape) + " exceeds the maximum size of the matrix type requested");

    MatrixType m;
    m.resize(rows, cols);
    const bool file_row_major = !h.fortran_order;
    const bool layout_matches = rows <= 1 || cols <= 1 || file_row_major == static_cast<bool>(MatrixType::IsRowMajor);
    if (layout_matches) {
        read_elements(src, h, m.data(), static_cast<std::size_t>(n));
    } else if constexpr (!MatrixType::IsVectorAtCompileTime) {
        // The file's linear order is the other storage order. Read ~1 MiB of whole file lines
        // (rows of a C-order file, columns of a Fortran-order one) at a time and scatter them:
        // each destination line then receives a contiguous run per chunk, which keeps the
        // transposition cache-friendly and the extra memory bounded (no full-size temporary).
        const Eigen::Index lines = file_row_major ? rows : cols;
        const Eigen::Index line_len = file_row_major ? cols : rows;
        const Eigen::Index per_chunk = std::max<Eigen::Index>(
            1, static_cast<Eigen::Index>((std::size_t(1) << 20) / sizeof(Scalar)) / line_len);
        Eigen::Matrix<Scalar, Eigen::Dynamic, 1> buf(std::min(per_chunk, lines) * line_len);
        for (Eigen::Index l0 = 0; l0 < lines; l0 += per_chunk) {
            const Eigen::Index k = std::min(per_chunk, lines - l0);
            read_elements(src, h, buf.data(), static_cast<std::size_t>(k * line_len));
            if (file_row_major)
                m.middleRows(l0, k).matrix() = Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>>(buf.data(), k, cols);
            else
                m.middleCols(l0, k).matrix() = Eigen::Map<const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::ColMajor>>(buf.data(), rows, k);
        }
    }
    return m;
}

inline void write_all(std::FILE* f, const void* data, std::size_t bytes, const std::string& path) {
    if (bytes != 0 && std::fwrite(data, 1, bytes, f) != bytes) throw_io(path, "write failed: " + errno_text(errno));
}

/// numpy.save's header, byte for byte: sorted keys, 21 - len(repr(shape[0])) spare spaces so
/// the array can grow in place, padding so the data starts at a multiple of 64 bytes.
inline std::string npy_header_bytes(const std::string& descr, const std::vector<std::int64_t>& shape) {
    std::string dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape_repr(shape) + ", }";
    if (!shape.empty()) {
        const std::size_t digits = std::to_string(shape[0]).size();
        if (digits < 21) dict.append(21 - digits, ' ');
    }
    const std::size_t hlen = dict.size() + 1;  // + '\n'
    int major = 1;
    std::size_t prefix = 10;
    std::size_t pad = 64 - (prefix + hlen) % 64;  // numpy pads a full 64 when already aligned
    if (hlen + pad > 65535) {
        major = 2;
        prefix = 12;
        pad = 64 - (prefix + hlen) % 64;
    }
    std::string out = "\x93NUMPY";
    out += static_cast<char>(major);
    out += '\0';
    const auto len = static_cast<std::uint32_t>(hlen + pad);
    for (std::size_t i = 0; i < prefix - 8; ++i) out += static_cast<char>((len >> (8 * i)) & 0xFFu);
    out += dict;
    out.append(pad, ' ');
    out += '\n';
    return out;
}

}  // namespace detail

/// Loads a .npy file into MatrixType (e.g. reclag::RowMatrix<float>, Eigen::MatrixXd,
/// reclag::LabelVector, Eigen::Matrix<std::uint8_t, -1, -1>), converting the dtype to
/// MatrixType::Scalar. Shape mapping: () -> 1x1, (n,) -> n x 1, (r, c) -> r x c; a vector type
/// takes a 1-D array or a 2-D array with a dimension equal to 1.
///
/// ```
/// auto W = reclag::load_npy<reclag::RowMatrix<float>>("fc_weight.npy");     // 10 x 512
/// auto y = reclag::load_npy<reclag::LabelVector>("id_test_labels.npy");     // 10000
/// ```
template <typename MatrixType>
MatrixType load_npy(const std::string& path) {
    detail::NpyFileSource src(path);
    return detail::load_matrix<MatrixType>(src);
}

/// load_npy for a .npy file held in memory (a fuzzer's input, an archive member, a network
/// buffer). `name` stands in for the file name in error messages.
template <typename MatrixType>
MatrixType load_npy_from_memory(const void* data, std::size_t size, const std::string& name = "<memory>") {
    detail::NpyMemorySource src(data, size, name);
    return detail::load_matrix<MatrixType>(src);
}

/// Writes `m` as a .npy file (format 1.0, C order, native byte order, header identical to
/// numpy.save's). Compile-time vectors get a 1-D shape (n,), everything else a 2-D shape
/// (rows, cols). Scalar: float ('<f4'), double ('<f8'), std::int64_t ('<i8'),
/// std::int32_t ('<i4'), std::uint8_t ('|u1'), bool ('|b1') or another fixed-size integer.
/// The target is replaced atomically; on failure it is left as it was and io_error is thrown.
template <typename Derived>
void save_npy(const std::string& path, const Eigen::DenseBase<Derived>& m) {
    using Scalar = typename Derived::Scalar;
    static_assert(detail::is_npy_scalar_v<Scalar>,
                  "reclag::save_npy: Scalar must be float, double, bool or a fixed-size integer type");
    const Derived& d = m.derived();
    std::vector<std::int64_t> shape;
    if constexpr (Derived::IsVectorAtCompileTime) shape = {static_cast<std::int64_t>(d.size())};
    else shape = {static_cast<std::int64_t>(d.rows()), static_cast<std::int64_t>(d.cols())};
    const std::string header = detail::npy_header_bytes(detail::descr_of(detail::npy_dtype_of<Scalar>()), shape);

    write_file_atomically(path, [&](std::FILE* f) {
        detail::write_all(f, header.data(), header.size(), path);
        constexpr bool direct = (Derived::Flags & Eigen::DirectAccessBit) != 0;
        if constexpr (Derived::IsVectorAtCompileTime) {
            if constexpr (direct) {
                if (d.innerStride() == 1) {
                    detail::write_all(f, d.data(), sizeof(Scalar) * static_cast<std::size_t>(d.size()), path);
                    return;
                }
            }
            const Eigen::Matrix<Scalar, Eigen::Dynamic, 1> tmp = d;
            detail::write_all(f, tmp.data(), sizeof(Scalar) * static_cast<std::size_t>(tmp.size()), path);
        } else if constexpr (direct && static_cast<bool>(Derived::IsRowMajor)) {
            const std::size_t row_bytes = sizeof(Scalar) * static_cast<std::size_t>(d.cols());
            if (d.innerStride() == 1 && (d.outerStride() == d.cols() || d.rows() <= 1)) {
                detail::write_all(f, d.data(), row_bytes * static_cast<std::size_t>(d.rows()), path);
            } else {
                for (Eigen::Index r = 0; r < d.rows(); ++r) {
                    const Eigen::Matrix<Scalar, 1, Eigen::Dynamic> row = d.row(r);
                    detail::write_all(f, row.data(), row_bytes, path);
                }
            }
        } else if constexpr (direct) {
            // Column-major storage: transpose ~1 MiB blocks of rows into a row-major buffer
            // instead of copying the whole matrix.
            using RowBlock = Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
            const Eigen::Index cols = std::max<Eigen::Index>(d.cols(), 1);
            const Eigen::Index step =
                std::max<Eigen::Index>(1, static_cast<Eigen::Index>((std::size_t(1) << 20) / sizeof(Scalar)) / cols);
            RowBlock buf;
            for (Eigen::Index r = 0; r < d.rows(); r += step) {
                const Eigen::Index k = std::min(step, d.rows() - r);
                buf = d.middleRows(r, k);
                detail::write_all(f, buf.data(), sizeof(Scalar) * static_cast<std::size_t>(buf.size()), path);
            }
        } else {
            // An expression: evaluate it once (a block of a product would re-evaluate the product).
            const Eigen::Matrix<Scalar, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor> tmp = d;
            detail::write_all(f, tmp.data(), sizeof(Scalar) * static_cast<std::size_t>(tmp.size()), path);
        }
    });
}

}  // namespace reclag
