// BROKEN on purpose: every thread adds into one total without atomicAdd.  On the emulator's
// sequential fibers the number comes out right; ThreadSanitizer reports the race.
__global__ void total_racy(const float* __restrict__ x, float* __restrict__ total, long long n) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x)
    total[0] += x[i];
}

__global__ void total_atomic(const float* __restrict__ x, float* __restrict__ total, long long n) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x)
    atomicAdd(total, x[i]);
}
