// BROKEN on purpose (tests/test_emulator_sanitizers.py): no `if (i < n)`, so the last block's
// surplus threads read and write past the arrays.  AddressSanitizer reports it.
__global__ void scale(const float* __restrict__ x, float* __restrict__ y, long long n, float a) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  y[i] = a * x[i];
}

// the fixed kernel
__global__ void scale_ok(const float* __restrict__ x, float* __restrict__ y, long long n, float a) {
  const long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) y[i] = a * x[i];
}
