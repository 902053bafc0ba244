// Fused recurrent steps: the pointwise math of one LSTM or GRU layer step (everything after the
// step's gate matmuls) in one launch forward and one backward.  References: registered in
// gradcore/ops/rnn.py under the same names; each kernel follows its reference operation for
// operation, with correctly rounded, never-contracted arithmetic (gc_*_rn), in opmath_t<T>.
//
//   lstm_cell_forward<T>   gates (N, 4H) in PyTorch's order (i, f, g, o), c (N, H)
//                          -> h' (N, H), c' (N, H), act (5, N, H) = (sigmoid i, sigmoid f,
//                          tanh g, sigmoid o, tanh c'), what backward reads
//   lstm_cell_backward<T>  gh, gc (N, H; either may be absent: flags), act, c
//                          -> dgates (N, 4H), dc (N, H)
//   gru_cell_forward<T>    xg (N, 3H) = W_i x + b_i, hg (N, 3H) = W_h h + b_h, gates (r, z, n),
//                          h (N, H) -> h' (N, H), act (3, N, H) = (r, z, n) with
//                          n = tanh(x_n + r * h_n), h' = (h - n) * z + n
//   gru_cell_backward<T>   gy (N, H), act, hg, h -> dxg (N, 3H), dhg (N, 3H), dh (N, H)
//
// Every array is C-contiguous (the launcher makes it so); a thread handles one (n, j) of the
// N * H grid and reads / writes that element of each gate block (act: gate-major, each gate a
// contiguous (N, H) block, the layout the NumPy reference's backward runs fastest on).
#include "common.cuh"

// sigmoid as the reference writes it: 1 / (1 + exp(-x))
template <typename M>
__device__ __forceinline__ M gc_sigmoid_rn(M x) {
  return gc_div_rn(M(1), gc_add_rn(M(1), gc_exp(-x)));
}

// 1 - x * x (tanh's derivative from its output)
template <typename M>
__device__ __forceinline__ M gc_one_minus_sq(M x) {
  return gc_sub_rn(M(1), gc_mul_rn(x, x));
}

