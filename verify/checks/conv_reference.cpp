#include "verify/checks/conv_reference.hpp"

namespace envpin::verify {
namespace {

// Calls visit(input index, filter index, output index) for every multiply of the convolution
// whose input tap falls inside the image (padding contributes zeros).
template <class Visit> void for_each_tap(const ConvShape& shape, Visit visit)
{
    const auto& [n_count, c_count, height, width, k_count, r_count, s_count] = shape;
    for (int n = 0; n < n_count; ++n)
        for (int k = 0; k < k_count; ++k)
            for (int oh = 0; oh < height; ++oh)
                for (int ow = 0; ow < width; ++ow)
                    for (int c = 0; c < c_count; ++c)
                        for (int r = 0; r < r_count; ++r)
                            for (int s = 0; s < s_count; ++s) {
                                const int ih = oh + r - shape.pad_h(), iw = ow + s - shape.pad_w();
                                if (ih < 0 || ih >= height || iw < 0 || iw >= width)
                                    continue;
                                const size_t input =
                                    ((static_cast<size_t>(n) * c_count + c) * height + ih) * width +
                                    iw;
                                const size_t filter =
                                    ((static_cast<size_t>(k) * c_count + c) * r_count + r) *
                                        s_count +
                                    s;
                                const size_t output =
                                    ((static_cast<size_t>(n) * k_count + k) * height + oh) * width +
                                    ow;
                                visit(input, filter, output);
                            }
}

} // namespace

std::vector<double> conv_forward(const ConvShape& shape, std::span<const float> x,
                                 std::span<const float> w)
{
    std::vector<double> y(shape.output_size(), 0.0);
    for_each_tap(shape, [&](size_t in, size_t f, size_t out) { y[out] += double(x[in]) * w[f]; });
    return y;
}

std::vector<double> conv_backward_data(const ConvShape& shape, std::span<const float> dy,
                                       std::span<const float> w)
{
    std::vector<double> dx(shape.input_size(), 0.0);
    for_each_tap(shape, [&](size_t in, size_t f, size_t out) { dx[in] += double(dy[out]) * w[f]; });
    return dx;
}

std::vector<double> conv_backward_filter(const ConvShape& shape, std::span<const float> x,
                                         std::span<const float> dy)
{
    std::vector<double> dw(shape.filter_size(), 0.0);
    for_each_tap(shape, [&](size_t in, size_t f, size_t out) { dw[f] += double(dy[out]) * x[in]; });
    return dw;
}

} // namespace envpin::verify
