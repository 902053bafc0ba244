// A correct kernel launched the wrong way on purpose: the test passes float64 data and a
// 32-bit count; the loader checks each argument against this C++ signature and refuses.
__global__ void axpy(const float* __restrict__ x, float* __restrict__ y, long long n, float a) {
  for (long long i = (long long)blockIdx.x * blockDim.x + threadIdx.x; i < n;
       i += (long long)gridDim.x * blockDim.x)
    y[i] += a * x[i];
}
