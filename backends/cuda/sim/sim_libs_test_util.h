// Helpers shared by the tests of the simulated cuBLAS and cuDNN: device
// arrays, random data, cuDNN descriptors and strided layouts.
#pragma once

#include <cuda_runtime_api.h>
#include <cudnn.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

namespace cuda_sim_test {

inline constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// A device array, filled from and read back to host vectors with the
// synchronous copies.
template <typename T>
class DeviceArray {
 public:
  explicit DeviceArray(std::size_t n) : n_(n) {
    void* p = nullptr;
    EXPECT_EQ(cudaMalloc(&p, std::max<std::size_t>(n, 1) * sizeof(T)),
              cudaSuccess);
    p_ = static_cast<T*>(p);
  }
  explicit DeviceArray(const std::vector<T>& host) : DeviceArray(host.size()) {
    EXPECT_EQ(
        cudaMemcpy(p_, host.data(), n_ * sizeof(T), cudaMemcpyHostToDevice),
        cudaSuccess);
  }
  DeviceArray(const DeviceArray&) = delete;
  DeviceArray& operator=(const DeviceArray&) = delete;
  ~DeviceArray() { cudaFree(p_); }

  T* get() const { return p_; }
  // Waits for all work, then copies back.
  std::vector<T> read() const {
    EXPECT_EQ(cudaDeviceSynchronize(), cudaSuccess);
    std::vector<T> host(n_);
    EXPECT_EQ(
        cudaMemcpy(host.data(), p_, n_ * sizeof(T), cudaMemcpyDeviceToHost),
        cudaSuccess);
    return host;
  }

 private:
  std::size_t n_;
  T* p_ = nullptr;
};

template <typename T>
std::vector<T> random_vector(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  std::vector<T> v(n);
  for (T& e : v) e = static_cast<T>(dist(gen));
  return v;
}

template <typename T>
constexpr double tolerance() {
  return std::is_same_v<T, float> ? 1e-5 : 1e-12;
}

// Owns the descriptors a test makes.
class Descriptors {
 public:
  ~Descriptors() {
    for (auto d : tensors_) cudnnDestroyTensorDescriptor(d);
    for (auto d : filters_) cudnnDestroyFilterDescriptor(d);
    for (auto d : convs_) cudnnDestroyConvolutionDescriptor(d);
    for (auto d : pools_) cudnnDestroyPoolingDescriptor(d);
  }
  cudnnTensorDescriptor_t tensor(cudnnDataType_t type,
                                 const std::vector<int>& dims,
                                 const std::vector<int>& strides) {
    cudnnTensorDescriptor_t d = nullptr;
    EXPECT_EQ(cudnnCreateTensorDescriptor(&d), CUDNN_STATUS_SUCCESS);
    tensors_.push_back(d);
    EXPECT_EQ(cudnnSetTensorNdDescriptor(d, type, static_cast<int>(dims.size()),
                                         dims.data(), strides.data()),
              CUDNN_STATUS_SUCCESS);
    return d;
  }
  cudnnFilterDescriptor_t filter(cudnnDataType_t type,
                                 const std::vector<int>& dims) {
    cudnnFilterDescriptor_t d = nullptr;
    EXPECT_EQ(cudnnCreateFilterDescriptor(&d), CUDNN_STATUS_SUCCESS);
    filters_.push_back(d);
    EXPECT_EQ(
        cudnnSetFilterNdDescriptor(d, type, CUDNN_TENSOR_NCHW,
                                   static_cast<int>(dims.size()), dims.data()),
        CUDNN_STATUS_SUCCESS);
    return d;
  }
  cudnnConvolutionDescriptor_t conv(const std::vector<int>& pad,
                                    const std::vector<int>& stride,
                                    const std::vector<int>& dilation,
                                    cudnnConvolutionMode_t mode,
                                    cudnnDataType_t type, int groups) {
    cudnnConvolutionDescriptor_t d = nullptr;
    EXPECT_EQ(cudnnCreateConvolutionDescriptor(&d), CUDNN_STATUS_SUCCESS);
    convs_.push_back(d);
    EXPECT_EQ(cudnnSetConvolutionNdDescriptor(d, static_cast<int>(pad.size()),
                                              pad.data(), stride.data(),
                                              dilation.data(), mode, type),
              CUDNN_STATUS_SUCCESS);
    EXPECT_EQ(cudnnSetConvolutionGroupCount(d, groups), CUDNN_STATUS_SUCCESS);
    return d;
  }
  cudnnPoolingDescriptor_t pool(cudnnPoolingMode_t mode,
                                cudnnNanPropagation_t nan,
                                const std::vector<int>& window,
                                const std::vector<int>& pad,
                                const std::vector<int>& stride) {
    cudnnPoolingDescriptor_t d = nullptr;
    EXPECT_EQ(cudnnCreatePoolingDescriptor(&d), CUDNN_STATUS_SUCCESS);
    pools_.push_back(d);
    EXPECT_EQ(cudnnSetPoolingNdDescriptor(
                  d, mode, nan, static_cast<int>(window.size()), window.data(),
                  pad.data(), stride.data()),
              CUDNN_STATUS_SUCCESS);
    return d;
  }

