// The direct CPU convolution the cudnn check trusts.
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "verify/checks/conv_reference.hpp"

namespace envpin::verify {
namespace {

double dot(const std::vector<double>& a, const std::vector<float>& b)
{
    return std::inner_product(a.begin(), a.end(), b.begin(), 0.0);
}

TEST(ConvReference, OneByOneImageWithACentredKernelIsAProduct)
{
    const ConvShape shape{.n = 1, .c = 1, .h = 1, .w = 1, .k = 1, .r = 3, .s = 3};
    const std::vector<float> x{2};
    std::vector<float> w(9, 100);
    w[4] = 3; // only the centre tap meets the single pixel; the rest fall in the padding
    EXPECT_EQ(conv_forward(shape, x, w), std::vector<double>{6});
}

TEST(ConvReference, SumsOverChannelsAndNeighbours)
{
    // 1 image, 2 channels of 2x2, one 3x3 filter of ones: each output is the sum of the
    // whole image, since every pixel is a neighbour of every other.
    const ConvShape shape{.n = 1, .c = 2, .h = 2, .w = 2, .k = 1, .r = 3, .s = 3};
    const std::vector<float> x{1, 2, 3, 4, 10, 20, 30, 40};
    const std::vector<float> w(18, 1);
    EXPECT_EQ(conv_forward(shape, x, w), (std::vector<double>{110, 110, 110, 110}));
}

TEST(ConvReference, BackwardPassesAreTheAdjointsOfTheForwardPass)
{
    // <conv(x, w), dy> = <x, backward_data(dy, w)> = <w, backward_filter(x, dy)>
    const ConvShape shape;
    std::mt19937 generator(3);
    std::uniform_real_distribution<float> uniform(-1, 1);
    std::vector<float> x(shape.input_size()), w(shape.filter_size()), dy(shape.output_size());
    for (auto* v : {&x, &w, &dy})
        for (auto& e : *v)
            e = uniform(generator);
    const double forward = dot(conv_forward(shape, x, w), dy);
    EXPECT_NEAR(dot(conv_backward_data(shape, dy, w), x), forward, 1e-9 * std::abs(forward) + 1e-9);
    EXPECT_NEAR(dot(conv_backward_filter(shape, x, dy), w), forward,
                1e-9 * std::abs(forward) + 1e-9);
    EXPECT_EQ(conv_backward_data(shape, dy, w).size(), shape.input_size());
    EXPECT_EQ(conv_backward_filter(shape, x, dy).size(), shape.filter_size());
}

} // namespace
} // namespace envpin::verify
