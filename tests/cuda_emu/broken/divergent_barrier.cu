// BROKEN on purpose: threads past the end return before the block's barrier, so only part of
// the last block reaches __syncthreads (undefined behaviour on a GPU: a hang or garbage).  The
// emulator's scheduler reports the divergent barrier.
__global__ void shift_left(const float* __restrict__ x, float* __restrict__ y, long long n) {
  __shared__ float buf[256];
  const unsigned t = threadIdx.x;
  const long long i = (long long)blockIdx.x * blockDim.x + t;
  if (i >= n) return;
  buf[t] = x[i];
  __syncthreads();
  y[i] = (t + 1 < blockDim.x && i + 1 < n) ? buf[t + 1] : x[i];
}

// and a shuffle only half the warp reaches
__global__ void half_warp_shuffle(const float* __restrict__ x, float* __restrict__ y) {
  const unsigned t = threadIdx.x;
  float v = x[t];
  if ((t & 31) < 16) v = __shfl_down_sync(0xffffffffu, v, 1);
  y[t] = v;
}
