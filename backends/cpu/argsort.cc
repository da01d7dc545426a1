// Argsort along one dim (core/primitive.h, SortAttrs). The input is made
// contiguous and viewed as (outer, n, inner); each fiber is sorted on its
// own, fibers in parallel on the pool.
//
// Values become unsigned integer keys whose order is the sort order (NaN
// above +inf, -0 equal to +0, descending by complementing the key), so a
// fiber is sorted as (key, position) pairs without a comparator that reads
// the input at random: a least-significant-digit radix sort (stable by
// construction, a pass per byte that is not the same in every key) for the
// whole order, or, when only the first k positions are asked for (topk,
// kthvalue, median), a selection of the k smallest (key, position) pairs
// and a sort of those (for k <= 16, one pass keeping a sorted short list).
// Short fibers use insertion sort.
#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <type_traits>
#include <vector>

#include "backends/common/host_device.h"
#include "backends/cpu/common.h"
#include "backends/cpu/loops.h"
#include "core/registry.h"

namespace fnx::cpu {
namespace {

// Positions are 32-bit where the fiber allows (8-byte entries for float32
// keys: half the memory traffic of every pass).
template <typename U, typename P>
struct Entry {
  U key;
  P pos;
  // Positions break ties, so every order below is the stable one.
  bool operator<(const Entry& o) const {
    return key < o.key || (key == o.key && pos < o.pos);
  }
};

// Stable LSD radix sort of entries by key, one pass per byte that differs.
template <typename E>
void radix_sort(std::vector<E>& a, std::vector<E>& tmp) {
  using U = decltype(E::key);
  const std::size_t n = a.size();
  tmp.resize(n);
  for (unsigned shift = 0; shift < 8 * sizeof(U); shift += 8) {
    std::array<std::size_t, 257> count{};
    for (const E& e : a) ++count[((e.key >> shift) & 0xFF) + 1];
    if (std::any_of(count.begin() + 1, count.end(),
                    [n](std::size_t c) { return c == n; })) {
      continue;  // every key has this byte: the pass would change nothing
    }
    for (int b = 0; b < 256; ++b) count[b + 1] += count[b];
    for (const E& e : a) tmp[count[(e.key >> shift) & 0xFF]++] = e;
    a.swap(tmp);
  }
}

template <typename E>
void insertion_sort(std::vector<E>& a) {
  for (std::size_t i = 1; i < a.size(); ++i) {
    const E e = a[i];
    std::size_t j = i;
    for (; j > 0 && e < a[j - 1]; --j) a[j] = a[j - 1];
    a[j] = e;
  }
}

// The first k entries of the stable order, sorted, at the front of a.
template <typename E>
void order_prefix(std::vector<E>& a, std::vector<E>& tmp, int64_t k) {
  const int64_t n = static_cast<int64_t>(a.size());
  if (n <= 32) {
    insertion_sort(a);
  } else if (k * 4 <= n) {
    std::nth_element(a.begin(), a.begin() + k, a.end());
    std::sort(a.begin(), a.begin() + k);
  } else {
    radix_sort(a, tmp);
  }
}

// At most this many positions, of fibers up to kFewFiber long, are selected
// by insertion into a short list (longer fibers partition faster).
constexpr int64_t kFew = 16, kFewFiber = 8192;

// The k smallest entries of a fiber, in order, for a small k: one key and
// (mostly) one comparison per element against the worst kept so far.
template <typename T, typename E>
void smallest_few(const T* f, int64_t n, int64_t inner, int64_t k,
                  bool descending, E* best) {
  int64_t have = 0;
  for (int64_t i = 0; i < n; ++i) {
    const auto key = sort_key(f[i * inner]);
    const E e{descending ? ~key : key, static_cast<decltype(E::pos)>(i)};
    if (have == k && !(e < best[k - 1])) continue;
    int64_t j = have < k ? have++ : k - 1;
    for (; j > 0 && e < best[j - 1]; --j) best[j] = best[j - 1];
    best[j] = e;
  }
}

// Orders fibers [b, e) of x viewed as (outer, n, inner), writing the first
// k positions of each to y viewed as (outer, k, inner).
template <typename T, typename P>
void order_fibers(const T* xp, int64_t* yp, int64_t n, int64_t inner, int64_t k,
                  bool descending, int64_t b, int64_t e) {
  using U = SortKeyOf<T>;
  std::vector<Entry<U, P>> entries(n), tmp;
  for (int64_t fiber = b; fiber < e; ++fiber) {
    const int64_t outer = fiber / inner, col = fiber % inner;
    const T* f = xp + outer * n * inner + col;
    if (k <= kFew && k < n && n <= kFewFiber) {
      smallest_few(f, n, inner, k, descending, entries.data());
    } else {
      for (int64_t i = 0; i < n; ++i) {
        const U key = sort_key(f[i * inner]);
        entries[i] = {descending ? ~key : key, static_cast<P>(i)};
      }
      order_prefix(entries, tmp, k);
    }
    int64_t* y = yp + outer * k * inner + col;
    for (int64_t j = 0; j < k; ++j) {
      y[j * inner] = static_cast<int64_t>(entries[j].pos);
    }
  }
}

Tensor argsort_kernel(const OpCall& call, const OutMeta& out) {
  const Tensor x = contiguous(call.inputs[0]);
  Tensor result = make_result(out);
  if (result.numel() == 0) return result;
  const auto& a = call.attr<SortAttrs>();
  const DimSplit split = split_at_dim(x.shape(), a.dim);
  const int64_t n = split.n, inner = split.inner;
  const int64_t k = a.k < 0 ? n : a.k;
  const bool descending = a.descending;
  const bool short_positions = n <= int64_t{UINT32_MAX};
  int64_t* yp = data_ptr<int64_t>(result);
  FNX_DISPATCH_ALL_TYPES(x.dtype(), [&] {
    using T = scalar_t;
    const T* xp = data_ptr<T>(x);
    const int64_t work = std::max<int64_t>(1, n * 4);
    parallel_for(
        0, split.outer * inner, grain_for(work), [&](int64_t b, int64_t e) {
          if (short_positions) {
            order_fibers<T, uint32_t>(xp, yp, n, inner, k, descending, b, e);
          } else {
            order_fibers<T, int64_t>(xp, yp, n, inner, k, descending, b, e);
          }
        });
  });
  return result;
}

}  // namespace

FNX_REGISTER_PLUGIN("cpu") {
  r.kernel(DeviceType::CPU, Prim::Argsort, &argsort_kernel);
}

}  // namespace fnx::cpu