// x * (1 - x) (sigmoid's derivative from its output), times d first: (d * x) * (1 - x)
template <typename M>
__device__ __forceinline__ M gc_times_sig_grad(M d, M x) {
  return gc_mul_rn(gc_mul_rn(d, x), gc_sub_rn(M(1), x));
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
lstm_cell_forward(const T* __restrict__ gates, const T* __restrict__ c, T* __restrict__ h,
                  T* __restrict__ c_new, T* __restrict__ act, index_t N, index_t H) {
  typedef opmath_t<T> M;
  gc_for_each(N * H, [&](index_t e) {
    const index_t n = gc_div(e, H), j = e - n * H;
    const index_t gi = n * 4 * H + j, nh = N * H;
    const M i = gc_sigmoid_rn(gc_load(gates, gi));
    const M f = gc_sigmoid_rn(gc_load(gates, gi + H));
    const M g = gc_tanh(gc_load(gates, gi + 2 * H));
    const M o = gc_sigmoid_rn(gc_load(gates, gi + 3 * H));
    const M cn = gc_add_rn(gc_mul_rn(f, gc_load(c, e)), gc_mul_rn(i, g));
    const M t = gc_tanh(cn);
    gc_store(act, e, i);
    gc_store(act, e + nh, f);
    gc_store(act, e + 2 * nh, g);
    gc_store(act, e + 3 * nh, o);
    gc_store(act, e + 4 * nh, t);
    gc_store(c_new, e, cn);
    gc_store(h, e, gc_mul_rn(o, t));
  });
}

#define GC_RNN_GH 1  // gh is given (otherwise any valid pointer, never read)
#define GC_RNN_GC 2  // gc is given

// With dc = gh * o * (1 - t^2) + gc: dgates = (dc g i(1-i), dc c f(1-f), dc i (1-g^2),
// gh t o(1-o)), c's gradient dc f.
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
lstm_cell_backward(const T* __restrict__ gh, const T* __restrict__ gc,
                   const T* __restrict__ act, const T* __restrict__ c,
                   T* __restrict__ dgates, T* __restrict__ dc_prev, index_t N, index_t H,
                   int flags) {
  typedef opmath_t<T> M;
  gc_for_each(N * H, [&](index_t e) {
    const index_t n = gc_div(e, H), j = e - n * H;
    const index_t gi = n * 4 * H + j, nh = N * H;
    const M i = gc_load(act, e), f = gc_load(act, e + nh), g = gc_load(act, e + 2 * nh);
    const M o = gc_load(act, e + 3 * nh), t = gc_load(act, e + 4 * nh);
    M dc = M(0), d_o = M(0);
    if (flags & GC_RNN_GH) {
      const M y = gc_load(gh, e);
      dc = gc_mul_rn(gc_mul_rn(y, o), gc_one_minus_sq(t));
      if (flags & GC_RNN_GC) dc = gc_add_rn(dc, gc_load(gc, e));
      d_o = gc_times_sig_grad(gc_mul_rn(y, t), o);
    } else if (flags & GC_RNN_GC) {
      dc = gc_load(gc, e);
    }
    gc_store(dgates, gi, gc_times_sig_grad(gc_mul_rn(dc, g), i));
    gc_store(dgates, gi + H, gc_times_sig_grad(gc_mul_rn(dc, gc_load(c, e)), f));
    gc_store(dgates, gi + 2 * H, gc_mul_rn(gc_mul_rn(dc, i), gc_one_minus_sq(g)));
    gc_store(dgates, gi + 3 * H, d_o);
    gc_store(dc_prev, e, gc_mul_rn(dc, f));
  });
}

template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
gru_cell_forward(const T* __restrict__ xg, const T* __restrict__ hg, const T* __restrict__ h,
                 T* __restrict__ h_new, T* __restrict__ act, index_t N, index_t H) {
  typedef opmath_t<T> M;
  gc_for_each(N * H, [&](index_t e) {
    const index_t n = gc_div(e, H), j = e - n * H;
    const index_t gi = n * 3 * H + j;
    const M r = gc_sigmoid_rn(gc_add_rn(gc_load(xg, gi), gc_load(hg, gi)));
    const M z = gc_sigmoid_rn(gc_add_rn(gc_load(xg, gi + H), gc_load(hg, gi + H)));
    const M nn = gc_tanh(gc_add_rn(gc_mul_rn(r, gc_load(hg, gi + 2 * H)),
                                   gc_load(xg, gi + 2 * H)));
    gc_store(act, e, r);
    gc_store(act, e + N * H, z);
    gc_store(act, e + 2 * N * H, nn);
    gc_store(h_new, e, gc_add_rn(gc_mul_rn(gc_sub_rn(gc_load(h, e), nn), z), nn));
  });
}

// dz = gy (h - n) z(1-z), dn = gy (1-z)(1-n^2), dr = dn h_n r(1-r);
// dxg = (dr, dz, dn), dhg = (dr, dz, dn r), dh = gy z.
template <typename T>
__global__ void __launch_bounds__(GC_THREADS)
gru_cell_backward(const T* __restrict__ gy, const T* __restrict__ act,
                  const T* __restrict__ hg, const T* __restrict__ h, T* __restrict__ dxg,
                  T* __restrict__ dhg, T* __restrict__ dh, index_t N, index_t H) {
  typedef opmath_t<T> M;
  gc_for_each(N * H, [&](index_t e) {
    const index_t n = gc_div(e, H), j = e - n * H;
    const index_t gi = n * 3 * H + j;
    const M r = gc_load(act, e), z = gc_load(act, e + N * H), nn = gc_load(act, e + 2 * N * H);
    const M y = gc_load(gy, e);
    const M dz = gc_times_sig_grad(gc_mul_rn(y, gc_sub_rn(gc_load(h, e), nn)), z);
    const M dn = gc_mul_rn(gc_mul_rn(y, gc_sub_rn(M(1), z)), gc_one_minus_sq(nn));
    const M dr = gc_times_sig_grad(gc_mul_rn(dn, gc_load(hg, gi + 2 * H)), r);
    gc_store(dxg, gi, dr);
    gc_store(dxg, gi + H, dz);
    gc_store(dxg, gi + 2 * H, dn);
    gc_store(dhg, gi, dr);
    gc_store(dhg, gi + H, dz);
    gc_store(dhg, gi + 2 * H, gc_mul_rn(dn, r));
    gc_store(dh, e, gc_mul_rn(y, z));
  });
}
