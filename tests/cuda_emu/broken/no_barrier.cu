// BROKEN on purpose: a shared-memory tree reduction without its __syncthreads, next to the
// correct one.  The emulator's thread orders give NaN (a read of shared memory no thread has
// written yet: the arena is 0xFF bytes) or a wrong sum; ThreadSanitizer reports the race.
__global__ void block_sum(const float* __restrict__ x, float* __restrict__ out, long long n) {
  __shared__ float buf[256];
  const unsigned t = threadIdx.x;
  const long long i = (long long)blockIdx.x * blockDim.x + t;
  buf[t] = i < n ? x[i] : 0.0f;
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
  }
  if (t == 0) out[blockIdx.x] = buf[0];
}

__global__ void block_sum_ok(const float* __restrict__ x, float* __restrict__ out, long long n) {
  __shared__ float buf[256];
  const unsigned t = threadIdx.x;
  const long long i = (long long)blockIdx.x * blockDim.x + t;
  buf[t] = i < n ? x[i] : 0.0f;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) buf[t] += buf[t + s];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = buf[0];
}

// the same with dynamic shared memory (extern __shared__, launched with shared_mem=)
__global__ void block_sum_dynamic(const float* __restrict__ x, float* __restrict__ out, long long n) {
  extern __shared__ float dyn[];
  const unsigned t = threadIdx.x;
  const long long i = (long long)blockIdx.x * blockDim.x + t;
  dyn[t] = i < n ? x[i] : 0.0f;
  __syncthreads();
  for (unsigned s = blockDim.x / 2; s > 0; s >>= 1) {
    if (t < s) dyn[t] += dyn[t + s];
    __syncthreads();
  }
  if (t == 0) out[blockIdx.x] = dyn[0];
}