 private:
  std::vector<cudnnTensorDescriptor_t> tensors_;
  std::vector<cudnnFilterDescriptor_t> filters_;
  std::vector<cudnnConvolutionDescriptor_t> convs_;
  std::vector<cudnnPoolingDescriptor_t> pools_;
};

template <typename T>
cudnnDataType_t data_type() {
  return std::is_same_v<T, float> ? CUDNN_DATA_FLOAT : CUDNN_DATA_DOUBLE;
}

inline std::vector<int> packed_strides(const std::vector<int>& dims) {
  std::vector<int> s(dims.size(), 1);
  for (int i = static_cast<int>(dims.size()) - 2; i >= 0; --i) {
    s[i] = s[i + 1] * dims[i + 1];
  }
  return s;
}

// Channels-last strides with a gap of 3 elements between images: a layout
// that is not packed NCHW.
inline std::vector<int> channels_last_strides(const std::vector<int>& dims) {
  std::vector<int> s(dims.size());
  int acc = 1;
  s[1] = acc;
  acc *= dims[1];
  for (int i = static_cast<int>(dims.size()) - 1; i >= 2; --i) {
    s[i] = acc;
    acc *= dims[i];
  }
  s[0] = acc + 3;
  return s;
}

inline int numel(const std::vector<int>& dims) {
  int n = 1;
  for (int d : dims) n *= d;
  return n;
}

// Elements from the first to one past the last of a strided tensor.
inline int extent(const std::vector<int>& dims,
                  const std::vector<int>& strides) {
  int last = 0;
  for (std::size_t i = 0; i < dims.size(); ++i) {
    last += (dims[i] - 1) * strides[i];
  }
  return last + 1;
}

// The strided offset of packed element i.
inline int offset_of(int i, const std::vector<int>& dims,
                     const std::vector<int>& strides) {
  int offset = 0;
  for (int d = static_cast<int>(dims.size()) - 1; d >= 0; --d) {
    offset += i % dims[d] * strides[d];
    i /= dims[d];
  }
  return offset;
}

template <typename T>
std::vector<double> unstride(const std::vector<T>& v,
                             const std::vector<int>& dims,
                             const std::vector<int>& strides) {
  std::vector<double> out(numel(dims));
  for (int i = 0; i < numel(dims); ++i) out[i] = v[offset_of(i, dims, strides)];
  return out;
}

// Spatial dims padded to 3 with 1 (size, stride, dilation) and 0 (pad).
inline std::array<int, 3> three(const std::vector<int>& v, int fill) {
  std::array<int, 3> a = {fill, fill, fill};
  std::copy(v.begin(), v.end(), a.begin());
  return a;
}

// (a, b, rest...): a tensor's dims from its first two and its spatial dims.
inline std::vector<int> dims_of(int a, int b, const std::vector<int>& rest) {
  std::vector<int> d = {a, b};
  d.insert(d.end(), rest.begin(), rest.end());
  return d;
}

// A cuDNN handle per test.
class CudnnTest : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(cudnnCreate(&h_), CUDNN_STATUS_SUCCESS); }
  void TearDown() override {
    EXPECT_EQ(cudnnDestroy(h_), CUDNN_STATUS_SUCCESS);
  }

  cudnnHandle_t h_ = nullptr;
};

}  // namespace cuda_sim_test
