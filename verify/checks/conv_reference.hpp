#pragma once
// A direct CPU convolution in double precision: the reference the cudnn check compares the
// GPU's forward, backward-data and backward-filter results with. Pure.
#include <cstddef>
#include <span>
#include <vector>

namespace envpin::verify {

// A 2-D cross-correlation (what deep-learning frameworks call convolution) in NCHW / KCRS
// layout, stride 1, zero padding r/2 and s/2, so the output has the input's height and width.
struct ConvShape {
    int n = 2, c = 8, h = 16, w = 16, k = 16, r = 3, s = 3;
    [[nodiscard]] int pad_h() const { return r / 2; }
    [[nodiscard]] int pad_w() const { return s / 2; }
    [[nodiscard]] size_t input_size() const { return static_cast<size_t>(n) * c * h * w; }
    [[nodiscard]] size_t filter_size() const { return static_cast<size_t>(k) * c * r * s; }
    [[nodiscard]] size_t output_size() const { return static_cast<size_t>(n) * k * h * w; }
};

// y[n,k,h,w] = Σ_{c,r,s} x[n,c,h+r−pad,w+s−pad] · w[k,c,r,s]
[[nodiscard]] std::vector<double> conv_forward(const ConvShape& shape, std::span<const float> x,
                                               std::span<const float> w);
// dx = the gradient of Σ y·dy with respect to x
[[nodiscard]] std::vector<double>
conv_backward_data(const ConvShape& shape, std::span<const float> dy, std::span<const float> w);
// dw = the gradient of Σ y·dy with respect to w
[[nodiscard]] std::vector<double>
conv_backward_filter(const ConvShape& shape, std::span<const float> x, std::span<const float> dy);

} // namespace envpin::verify
